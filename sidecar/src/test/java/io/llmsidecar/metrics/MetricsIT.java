package io.llmsidecar.metrics;

import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static io.llmsidecar.testing.StubUpstream.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exact metric values after a known sequence of requests through a real sidecar, and bounded label sets. */
class MetricsIT {
    private static final String JSON_BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                                            + "\"Plan meals for the week.\"}]}";
    private static final String STREAM_BODY = JSON_BODY.replace("{\"model\"", "{\"stream\":true,\"model\"");
    private StubUpstream upstream;
    private TestSidecar sidecar;

    @BeforeEach
    void start() {
        upstream = StubUpstream.start();
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            if (request.bodyText().contains("\"stream\":true")) {
                StubUpstream.sse(events(cassette("chat-completion.sse")), Duration.ZERO).respond(exchange, request);
            } else {
                StubUpstream.json(200, cassette("chat-completion.json")).respond(exchange, request);
            }
        });
        sidecar = TestSidecar.start(upstream, Map.of());
    }

    @AfterEach
    void stop() {
        sidecar.close();
        upstream.close();
    }

    @Test
    void threeJsonAndTwoStreamedCompletionsGiveExactTokenAndCostTotals() {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, sidecar.chat(JSON_BODY, "x-llm-team", "acct").statusCode());
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(200, sidecar.chat(STREAM_BODY, "x-llm-team", "acct").statusCode());
        }
        String m = sidecar.metricsContaining("llm_sidecar_requests_total{model=\"gpt-4o-mini\",outcome=\"allowed\","
                                             + "status=\"200\",} 5.0");
        // JSON cassette: 15 prompt + 245 completion tokens; stream cassette: 17 + 20.
        assertEquals(3 * 15 + 2 * 17, value(m, "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"acct\","
                                              + "type=\"prompt\",usage_source=\"gateway\",}"));
        assertEquals(3 * 245 + 2 * 20, value(m, "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"acct\","
                                               + "type=\"completion\",usage_source=\"gateway\",}"));
        // gpt-4o-mini at $0.15 / $0.60 per million: 3 x $0.00014925 + 2 x $0.00001455.
        assertEquals(0.00047685, value(m, "llm_sidecar_cost_usd_total{model=\"gpt-4o-mini\",team=\"acct\",}"), 1e-15);
        assertFalse(m.contains("usage_source=\"estimated\""), "nothing was estimated");
        assertEquals(5, value(m, "llm_sidecar_upstream_duration_seconds_count{model=\"gpt-4o-mini\",}"));
        assertEquals(2, value(m, "llm_sidecar_time_to_first_token_seconds_count{model=\"gpt-4o-mini\",}"));
        assertEquals(5, value(m, "llm_sidecar_overhead_seconds_count"));
        assertEquals(5, value(m, "llm_sidecar_policy_evaluation_seconds_count"));
        assertTrue(value(m, "llm_sidecar_upstream_duration_seconds_sum{model=\"gpt-4o-mini\",}") > 0);
        assertEquals(1, value(m, "llm_sidecar_policy_info{revision=\"" + revision(m) + "\",source=\"bundled\",}"));
        assertEquals(1, value(m, "llm_sidecar_build_info{version=\"test\",}"));
        assertTrue(m.contains("jvm_memory_bytes_used{area=\"heap\",}"), "JVM metrics are exported");
        assertFalse(m.contains("_created"), "no _created series doubling every counter");
    }

    @Test
    void refusalsAreCountedByOutcomeAndModelIsNormalised() {
        sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[]}");
        sidecar.chat("{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                     + "\"my key is AKIAIOSFODNN7EXAMPLE\"}]}");
        String m = sidecar.metricsContaining("outcome=\"invalid\",status=\"400\"", "outcome=\"denied_policy\"");
        assertEquals(1, value(m, "llm_sidecar_requests_total{model=\"other\",outcome=\"invalid\",status=\"400\",}"));
        assertEquals(1, value(m, "llm_sidecar_requests_total{model=\"other\",outcome=\"denied_policy\","
                                 + "status=\"403\",}"), "an unpriced model is labelled other, never by its name");
        assertEquals(1, value(m, "llm_sidecar_requests_total{model=\"gpt-4o-mini\",outcome=\"denied_policy\","
                                 + "status=\"403\",}"));
        assertFalse(m.contains("no-such-model"), "model labels come from the price book only");
        assertEquals(1, value(m, "llm_sidecar_policy_denials_total{reason=\"model_not_priced\",policy=\"pricing\",}"));
        assertEquals(1, value(m, "llm_sidecar_policy_denials_total{reason=\"secret_in_prompt\",policy=\"secrets\",}"));
    }

    @Test
    void aThousandUsersAndThreeHundredTeamsDoNotExplodeTheSeries() {
        sidecar.chat(JSON_BODY, "x-llm-user", "warm-up", "x-llm-team", "t-0");
        int before = seriesCount(sidecar.metricsContaining("team=\"t-0\""));
        for (int i = 0; i < 1000; i++) {
            sidecar.chat(JSON_BODY, "x-llm-user", "user-" + i, "x-llm-team", "t-0");
        }
        String m = sidecar.metricsContaining("llm_sidecar_requests_total{model=\"gpt-4o-mini\",outcome=\"allowed\","
                                             + "status=\"200\",} 1001.0");
        assertEquals(before, seriesCount(m), "a thousand users add no series");
        assertFalse(m.contains("user-"), "users are never a label");

        for (int i = 1; i < 300; i++) {
            sidecar.chat(JSON_BODY, "x-llm-team", "t-" + i);
        }
        m = sidecar.metricsContaining("team=\"other\"");
        long teams = Pattern.compile("llm_sidecar_cost_usd_total\\{model=\"gpt-4o-mini\",team=\"([^\"]*)\"")
                .matcher(m).results().count();
        assertEquals(SidecarMetrics.MAX_TEAMS + 1, teams, "teams are capped, the rest counted as other");
    }

    private static int seriesCount(String metrics) {
        return (int) metrics.lines().filter(l -> l.startsWith("llm_sidecar_")).count();
    }

    private static String revision(String metrics) {
        Matcher m = Pattern.compile("llm_sidecar_policy_info\\{revision=\"([^\"]+)\"").matcher(metrics);
        assertTrue(m.find(), "policy_info is exported");
        return m.group(1);
    }

    static double value(String metrics, String series) {
        return metrics.lines()
                .filter(l -> l.startsWith(series + " "))
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no series " + series + " in:\n" + metrics));
    }
}
