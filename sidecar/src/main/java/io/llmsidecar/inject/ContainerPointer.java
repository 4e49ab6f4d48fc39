package io.llmsidecar.inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Points a pod's containers at the sidecar through the {@link AppVariable}s, and names the ones that set a variable
 * themselves: their calls may go around the sidecar, which the platform team should hear of.
 *
 * <p>Per container and variable, the entry that counts is the last of that name in {@code env} (the kubelet applies
 * them in order). None: the variable is appended. An empty {@code value} and no {@code valueFrom}: the app named no
 * destination, so the value is filled in. The sidecar's own value: nothing to do (a reinvocation, or an app written
 * for the sidecar). Anything else, including any {@code valueFrom}: the app's choice, kept and warned about.
 * {@code envFrom} is not read: the injector's {@code env} entry wins over it, so such a value is replaced.
 */
final class ContainerPointer {
    /** Kubernetes asks webhooks to keep each warning within 120 characters; the API server cuts them at 256. */
    static final int MAX_WARNING_LENGTH = 120;
    /** At most this many containers are named; the total the API server keeps is 4096 characters for all sources. */
    static final int MAX_NAMED_CONTAINERS = 5;
    private static final String ELLIPSIS = "...";

    private final SidecarTemplate template;

    ContainerPointer(SidecarTemplate template) {
        this.template = template;
    }

    /**
     * @param pointed  how many containers got a variable added or filled in
     * @param warnings one per container that sets a variable itself, at most {@link #MAX_NAMED_CONTAINERS} and a
     *                 count of the rest, each at most {@link #MAX_WARNING_LENGTH} characters
     */
    record Pointing(int pointed, List<String> warnings) {
    }

    /**
     * @param firstPointedInit the position of the first init container that starts once the sidecar runs; the init
     *                         containers before it start earlier, so they are only checked, never pointed
     */
    Pointing point(PodView pod, int firstPointedInit, JsonPatch patch) {
        int pointed = 0;
        List<String> own = new ArrayList<>();
        for (int i = 0; i < pod.initContainers().size(); i++) {
            PodView.Container c = pod.initContainers().get(i);
            if (!c.name().equals(SidecarTemplate.CONTAINER)) {
                if (i >= firstPointedInit && point(c, "/spec/initContainers/" + i, patch)) {
                    pointed++;
                }
                ownVariables(c).ifPresent(vars -> own.add(warning("init container", c.name(), vars)));
            }
        }
        for (int i = 0; i < pod.containers().size(); i++) {
            PodView.Container c = pod.containers().get(i);
            if (!c.name().equals(SidecarTemplate.CONTAINER)) {
                if (point(c, "/spec/containers/" + i, patch)) {
                    pointed++;
                }
                ownVariables(c).ifPresent(vars -> own.add(warning("container", c.name(), vars)));
            }
        }
        List<String> warnings = new ArrayList<>(own.subList(0, Math.min(own.size(), MAX_NAMED_CONTAINERS)));
        if (own.size() > MAX_NAMED_CONTAINERS) {
            warnings.add((own.size() - MAX_NAMED_CONTAINERS) + " more containers set these variables themselves, may "
                         + "bypass llm-sidecar");
        }
        return new Pointing(pointed, List.copyOf(warnings));
    }

    /** Adds the variables the container leaves unset and fills the ones it sets empty; true if anything changed. */
    private boolean point(PodView.Container c, String path, JsonPatch patch) {
        boolean hasEnv = c.hasEnv();
        boolean changed = false;
        for (AppVariable variable : AppVariable.values()) {
            Optional<PodView.EnvVar> set = c.effective(variable.name());
            if (set.isEmpty()) {
                patch.append(hasEnv, path + "/env", template.appVariable(variable));
                hasEnv = true;
                changed = true;
            } else if (set.get().value().isEmpty() && !set.get().valueFrom()) {
                patch.set(path + "/env/" + set.get().index() + "/value", template.appValue(variable));
                changed = true;
            }
        }
        return changed;
    }

    /** The variables the container points somewhere of its own, comma-separated; empty when none. */
    private Optional<String> ownVariables(PodView.Container c) {
        List<String> own = new ArrayList<>();
        for (AppVariable variable : AppVariable.values()) {
            c.effective(variable.name())
                    .filter(e -> e.valueFrom()
                                 || !e.value().isEmpty() && !e.value().equals(template.appValue(variable)))
                    .ifPresent(e -> own.add(variable.name()));
        }
        return own.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", own));
    }

    /** One line naming the container; a name too long for the limit keeps its start and end. */
    static String warning(String kind, String name, String variables) {
        String before = kind + " ";
        String after = " sets " + variables + " itself, may bypass llm-sidecar";
        int room = MAX_WARNING_LENGTH - before.length() - after.length();
        String shown = name;
        if (name.length() > room) {
            int keep = Math.max(room - ELLIPSIS.length(), 2);
            shown = name.substring(0, keep - keep / 2) + ELLIPSIS + name.substring(name.length() - keep / 2);
        }
        return before + shown + after;
    }
}
