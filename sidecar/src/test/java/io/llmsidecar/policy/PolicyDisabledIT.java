package io.llmsidecar.policy;

import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code policy.enabled=false}: nothing is checked, which the startup log, health and metrics make plain. */
class PolicyDisabledIT {
    @Test
    void switchedOffPoliciesForwardWhatTheDefaultsWouldDeny() {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("policy.enabled", "false"))) {
            HttpResponse<String> response = sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":"
                                                         + "\"user\",\"content\":\"AKIAIOSFODNN7EXAMPLE\"}]}");
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(1, upstream.requestCount());
            String health = sidecar.send(java.net.http.HttpRequest.newBuilder(sidecar.adminUrl("/health/ready"))
                                                 .GET().build()).body();
            assertTrue(health.contains("\"status\":\"UP\"") && health.contains("disabled"), health);
            String metrics = sidecar.metricsContaining("outcome=\"allowed\"");
            assertTrue(metrics.contains("llm_sidecar_policy_evaluation_seconds_count 0.0"), "nothing evaluated");
            assertFalse(metrics.contains("llm_sidecar_policy_denials_total{"));
            assertTrue(sidecar.sidecar().policy().describe().startsWith("DISABLED"));
        }
    }
}
