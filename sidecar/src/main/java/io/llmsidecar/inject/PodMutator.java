package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides whether a pod gets the sidecar and writes the change as RFC 6902 JSON patch operations against the pod as
 * the API server sent it. Injection is idempotent: a pod that already has the sidecar only gets the app variables
 * on containers that lack them (a later webhook may have added a container; the API server reinvokes us for that).
 */
final class PodMutator {
    static final String ANNOTATION_INJECT = "llm-sidecar.io/inject";
    static final String ANNOTATION_NATIVE = "llm-sidecar.io/native-sidecar";
    static final String ANNOTATION_TEAM = "llm-sidecar.io/team";
    static final String ANNOTATION_POLICY_CONFIG_MAP = "llm-sidecar.io/policy-config-map";
    static final String ANNOTATION_CONFIG_CONFIG_MAP = "llm-sidecar.io/config-config-map";
    static final String ANNOTATION_STATUS = "llm-sidecar.io/status";
    /** Marks injected pods for the PodMonitor and NetworkPolicies, which can select labels but not annotations. */
    static final String LABEL_INJECTED = "llm-sidecar.io/injected";
    static final List<String> APP_LABELS = List.of("app.kubernetes.io/name", "app");

    private final SidecarSpec spec;
    private final SidecarTemplate template;
    private final String version;
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;

    PodMutator(SidecarSpec spec, String version) {
        this.spec = spec;
        this.template = new SidecarTemplate(spec);
        this.version = version;
    }

    /** The outcome for one pod; {@code warnings} go back to whoever created the pod. */
    sealed interface Result permits Skipped, Patched, AlreadyInjected {
        List<String> warnings();
    }

    /** Nothing to change; {@code reason} is for the log. */
    record Skipped(String reason, List<String> warnings) implements Result {
    }

    /** Operations to apply, and a one-line summary for the log. */
    record Patched(ArrayNode operations, String summary, List<String> warnings) implements Result {
    }

    /**
     * The pod has the sidecar already (a reinvocation, or a pod created with it); {@code operations}, possibly none,
     * point the {@code pointed} app containers that lack the variables at it.
     */
    record AlreadyInjected(ArrayNode operations, int pointed, List<String> warnings) implements Result {
    }

    /**
     * @param requireOptIn true for pods outside opted-in namespaces: only an explicit {@code "true"} injects them
     */
    Result mutate(PodView pod, boolean requireOptIn) {
        List<String> warnings = new ArrayList<>();
        Optional<Boolean> inject = flag(pod, ANNOTATION_INJECT, warnings);
        if (inject.equals(Optional.of(false))) {
            return new Skipped("opted out by " + ANNOTATION_INJECT + "=false", warnings);
        }
        if (requireOptIn && inject.isEmpty()) {
            return new Skipped("not opted in (namespace not enabled, no " + ANNOTATION_INJECT + "=true)", warnings);
        }
        if (pod.hostNetwork()) {
            warnings.add("llm-sidecar was not injected: the pod uses hostNetwork, where the sidecar's loopback ports "
                         + "would collide with other pods on the node");
            return new Skipped("the pod uses hostNetwork", warnings);
        }
        ArrayNode ops = nodes.arrayNode();
        int pointed = pointAppContainers(pod, ops);
        if (pod.hasContainer(SidecarTemplate.CONTAINER)) {
            return new AlreadyInjected(ops, pointed, warnings);
        }
        boolean nativeSidecar = flag(pod, ANNOTATION_NATIVE, warnings).orElse(spec.nativeSidecar());
        Optional<String> appLabel = APP_LABELS.stream().filter(l -> pod.label(l).isPresent()).findFirst();
        ObjectNode container = template.container(nativeSidecar, appLabel, pod.annotation(ANNOTATION_TEAM).isPresent(),
                                                  pod.gracePeriodSeconds());
        if (nativeSidecar) {
            add(ops, pod.hasInitContainers(), "/spec/initContainers", "/0", container);
        } else {
            add(ops, true, "/spec/containers", "/-", container);
        }
        boolean hasVolumes = pod.hasVolumes();
        for (ObjectNode volume : template.volumes(configMap(pod, ANNOTATION_POLICY_CONFIG_MAP,
                                                               spec.policyConfigMap(), warnings),
                                                     configMap(pod, ANNOTATION_CONFIG_CONFIG_MAP,
                                                               spec.configConfigMap(), warnings))) {
            if (pod.volumes().contains(volume.path("name").asText())) {
                warnings.add("llm-sidecar was not injected: the pod already has a volume named "
                             + volume.path("name").asText());
                return new Skipped("volume name clash", warnings);
            }
            add(ops, hasVolumes, "/spec/volumes", "/-", volume);
            hasVolumes = true;
        }
        ObjectNode status = nodes.objectNode().put("version", version).put("sidecar", nativeSidecar ? "native"
                : "container");
        put(ops, pod.hasAnnotations(), "/metadata/annotations", ANNOTATION_STATUS, status.toString());
        put(ops, pod.hasLabels(), "/metadata/labels", LABEL_INJECTED, "true");
        return new Patched(ops, "injected " + (nativeSidecar ? "a native sidecar" : "a sidecar container")
                                + ", pointed " + pointed + " app container(s)", warnings);
    }

