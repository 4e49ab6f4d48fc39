package io.llmsidecar.admin;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.llmsidecar.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminGuardTest {
    @ParameterizedTest
    @ValueSource(strings = {"/admin/budgets", "/admin/budgets/team-daily/team=payments", "/admin/policy",
                            "/admin/budgets/team-daily/team=Payments,user=a@b"})
    void acceptsCanonicalPaths(String path) {
        assertTrue(AdminGuard.canonical(path), path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"//admin/budgets", "/admin//budgets", "/admin/budgets/", "/admin/./budgets",
                            "/admin/../admin/budgets", "/./admin", "/admin/..", "/admin%2Fbudgets", "/admin%2fbudgets",
                            "/%2e%2e/admin", "/admin/%2E/budgets", "/admin\\budgets", "/admin%5cbudgets",
                            "/%61dmin/budgets", "/admin/team%3Dx", "/admin;x=y/budgets", "/admin/policy;x", "admin",
                            "*"})
    void refusesEveryOtherSpelling(String path) {
        assertFalse(AdminGuard.canonical(path), path);
    }

    @Test
    void refusesBothATokenAndATokenFile() {
        ConfigException e = assertThrows(ConfigException.class, () -> AdminConfig.create(node(Map.of(
                "token", "a".repeat(32), "token-file", "/tmp/x"))));
        assertTrue(e.getMessage().contains("Set only one of them"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n\t ", "\n"})
    void refusesAnEmptyTokenFileAtStartup(String content, @TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), content);
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> AdminConfig.create(node(Map.of("token-file", file.toString()))));
        assertTrue(e.getMessage().contains("SIDECAR_ADMIN_TOKEN_FILE"), e.getMessage());
        assertTrue(e.getMessage().contains("is empty or holds only whitespace"), e.getMessage());
    }

    @Test
    void refusesAMissingTokenFileNamingThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> AdminConfig.create(node(Map.of("token-file", missing.toString()))));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("NoSuchFileException"),
                   e.getMessage());
    }

    @Test
    void refusesATokenWithInnerWhitespaceOrNonAscii(@TempDir Path dir) throws Exception {
        for (String bad : new String[] {"two words-aaaaaaaaaaaaaaaaaaaaaa", "tökén-aaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
            Path file = Files.writeString(dir.resolve("token"), bad);
            assertThrows(ConfigException.class, () -> AdminConfig.create(node(Map.of("token-file", file.toString()))));
            assertThrows(ConfigException.class, () -> AdminConfig.create(node(Map.of("token", bad))));
        }
    }

    @Test
    void matchesOnlyTheExactTokenAndStripsTheFilesNewline(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "  s3cret-token-0123456789abcdef\n");
        AdminToken token = AdminToken.create(AdminConfig.create(node(Map.of("token-file", file.toString()))));
        assertTrue(token.configured());
        assertTrue(token.matches("s3cret-token-0123456789abcdef"));
        assertFalse(token.matches("s3cret-token-0123456789abcde"));
        assertFalse(token.matches("s3cret-token-0123456789abcdef "));
        assertFalse(token.matches(""));
        assertFalse(token.weak());
    }

    @Test
    void noTokenMeansOff() {
        AdminToken token = AdminToken.create(new AdminConfig("127.0.0.1", 0, Optional.empty(), Optional.empty()));
        assertFalse(token.configured());
        assertFalse(token.matches("anything"));
        assertEquals("SIDECAR_ADMIN_TOKEN", token.source());
    }

    @Test
    void neverPrintsTheToken() {
        assertFalse(new AdminConfig("h", 1, Optional.of("s3cret"), Optional.empty()).toString().contains("s3cret"));
    }

    private static Config node(Map<String, String> values) {
        Map<String, String> prefixed = new java.util.HashMap<>();
        values.forEach((k, v) -> prefixed.put("admin." + k, v));
        return Config.just(ConfigSources.create(prefixed)).get("admin");
    }
}
