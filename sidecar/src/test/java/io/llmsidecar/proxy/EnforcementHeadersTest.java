package io.llmsidecar.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.WritableHeaders;
import io.llmsidecar.openai.SidecarException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnforcementHeadersTest {
    private static WritableHeaders<?> beta(String... values) {
        WritableHeaders<?> h = WritableHeaders.create();
        h.add(HeaderValues.create(HeaderNames.create("anthropic-beta"), values));
        return h;
    }

    @Test
    void theLongContextBetaIsRefusedWhereverItStandsInTheList() {
        for (WritableHeaders<?> h : new WritableHeaders<?>[] {
                beta("context-1m-2025-08-07"), beta("prompt-caching-2024-07-31, Context-1M-2025-08-07"),
                beta("prompt-caching-2024-07-31", "context-1m-2025-08-07")}) {
            SidecarException e = assertThrows(SidecarException.class, () -> EnforcementHeaders.check(h));
            assertEquals(400, e.status());
            assertEquals("unsupported_header", e.code());
            assertTrue(e.getMessage().contains("long-context rate"), e.getMessage());
        }
    }

    @Test
    void otherBetasAndNoBetaPass() {
        assertDoesNotThrow(() -> EnforcementHeaders.check(beta("prompt-caching-2024-07-31,output-128k-2025-02-19")));
        assertDoesNotThrow(() -> EnforcementHeaders.check(WritableHeaders.create()));
    }
}
