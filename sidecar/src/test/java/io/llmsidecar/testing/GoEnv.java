package io.llmsidecar.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Directories Go knows ({@code go env NAME}): tests that read real code nobody wrote to fool them take it from Go's
 * standard library and module cache. Go is a test dependency ({@code scripts/setup.sh test} checks it); without it
 * these tests fail, never skip.
 */
public final class GoEnv {
    private GoEnv() {
    }

    /** {@code go env name} as a path, e.g. {@code GOROOT} or {@code GOMODCACHE}. */
    public static Path path(String name) {
        Process go;
        try {
            go = new ProcessBuilder("go", "env", name).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("this test reads sources found by `go env " + name + "` and needs `go` on PATH "
                                     + "(scripts/setup.sh test installs it): " + e.getMessage(), e);
        }
        try {
            String out = new String(go.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (go.waitFor() != 0 || out.isEmpty()) {
                throw new AssertionError("go env " + name + " failed: " + out);
            }
            return Path.of(out);
        } catch (IOException e) {
            throw new AssertionError("cannot read go env " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for go env " + name, e);
        }
    }
}
