package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a kubelet would give the {@code llm-sidecar} container of a pod, made from the pod object the API server
 * stored: its args, its environment ({@code valueFrom} resolved from the pod and from Secrets and ConfigMaps as the
 * kubelet resolves them) and its volume mounts (Secret and ConfigMap contents written out, emptyDirs created).
 *
 * <p>There is no container runtime, so a mount cannot appear at its {@code mountPath}. Each mount gets a directory of
 * its own, and the one mapping is this: an environment value that is a mount path or lies under one is rewritten to
 * the same place in that directory ({@code /etc/llm-sidecar/config/application.yaml} becomes
 * {@code <dir>/llm-sidecar-config/application.yaml}); a mount at {@code /tmp} becomes the JVM's
 * {@code java.io.tmpdir}. The image's own environment is stood in for by {@code PATH} (with {@code opa}) and
 * {@code HOME}. Nothing else is added or changed.
 */
record MaterialisedSidecar(List<String> args, List<String> jvmOptions, Map<String, String> environment,
                           Map<String, Path> mounts) {
    private static final Pattern LABEL_FIELD = Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]");

    static MaterialisedSidecar of(JsonNode pod, String containerName, Kubectl kubectl, Path dir, String path)
            throws IOException {
        JsonNode container = container(pod, containerName);
        if (container.has("command")) {
            fail("The injected container overrides the image's command; the test runs the jar's entry point only");
        }
        String namespace = pod.path("metadata").path("namespace").asText();
        Map<String, Path> mounts = new LinkedHashMap<>();
        for (JsonNode mount : container.path("volumeMounts")) {
            JsonNode volume = volume(pod, mount.path("name").asText());
            Path target = Files.createDirectories(dir.resolve(mount.path("name").asText()));
            write(volume, namespace, kubectl, target);
            mounts.put(mount.path("mountPath").asText(), target);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", path);
        env.put("HOME", Files.createDirectories(dir.resolve("home")).toString());
        // As the kubelet does: envFrom first, then env, whose entries win.
        for (JsonNode from : container.path("envFrom")) {
            JsonNode ref = from.path("configMapRef");
            if (ref.isMissingNode() || from.has("prefix")) {
                fail("Only envFrom configMapRef without a prefix is materialised: " + from);
            }
            JsonNode list = kubectl.get("configmap", "-n", namespace, "--ignore-not-found",
                                        "--field-selector", "metadata.name=" + ref.path("name").asText());
            if (list.path("items").isEmpty()) {
                if (!ref.path("optional").asBoolean(false)) {
                    fail("The ConfigMap " + ref + " does not exist");
                }
                continue;
            }
            data(list.path("items").get(0), false).forEach((k, v) -> env.put(k, new String(v, StandardCharsets.UTF_8)));
        }
        for (JsonNode variable : container.path("env")) {
            String value = variable.has("valueFrom")
                    ? valueFrom(variable.path("valueFrom"), pod, namespace, kubectl)
                    : variable.path("value").asText();
            env.put(variable.path("name").asText(), mapped(value, mounts));
        }
        List<String> jvmOptions = new ArrayList<>();
        if (mounts.containsKey("/tmp")) {
            jvmOptions.add("-Djava.io.tmpdir=" + mounts.get("/tmp"));
        }
        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        return new MaterialisedSidecar(List.copyOf(args), List.copyOf(jvmOptions), env, mounts);
    }

    static JsonNode container(JsonNode pod, String name) {
        for (String list : List.of("initContainers", "containers")) {
            for (JsonNode c : pod.path("spec").path(list)) {
                if (c.path("name").asText().equals(name)) {
                    return c;
                }
            }
        }
        return fail("The pod has no container " + name + ": " + pod.path("spec"));
    }

    private static JsonNode volume(JsonNode pod, String name) {
        for (JsonNode v : pod.path("spec").path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        return fail("A volume mount names " + name + ", which is not among the pod's volumes: "
                    + pod.path("spec").path("volumes"));
    }

    /** The files a kubelet would project: every key, or only the listed items under their paths. */
    private static void write(JsonNode volume, String namespace, Kubectl kubectl, Path target) throws IOException {
        Map<String, byte[]> data;
        JsonNode source;
        if (volume.has("secret")) {
            source = volume.path("secret");
            data = data(kubectl.get("secret", "-n", namespace, source.path("secretName").asText()), true);
        } else if (volume.has("configMap")) {
            source = volume.path("configMap");
            data = data(kubectl.get("configmap", "-n", namespace, source.path("name").asText()), false);
        } else if (volume.has("emptyDir")) {
            return;
        } else {
            fail("Cannot materialise the volume " + volume);
            return;
        }
        if (source.has("items")) {
            for (JsonNode item : source.path("items")) {
                byte[] content = data.get(item.path("key").asText());
                if (content == null) {
                    fail("The volume " + volume + " lists the key " + item.path("key") + ", which its source lacks");
                }
                Path file = target.resolve(item.path("path").asText());
                Files.createDirectories(file.getParent());
                Files.write(file, content);
            }
        } else {
            for (Map.Entry<String, byte[]> entry : data.entrySet()) {
                Files.write(target.resolve(entry.getKey()), entry.getValue());
            }
        }
    }

    private static Map<String, byte[]> data(JsonNode object, boolean base64) {
        Map<String, byte[]> data = new LinkedHashMap<>();
        object.path("data").fields().forEachRemaining(e -> data.put(
                e.getKey(), base64 ? Base64.getDecoder().decode(e.getValue().asText())
                        : e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
        object.path("binaryData").fields().forEachRemaining(e -> data.put(
                e.getKey(), Base64.getDecoder().decode(e.getValue().asText())));
        return data;
    }

    /** As the kubelet resolves {@code valueFrom}: downward API fields of the pod, Secret and ConfigMap keys. */
    private static String valueFrom(JsonNode from, JsonNode pod, String namespace, Kubectl kubectl) {
        if (from.has("fieldRef")) {
            String field = from.path("fieldRef").path("fieldPath").asText();
            Matcher m = LABEL_FIELD.matcher(field);
            if (m.matches()) {
                return pod.path("metadata").path(m.group(1)).path(m.group(2)).asText("");
            }
            return switch (field) {
                case "metadata.name" -> pod.path("metadata").path("name").asText();
                case "metadata.namespace" -> namespace;
                case "metadata.uid" -> pod.path("metadata").path("uid").asText();
                case "spec.serviceAccountName" -> pod.path("spec").path("serviceAccountName").asText();
                case "spec.nodeName" -> pod.path("spec").path("nodeName").asText("");
                default -> fail("The field " + field + " is not materialised by the e2e test");
            };
        }
        if (from.has("secretKeyRef") || from.has("configMapKeyRef")) {
            boolean secret = from.has("secretKeyRef");
            JsonNode ref = secret ? from.path("secretKeyRef") : from.path("configMapKeyRef");
            byte[] value = data(kubectl.get(secret ? "secret" : "configmap", "-n", namespace,
                                            ref.path("name").asText()), secret).get(ref.path("key").asText());
            if (value == null) {
                return ref.path("optional").asBoolean(false) ? "" : fail("The key " + ref + " does not exist");
            }
            return new String(value, StandardCharsets.UTF_8);
        }
        return fail("valueFrom " + from + " is not materialised by the e2e test");
    }

    private static String mapped(String value, Map<String, Path> mounts) {
        for (Map.Entry<String, Path> mount : mounts.entrySet()) {
            String path = mount.getKey();
            if (value.equals(path)) {
                return mount.getValue().toString();
            }
            if (value.startsWith(path + "/")) {
                return mount.getValue().resolve(value.substring(path.length() + 1)).toString();
            }
        }
        return value;
    }

    JarProcess start(Path log) {
        return JarProcess.start(jvmOptions, args, environment, log);
    }
}
