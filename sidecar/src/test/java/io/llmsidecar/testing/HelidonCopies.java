package io.llmsidecar.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The checks every copy of a Helidon class in the sidecar's sources ({@code sidecar/src/main/java/io/helidon/}) needs:
 * that the Helidon on the class path is still the release it was copied from (an upgrade must redo or drop the copy),
 * and that the copy, not Helidon's class, is the one loaded.
 */
public final class HelidonCopies {
    private HelidonCopies() {
    }

    /**
     * Fails unless the jar holding {@code helidonClass} (a class of the copied one's Helidon module) is release
     * {@code copiedFrom}; {@code redo} says what to do on an upgrade.
     */
    public static void assertHelidonRelease(Class<?> helidonClass, String copiedFrom, String redo) {
        String version;
        try {
            Path jar = Path.of(helidonClass.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (JarFile file = new JarFile(jar.toFile())) {
                version = file.getManifest().getMainAttributes().getValue("Implementation-Version");
            }
        } catch (IOException | URISyntaxException e) {
            throw new AssertionError("cannot read the version of " + helidonClass.getName() + "'s jar", e);
        }
        assertEquals(copiedFrom, version, "Helidon is now " + version + ": " + redo + ", then update COPIED_FROM");
    }

    /** Fails unless {@code copy} was loaded from the sidecar's classes, ahead of Helidon's jar. */
    public static void assertCopyLoaded(Class<?> copy) {
        assertEquals(io.llmsidecar.Main.class.getProtectionDomain().getCodeSource().getLocation(),
                     copy.getProtectionDomain().getCodeSource().getLocation(),
                     "the sidecar's " + copy.getSimpleName() + " must come before Helidon's on the class path");
    }
}
