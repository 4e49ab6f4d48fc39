package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the injector reads from a pod, typed once at the boundary. A field that is absent is remembered as absent,
 * because a JSON patch must {@code add} a whole list or map where none exists and append where one does.
 *
 * @param name           the pod's name, or its {@code generateName} followed by {@code *} for controller-made pods
 * @param labels         empty when the pod has none; see {@code hasLabels}
 * @param containers     the app containers, in order
 * @param initContainers the init containers, in order; empty also when the list is absent
 * @param volumes        names of the pod's volumes
 * @param gracePeriodSeconds {@code spec.terminationGracePeriodSeconds}, Kubernetes' 30 when the pod sets none
 */
record PodView(String name, Map<String, String> labels, boolean hasLabels, Map<String, String> annotations,
               boolean hasAnnotations, List<Container> containers, List<Container> initContainers,
               boolean hasInitContainers, Set<String> volumes, boolean hasVolumes, boolean hostNetwork,
               long gracePeriodSeconds) {
    static final long DEFAULT_GRACE_PERIOD_SECONDS = 30;

    /**
     * One container.
     *
     * @param env           its {@code env} list, in order (not what {@code envFrom} may add)
     * @param hasEnv        whether it has an {@code env} list at all
     * @param restartAlways {@code restartPolicy: Always}: in {@code initContainers}, a native sidecar
     */
    record Container(String name, List<EnvVar> env, boolean hasEnv, boolean restartAlways) {
        /** The entry that decides the variable's value: the last of that name, as the kubelet applies them in order. */
        Optional<EnvVar> effective(String variable) {
            for (int i = env.size() - 1; i >= 0; i--) {
                if (env.get(i).name().equals(variable)) {
                    return Optional.of(env.get(i));
                }
            }
            return Optional.empty();
        }
    }

    /**
     * One entry of a container's {@code env}.
     *
     * @param index     its position in the list, which a patch of its value addresses
     * @param value     its {@code value}; empty when it has none
     * @param valueFrom whether it takes its value from a Secret, ConfigMap, field or resource instead
     */
    record EnvVar(int index, String name, String value, boolean valueFrom) {
    }

    /** Reads a pod; fails with {@link IllegalArgumentException} naming the field when the pod is unusable. */
    static PodView of(JsonNode pod) {
        JsonNode metadata = pod.path("metadata");
        JsonNode spec = pod.path("spec");
        JsonNode containers = spec.path("containers");
        if (!containers.isArray() || containers.isEmpty()) {
            throw new IllegalArgumentException("the pod has no spec.containers");
        }
        JsonNode initContainers = spec.path("initContainers");
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            name = metadata.path("generateName").asText("") + "*";
        }
        return new PodView(name,
                           strings(metadata.path("labels")), metadata.path("labels").isObject(),
                           strings(metadata.path("annotations")), metadata.path("annotations").isObject(),
                           containers(containers, "spec.containers"),
                           containers(initContainers, "spec.initContainers"),
                           initContainers.isArray(),
                           names(spec.path("volumes"), "spec.volumes"), spec.path("volumes").isArray(),
                           spec.path("hostNetwork").asBoolean(false),
                           spec.path("terminationGracePeriodSeconds").canConvertToLong()
                                   ? spec.path("terminationGracePeriodSeconds").asLong()
                                   : DEFAULT_GRACE_PERIOD_SECONDS);
    }

    Optional<String> annotation(String key) {
        return Optional.ofNullable(annotations.get(key));
    }

    Optional<String> label(String key) {
        return Optional.ofNullable(labels.get(key));
    }

    boolean hasContainer(String containerName) {
        return initContainers.stream().anyMatch(c -> c.name().equals(containerName))
               || containers.stream().anyMatch(c -> c.name().equals(containerName));
    }

    /**
     * The position of the first init container that starts once the native sidecar {@code sidecar} runs: the one
     * after it; {@code initContainers().size()} when {@code sidecar} is no native sidecar of this pod (absent, or a
     * regular container, which starts only after every init container has finished).
     */
    int firstInitContainerAfter(String sidecar) {
        for (int i = 0; i < initContainers.size(); i++) {
            if (initContainers.get(i).name().equals(sidecar) && initContainers.get(i).restartAlways()) {
                return i + 1;
            }
        }
        return initContainers.size();
    }

    private static List<Container> containers(JsonNode list, String field) {
        List<Container> result = new ArrayList<>();
        if (list.isMissingNode() || list.isNull()) {
            return result;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(field + " is not a list");
        }
        for (JsonNode c : list) {
            result.add(new Container(requiredName(c, field), env(c.path("env"), field + "[].env"),
                                     c.path("env").isArray(), "Always".equals(c.path("restartPolicy").asText())));
        }
        return List.copyOf(result);
    }

    private static List<EnvVar> env(JsonNode list, String field) {
        List<EnvVar> result = new ArrayList<>();
        if (list.isMissingNode() || list.isNull()) {
            return result;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(field + " is not a list");
        }
        for (JsonNode e : list) {
            result.add(new EnvVar(result.size(), requiredName(e, field), e.path("value").asText(""),
                                  e.path("valueFrom").isObject()));
        }
        return List.copyOf(result);
    }

    private static Set<String> names(JsonNode list, String field) {
        Set<String> names = new LinkedHashSet<>();
        if (list.isMissingNode() || list.isNull()) {
            return names;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(field + " is not a list");
        }
        for (JsonNode item : list) {
            names.add(requiredName(item, field));
        }
        return names;
    }

    private static String requiredName(JsonNode item, String field) {
        String name = item.path("name").asText("");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an entry of " + field + " has no name");
        }
        return name;
    }

    private static Map<String, String> strings(JsonNode map) {
        Map<String, String> result = new LinkedHashMap<>();
        map.properties().forEach(e -> result.put(e.getKey(), e.getValue().asText()));
        return result;
    }
}