    /** Adds the app variables a container does not set itself; an explicit value of the app's own wins. */
    private int pointAppContainers(PodView pod, ArrayNode ops) {
        int pointed = 0;
        for (int i = 0; i < pod.containers().size(); i++) {
            PodView.Container c = pod.containers().get(i);
            if (c.name().equals(SidecarTemplate.CONTAINER)) {
                continue;
            }
            boolean hasEnv = c.hasEnv();
            boolean changed = false;
            for (String variable : SidecarTemplate.APP_VARIABLES) {
                if (!c.envNames().contains(variable)) {
                    add(ops, hasEnv, "/spec/containers/" + i + "/env", "/-", template.appVariable(variable));
                    hasEnv = true;
                    changed = true;
                }
            }
            pointed += changed ? 1 : 0;
        }
        return pointed;
    }

    /** Appends to (or inserts into) a list, creating the list when the pod has none. */
    private void add(ArrayNode ops, boolean listExists, String list, String position, JsonNode item) {
        if (listExists) {
            op(ops, list + position, item);
        } else {
            op(ops, list, nodes.arrayNode().add(item));
        }
    }

    /** Sets one entry of a string map, creating the map when the pod has none. */
    private void put(ArrayNode ops, boolean mapExists, String map, String key, String value) {
        if (mapExists) {
            op(ops, map + "/" + escape(key), nodes.textNode(value));
        } else {
            op(ops, map, nodes.objectNode().put(key, value));
        }
    }

    private static void op(ArrayNode ops, String path, JsonNode value) {
        ops.addObject().put("op", "add").put("path", path).set("value", value);
    }

    /** RFC 6901: '~' and '/' inside a key, as in every {@code llm-sidecar.io/...} annotation. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static Optional<Boolean> flag(PodView pod, String annotation, List<String> warnings) {
        return pod.annotation(annotation).flatMap(v -> switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> {
                warnings.add("annotation " + annotation + " must be \"true\" or \"false\"; got \"" + v
                             + "\", ignored");
                yield Optional.empty();
            }
        });
    }

    private static String configMap(PodView pod, String annotation, String defaultName, List<String> warnings) {
        Optional<String> named = pod.annotation(annotation).map(String::strip);
        if (named.isPresent() && !SidecarSpec.isObjectName(named.get())) {
            warnings.add("annotation " + annotation + " is not a ConfigMap name; using " + defaultName);
            return defaultName;
        }
        return named.orElse(defaultName);
    }
}
