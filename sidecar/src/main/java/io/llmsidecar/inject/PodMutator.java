package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.config.SidecarEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides whether a pod gets the sidecar and writes the change as RFC 6902 JSON patch operations against the pod as
 * the API server sent it. Injection is idempotent: a pod that already has the sidecar only gets the app variables
 * on containers that lack them (a later webhook may have added a container; the API server reinvokes us for that).
 * See {@link ContainerPointer} for which containers are pointed and which are warned about.
 */
final class PodMutator {
    static final String ANNOTATION_INJECT = "llm-sidecar.io/inject";
    static final String ANNOTATION_NATIVE = "llm-sidecar.io/native-sidecar";
    static final String ANNOTATION_TEAM = "llm-sidecar.io/team";
    static final String ANNOTATION_POLICY_CONFIG_MAP = "llm-sidecar.io/policy-config-map";
    static final String ANNOTATION_CONFIG_CONFIG_MAP = "llm-sidecar.io/config-config-map";
    static final String ANNOTATION_STATUS = "llm-sidecar.io/status";
    static final String ANNOTATION_PREFIX = "llm-sidecar.io/";
    /**
     * The {@code OTEL_*} variables a pod annotation may set ({@code llm-sidecar.io/OTEL_SERVICE_NAME: payments}):
     * every one the sidecar reads except the export headers, which carry credentials and belong in a Secret or the
     * namespace's ConfigMap, not in pod metadata anyone who can list pods reads.
     */
    static final List<String> OTEL_ANNOTATIONS = SidecarEnvironment.table().keySet().stream()
            .filter(v -> v.startsWith("OTEL_") && !v.endsWith("_HEADERS")).toList();
    /** Marks injected pods for the PodMonitor and NetworkPolicies, which can select labels but not annotations. */
    static final String LABEL_INJECTED = "llm-sidecar.io/injected";
    static final List<String> APP_LABELS = List.of("app.kubernetes.io/name", "app");

    private final SidecarSpec spec;
    private final SidecarTemplate template;
    private final ContainerPointer pointer;
    private final String version;

    PodMutator(SidecarSpec spec, String version) {
        this.spec = spec;
        this.template = new SidecarTemplate(spec);
        this.pointer = new ContainerPointer(template);
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
     * point the {@code pointed} app containers (init containers after a native sidecar included) that lack the
     * variables at it.
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
            warnings.add("llm-sidecar was not injected: with hostNetwork its loopback ports would collide with other "
                         + "pods on the node");
            return new Skipped("the pod uses hostNetwork", warnings);
        }
        JsonPatch patch = new JsonPatch();
        if (pod.hasContainer(SidecarTemplate.CONTAINER)) {
            ContainerPointer.Pointing pointing = pointer.point(
                    pod, pod.firstInitContainerAfter(SidecarTemplate.CONTAINER), patch);
            warnings.addAll(pointing.warnings());
            return new AlreadyInjected(patch.operations(), pointing.pointed(), warnings);
        }
        boolean nativeSidecar = flag(pod, ANNOTATION_NATIVE, warnings).orElse(spec.nativeSidecar());
        // Pointing goes first, at the indexes the pod has now. A native sidecar then goes in front of every init
        // container, so all of them start once it runs; a regular container starts after all of them have finished.
        ContainerPointer.Pointing pointing = pointer.point(pod, nativeSidecar ? 0 : pod.initContainers().size(),
                                                           patch);
        Optional<String> appLabel = APP_LABELS.stream().filter(l -> pod.label(l).isPresent()).findFirst();
        ObjectNode container = template.container(nativeSidecar, appLabel, pod.annotation(ANNOTATION_TEAM).isPresent(),
                                                  pod.gracePeriodSeconds(), otelVariables(pod, warnings));
        if (nativeSidecar) {
            patch.prepend(pod.hasInitContainers(), "/spec/initContainers", container);
        } else {
            patch.append(true, "/spec/containers", container);
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
            patch.append(hasVolumes, "/spec/volumes", volume);
            hasVolumes = true;
        }
        ObjectNode status = JsonNodeFactory.instance.objectNode().put("version", version)
                .put("sidecar", nativeSidecar ? "native" : "container");
        patch.put(pod.hasAnnotations(), "/metadata/annotations", ANNOTATION_STATUS, status.toString());
        patch.put(pod.hasLabels(), "/metadata/labels", LABEL_INJECTED, "true");
        warnings.addAll(pointing.warnings());
        String summary = "injected " + (nativeSidecar ? "a native sidecar" : "a sidecar container") + ", pointed "
                         + pointing.pointed() + " app container(s)";
        return new Patched(patch.operations(), summary, warnings);
    }

    /** The OTEL_* variables the pod's annotations set; other {@code llm-sidecar.io/OTEL_*} ones are warned about. */
    static List<String> otelVariables(PodView pod, List<String> warnings) {
        List<String> variables = new ArrayList<>();
        for (String key : pod.annotations().keySet()) {
            if (!key.startsWith(ANNOTATION_PREFIX + "OTEL_")) {
                continue;
            }
            String variable = key.substring(ANNOTATION_PREFIX.length());
            if (OTEL_ANNOTATIONS.contains(variable)) {
                variables.add(variable);
            } else if (variable.endsWith("_HEADERS")) {
                warnings.add("annotation " + key + " is ignored: export headers carry credentials; put "
                             + variable + " into the ConfigMap " + SidecarTemplate.OTEL_CONFIG_MAP);
            } else {
                warnings.add("annotation " + key + " is ignored: the sidecar reads no " + variable);
            }
        }
        variables.sort(null);
        return variables;
    }

    private static Optional<Boolean> flag(PodView pod, String annotation, List<String> warnings) {
        return pod.annotation(annotation).flatMap(v -> switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> {
                warnings.add("annotation " + annotation + " must be \"true\" or \"false\"; got \""
                             + abbreviated(v) + "\", ignored");
                yield Optional.empty();
            }
        });
    }

    /** A value the pod chose, quoted in a warning: at most 20 characters, so the warning stays short. */
    private static String abbreviated(String value) {
        return value.length() <= 20 ? value : value.substring(0, 17) + "...";
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
