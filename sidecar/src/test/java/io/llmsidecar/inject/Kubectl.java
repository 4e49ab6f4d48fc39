package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.llmsidecar.testing.KubernetesTools;
import io.llmsidecar.testing.KubernetesTools.Run;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code kubectl} against the API server {@code scripts/e2e/run.sh} started (its kubeconfig in {@code E2E_KUBECONFIG},
 * the kubectl it built in {@code E2E_KUBECTL}). Without them the test fails: it needs a real API server.
 */
final class Kubectl {
    private final Path kubectl;
    private final Path kubeconfig;

    private Kubectl(Path kubectl, Path kubeconfig) {
        this.kubectl = kubectl;
        this.kubeconfig = kubeconfig;
    }

    static Kubectl fromEnvironment() {
        String kubectl = System.getenv("E2E_KUBECTL");
        String kubeconfig = System.getenv("E2E_KUBECONFIG");
        if (kubectl == null || kubeconfig == null || !Files.isExecutable(Path.of(kubectl))
            || !Files.isRegularFile(Path.of(kubeconfig))) {
            fail("The e2e tests need the API server that `make e2e` (scripts/e2e/run.sh) starts; E2E_KUBECTL="
                 + kubectl + ", E2E_KUBECONFIG=" + kubeconfig);
        }
        return new Kubectl(Path.of(kubectl), Path.of(kubeconfig));
    }

    Run run(String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return KubernetesTools.run(command, stdin, null);
    }

    /** Runs and fails the test with kubectl's message unless it succeeds; returns its output. */
    String ok(String stdin, String... args) {
        Run run = run(stdin, args);
        if (!run.ok()) {
            fail("kubectl " + String.join(" ", args) + " failed: " + run.describe());
        }
        return run.output();
    }

    /** Server-side apply of YAML or JSON documents under the given field manager. */
    Run apply(String documents, String fieldManager) {
        return run(documents, "apply", "--server-side", "--field-manager=" + fieldManager, "-f", "-");
    }

    JsonNode get(String... args) {
        List<String> all = new ArrayList<>(List.of("get", "-o", "json"));
        all.addAll(List.of(args));
        return Reviews.read(ok(null, all.toArray(String[]::new)).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code kubectl create} of one object; on success the output is the object as the API server stored it. */
    Run create(JsonNode object) {
        return run(object.toString(), "create", "-o", "json", "-f", "-");
    }
}
