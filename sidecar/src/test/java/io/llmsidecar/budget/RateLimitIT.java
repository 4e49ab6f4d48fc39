package io.llmsidecar.budget;

import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static io.llmsidecar.budget.BudgetIT.SMALL;
import static io.llmsidecar.budget.BudgetIT.read;
import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bucket4j rate limits in Redis, shared by two sidecars, and local buckets without Redis. */
class RateLimitIT {
    private static final String LIMITS = """
            rate-limits:
              - name: team-rpm
                scope: [team]
                requests-per-minute: 4
            """;
    private static RedisServer redis;
    private static StubUpstream upstream;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
        upstream = StubUpstream.start().otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
    }

    @AfterAll
    static void stop() {
        upstream.close();
        redis.close();
    }

    @Test
    void twoSidecarsShareOneLimitThroughRedis() {
        Map<String, String> config = Map.of("budget-store.redis-uri", redis.uri(),
                                            "budget-store.key-prefix", RedisServer.uniquePrefix());
        try (TestSidecar a = TestSidecar.start(upstream, LIMITS, config);
             TestSidecar b = TestSidecar.start(upstream, LIMITS, config)) {
            for (int i = 0; i < 4; i++) {
                assertEquals(200, (i % 2 == 0 ? a : b).chat(SMALL, "x-llm-team", "payments").statusCode());
            }

            HttpResponse<String> limited = b.chat(SMALL, "x-llm-team", "payments");

            assertLimited(limited);
            assertTrue(a.metrics().contains("outcome=\"rate_limited\",status=\"429\",} 0.0")
                       || !a.metrics().contains("outcome=\"rate_limited\""));
            assertTrue(b.metrics().contains("outcome=\"rate_limited\",status=\"429\",} 1.0"), b.metrics());
            assertEquals(200, a.chat(SMALL, "x-llm-team", "search").statusCode(), "each team has its own bucket");
        }
    }

    @Test
    void limitsWithLocalBucketsWithoutRedis() {
        try (TestSidecar sidecar = TestSidecar.start(upstream, LIMITS, Map.of())) {
            for (int i = 0; i < 4; i++) {
                assertEquals(200, sidecar.chat(SMALL, "x-llm-team", "payments").statusCode());
            }

            assertLimited(sidecar.chat(SMALL, "x-llm-team", "payments"));
        }
    }

    private static void assertLimited(HttpResponse<String> limited) {
        assertEquals(429, limited.statusCode());
        assertEquals("rate_limited", read(limited.body()).get("error").get("code").asText());
        assertEquals("rate_limit_error", read(limited.body()).get("error").get("type").asText());
        long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 15, "a quarter minute refills one of four: " + retryAfter);
    }
}
