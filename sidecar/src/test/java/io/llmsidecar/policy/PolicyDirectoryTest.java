package io.llmsidecar.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PolicyDirectoryTest {
    @Test
    void takesRegoAndDataButNotTestsOrOtherFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("decision.rego"), "package sidecar\n");
        Files.writeString(dir.resolve("decision_test.rego"), "package sidecar_test\n");
        Files.writeString(dir.resolve("data.json"), "{}");
        Files.writeString(dir.resolve("README.md"), "# notes");
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/helpers.rego"), "package sidecar\n");

        assertEquals(Set.of("decision.rego", "data.json", "lib/helpers.rego"),
                     PolicyDirectory.snapshot(dir).files().keySet());
    }

    @Test
    void followsAConfigMapSymlinkSwapAndIgnoresItsHiddenDirectories(@TempDir Path dir) throws Exception {
        // The kubelet's layout: file -> ..data/file, ..data -> ..<timestamp>, swapped in one rename.
        Path v1 = Files.createDirectory(dir.resolve("..2026_01_05_v1"));
        Files.writeString(v1.resolve("decision.rego"), "package sidecar\n\ndecision := 1\n");
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Files.createSymbolicLink(dir.resolve("decision.rego"), Path.of("..data/decision.rego"));
        PolicyDirectory before = PolicyDirectory.snapshot(dir);
        assertEquals(Set.of("decision.rego"), before.files().keySet());

        Path v2 = Files.createDirectory(dir.resolve("..2026_01_05_v2"));
        Files.writeString(v2.resolve("decision.rego"), "package sidecar\n\ndecision := 2\n");
        Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(tmp, dir.resolve("..data"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                   java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        PolicyDirectory after = PolicyDirectory.snapshot(dir);
        assertNotEquals(before.hash(), after.hash());
        assertEquals(after.hash(), PolicyDirectory.snapshot(dir).hash(), "unchanged content, unchanged hash");
    }

    @Test
    void aDirectoryWithoutRegoIsAnError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("data.json"), "{}");
        var e = assertThrows(PolicyLoadException.class, () -> PolicyDirectory.snapshot(dir));
        assertEquals("the policy directory " + dir + " contains no .rego file", e.getMessage());
    }
}
