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
 * @param initContainers names of the init containers, in order; empty also when the list is absent
 * @param volumes        names of the pod's volumes
 * @param gracePeriodSeconds {@code spec.terminationGracePeriodSeconds}, Kubernetes' 30 when the pod sets none
 */
record PodView(String name, Map<String, String> labels, boolean hasLabels, Map<String, String> annotations,
               boolean hasAnnotations, List<Container> containers, List<String> initContainers,
               boolean hasInitContainers, Set<String> volumes, boolean hasVolumes, boolean hostNetwork,
               long gracePeriodSeconds) {
    static final long DEFAULT_GRACE_PERIOD_SECONDS = 30;

    /**
     * One app container.
     *
     * @param envNames the names its {@code env} list sets (not what {@code envFrom} may add)
     * @param hasEnv   whether it has an {@code env} list at all
     */
    record Container(String name, Set<String> envNames, boolean hasEnv) {
    }

    /** Reads a pod; fails with {@link IllegalArgumentException} naming the field when the pod is unusable. */
    static PodView of(JsonNode pod) {
        JsonNode metadata = pod.path("metadata");
        JsonNode spec = pod.path("spec");
        JsonNode containers = spec.path("containers");
        if (!containers.isArray() || containers.isEmpty()) {
            throw new IllegalArgumentException("the pod has no spec.containers");
        }
        List<Container> apps = new ArrayList<>();
        for (JsonNode c : containers) {
            apps.add(new Container(requiredName(c, "spec.containers"), names(c.path("env"), "spec.containers[].env"),
                                   c.path("env").isArray()));
        }
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            name = metadata.path("generateName").asText("") + "*";
        }
        return new PodView(name,
                           strings(metadata.path("labels")), metadata.path("labels").isObject(),
                           strings(metadata.path("annotations")), metadata.path("annotations").isObject(),
                           List.copyOf(apps),
                           List.copyOf(names(spec.path("initContainers"), "spec.initContainers")),
                           spec.path("initContainers").isArray(),
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
        return initContainers.contains(containerName)
               || containers.stream().anyMatch(c -> c.name().equals(containerName));
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
