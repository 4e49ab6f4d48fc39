package io.llmsidecar.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pod's team is authoritative: an app in the pod that exhausted its team's budget cannot buy a fresh one by
 * naming another team in {@code x-llm-team}, and the header never reaches the gateway.
 */
class TeamHeaderIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 8 prompt tokens + 40 completion tokens = 48 reserved; the cassette reports 45 used (see BudgetIT). */
    private static final String SMALL = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                        + "\"max_tokens\":40}";
    private static final String BUDGET = """
                                         budgets:
                                           - name: team-daily
                                             scope: [team]
                                             window: day
                                             tokens: 200
                                         """;
    private StubUpstream upstream;

    @BeforeEach
    void startUpstream() {
        upstream = StubUpstream.start();
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void aForgedTeamHeaderGetsNoFreshBudgetOnceThePodsTeamIsExhausted() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, BUDGET, Map.of("identity.team", "payments",
                                                                               "identity.trust-team-header", "false"))) {
            int admitted = 0;
            HttpResponse<String> last;
            while ((last = sidecar.chat(SMALL)).statusCode() == 200) {
                admitted++;
                awaitSettled(sidecar);
                assertTrue(admitted < 10, "the 200-token budget never ran out");
            }
            assertEquals(429, last.statusCode(), last.body());
            int forwarded = upstream.requestCount();

            for (int n = 1; n <= 5; n++) {
                HttpResponse<String> forged = sidecar.chat(SMALL, "x-llm-team", "someone-else-" + n);
                assertEquals(429, forged.statusCode(), forged.body());
                JsonNode error = JSON.readTree(forged.body()).get("error");
                assertEquals("budget_exceeded", error.get("code").asText());
                assertTrue(error.get("message").asText().contains("team=payments"), error.toString());
            }
            assertEquals(forwarded, upstream.requestCount(), "nothing refused was forwarded");
            String list = sidecar.send(sidecar.adminRequest("/admin/budgets").GET().build()).body();
            assertTrue(!list.contains("someone-else"), "no counter for a forged team: " + list);
            for (StubUpstream.Recorded r : upstream.requests()) {
                assertNull(r.header("x-llm-team"), "x-llm-team is never forwarded");
            }
        }
    }

    @Test
    void theHeaderIsIgnoredButNeverForwardedWhenNotTrusted() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of("identity.team", "payments",
                                                                      "identity.trust-team-header", "false"))) {
            assertEquals(200, sidecar.chat(SMALL, "x-llm-team", "search", "x-llm-user", "alice").statusCode());

            StubUpstream.Recorded forwarded = upstream.awaitRequest(Duration.ofSeconds(5));
            assertNull(forwarded.header("x-llm-team"));
            assertNull(forwarded.header("x-llm-user"));
        }
    }

    @Test
    void aTrustedHeaderNamesTheTeamAndGetsItsOwnBudget() {
        try (TestSidecar sidecar = TestSidecar.start(upstream, BUDGET, Map.of("identity.team", "payments",
                                                                               "identity.trust-team-header", "true"))) {
            while (sidecar.chat(SMALL).statusCode() == 200) {
                awaitSettled(sidecar);
            }
            // The explicit single-tenant choice: the header wins, so a header team has its own counter.
            assertEquals(200, sidecar.chat(SMALL, "x-llm-team", "search").statusCode());
        }
    }

    /** Waits until no reservation is held, so the next request sees the settled usage. */
    private static void awaitSettled(TestSidecar sidecar) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            String list = sidecar.send(sidecar.adminRequest("/admin/budgets").GET().build()).body();
            if (list.contains("\"reserved_tokens\":0")) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("reservations never settled");
    }
}
