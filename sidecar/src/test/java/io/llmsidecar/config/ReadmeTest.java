package io.llmsidecar.config;

import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table and the variables the sidecar understands cannot drift apart. */
class ReadmeTest {
    @Test
    void everyVariableIsDocumentedAndEveryDocumentedVariableExists() throws Exception {
        String readme = Files.readString(Project.root().resolve("README.md"));
        SidecarEnvironment.table().forEach((variable, key) -> assertTrue(
                readme.contains("| `" + variable + "` | `" + key + "` |"),
                "README.md's configuration table lacks " + variable + " (" + key + ")"));
        Matcher documented = Pattern.compile("\\| `(SIDECAR_[A-Z_]+)` \\|").matcher(readme);
        while (documented.find()) {
            String variable = documented.group(1);
            assertTrue(variable.equals(SidecarEnvironment.CONFIG_FILE) || SidecarEnvironment.table().containsKey(variable),
                       "README.md documents " + variable + ", which the sidecar does not read");
        }
    }
}
