package io.llmsidecar.proxy;

import io.llmsidecar.config.ConfigException;
import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway key from a mounted Secret file, rotated without a restart, and never logged. */
class CredentialsIT {
    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";

    @Test
    void readsTheKeyFromAFileAndPicksUpARotatedOne() throws Exception {
        Path dir = Files.createTempDirectory("secret");
        Path key = dir.resolve("api-key");
        Files.writeString(key, "sk-from-file-1111\n");
        try (LogCapture logs = LogCapture.start();
             StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(Map.of("upstream.url", upstream.baseUrl(),
                                                            "upstream.api-key-file", key.toString()),
                                                     Optional.empty())) {
            sidecar.chat(BODY);
            assertEquals("Bearer sk-from-file-1111", upstream.awaitRequest(Duration.ofSeconds(5))
                    .header("authorization"));

            Files.writeString(key, "sk-from-file-2222");
            Files.setLastModifiedTime(key, FileTime.from(Instant.now().plusSeconds(5)));
            sidecar.sidecar().credentials().reloadIfChanged();
            sidecar.chat(BODY);
            assertEquals("Bearer sk-from-file-2222", upstream.awaitRequest(Duration.ofSeconds(5))
                    .header("authorization"));

            Files.writeString(key, "");
            Files.setLastModifiedTime(key, FileTime.from(Instant.now().plusSeconds(10)));
            sidecar.sidecar().credentials().reloadIfChanged();
            sidecar.chat(BODY);
            assertEquals("Bearer sk-from-file-2222", upstream.awaitRequest(Duration.ofSeconds(5))
                    .header("authorization"), "an emptied file must not drop the working key");
            assertTrue(logs.all().contains("still using the previous key"), logs.all());
            assertFalse(logs.all().contains("sk-from-file"), "keys must never be logged");
        }
    }

    @Test
    void aMissingKeyFileFailsStartupSayingWhatToDo() {
        ConfigException e = assertThrows(ConfigException.class, () -> TestSidecar.start(
                Map.of("upstream.api-key-file", "/nonexistent/api-key"), Optional.empty()));
        assertTrue(e.getMessage().contains("SIDECAR_UPSTREAM_API_KEY_FILE") && e.getMessage().contains("Mount"),
                   e.getMessage());
    }
}
