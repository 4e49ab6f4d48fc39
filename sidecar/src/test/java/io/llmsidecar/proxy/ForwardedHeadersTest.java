package io.llmsidecar.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.WritableHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The allow-list of request headers: what crosses, what is dropped, and which entries cannot be added. */
class ForwardedHeadersTest {
    private static final String UUID = "0f8fad5b-d9cb-469f-a165-70867728950e";

    private static WritableHeaders<?> inbound(String... nameValues) {
        WritableHeaders<?> h = WritableHeaders.create();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(HeaderValues.create(HeaderNames.create(nameValues[i]), nameValues[i + 1]));
        }
        return h;
    }

    /** What crosses, lower-cased names to values. */
    private static Map<String, String> forwarded(ForwardedHeaders list, boolean governed, String... nameValues) {
        WritableHeaders<?> out = WritableHeaders.create();
        list.copyRequest(inbound(nameValues), out, false, governed);
        Map<String, String> seen = new LinkedHashMap<>();
        out.forEach(h -> seen.put(h.headerName().lowerCase(), String.join(",", h.allValues())));
        return seen;
    }

    @Test
    void theDefaultsForwardTheSdksHeadersAndDropEverythingElse() {
        Map<String, String> seen = forwarded(ForwardedHeaders.create(List.of()), true,
                "User-Agent", "OpenAI/Python 1.54.0",
                "X-Stainless-Lang", "python", "X-Stainless-OS", "Linux", "X-Stainless-Arch", "x64",
                "X-Stainless-Runtime", "CPython", "X-Stainless-Runtime-Version", "3.12.1",
                "X-Stainless-Retry-Count", "0", "X-Stainless-Read-Timeout", "600",
                "OpenAI-Beta", "assistants=v2", "anthropic-version", "2023-06-01",
                "anthropic-beta", "prompt-caching-2024-07-31,token-efficient-tools-2025-02-19",
                "X-Claude-Code-Session-Id", UUID,
                "X-Portkey-Config", "{\"provider\":\"anthropic\"}", "X-Gateway-Provider", "openai",
                "OpenAI-Organization", "org-other", "OpenAI-Project", "proj_other",
                "x-api-key", "sk-app-own", "Authorization", "Bearer sk-app-own", "Cookie", "session=1",
                "X-Prompt", "my password is hunter2", "x-llm-team", "other", "X-HTTP-Method-Override", "GET",
                "X-Forwarded-Host", "api.openai.com", "Forwarded", "host=x", "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertEquals(Map.ofEntries(
                Map.entry("user-agent", "OpenAI/Python 1.54.0"), Map.entry("x-stainless-lang", "python"),
                Map.entry("x-stainless-os", "Linux"), Map.entry("x-stainless-arch", "x64"),
                Map.entry("x-stainless-runtime", "CPython"), Map.entry("x-stainless-runtime-version", "3.12.1"),
                Map.entry("x-stainless-retry-count", "0"), Map.entry("x-stainless-read-timeout", "600"),
                Map.entry("openai-beta", "assistants=v2"), Map.entry("anthropic-version", "2023-06-01"),
                Map.entry("anthropic-beta", "prompt-caching-2024-07-31,token-efficient-tools-2025-02-19"),
                Map.entry("x-claude-code-session-id", UUID)), seen);
    }

    @Test
    void contentNegotiationIsTheSidecarsOnGovernedRoutesAndTheAppsOnReadOnlyOnes() {
        String[] sent = {"Accept", "text/event-stream", "Accept-Encoding", "gzip, br", "Content-Type",
                         "application/json; charset=utf-8"};
        assertEquals(Map.of(), forwarded(ForwardedHeaders.create(List.of()), true, sent));
        assertEquals(Map.of("accept", "text/event-stream", "accept-encoding", "gzip, br",
                            "content-type", "application/json; charset=utf-8"),
                     forwarded(ForwardedHeaders.create(List.of()), false, sent));
    }

    @Test
    void theAppsAuthorizationCrossesOnlyInExplicitPassThroughModeAndItsApiKeyNever() {
        WritableHeaders<?> out = WritableHeaders.create();
        ForwardedHeaders.create(List.of()).copyRequest(inbound("Authorization", "Bearer app", "x-api-key", "app",
                                                               "api-key", "app"), out, true, true);
        assertEquals("Bearer app", out.get(HeaderNames.AUTHORIZATION).get());
        assertEquals(1, out.size());
    }

    @Test
    void boundedEntriesDropValuesThatAreNotTelemetrySized() {
        ForwardedHeaders list = ForwardedHeaders.create(List.of());
        String prompt = "Summarise: " + "the customer's card 4111 1111 1111 1111 and more ".repeat(10);
        assertEquals(Map.of(), forwarded(list, true, "User-Agent", prompt, "X-Stainless-Lang", "x".repeat(65),
                                         "X-Claude-Code-Session-Id", "alice@example.com",
                                         "X-Claude-Code-Session-Id", UUID + "0", "OpenAI-Beta", "é=v2"));
        assertEquals(Map.of("x-claude-code-session-id", UUID.toUpperCase()),
                     forwarded(list, true, "X-Claude-Code-Session-Id", UUID.toUpperCase()));
    }

    @Test
    void aPrefixForwardsAtMostSixteenHeaders() {
        String[] many = new String[40];
        for (int i = 0; i < 20; i++) {
            many[2 * i] = "X-Stainless-Field-" + i;
            many[2 * i + 1] = "v" + i;
        }
        Map<String, String> seen = forwarded(ForwardedHeaders.create(List.of()), true, many);
        assertEquals(ForwardedHeaders.MAX_PER_PREFIX, seen.size());
        assertTrue(seen.keySet().stream().allMatch(k -> k.startsWith("x-stainless-field-")), seen.toString());
    }

    @Test
    void operatorEntriesExtendTheListAsNamesOrPrefixes() {
        ForwardedHeaders list = ForwardedHeaders.create(List.of("baggage", "X-Acme-*"));
        assertEquals(Map.of("baggage", "k=v", "x-acme-tenant", "a", "x-acme-trace", "b"),
                     forwarded(list, true, "baggage", "k=v", "X-Acme-Tenant", "a", "x-acme-trace", "b",
                               "X-Portkey-Config", "{}", "traceparent", "00-1-2-01", "tracestate", "x=1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Authorization", "x-api-key", "api-key", "Proxy-Authorization", "Host", "Content-Length",
                            "Transfer-Encoding", "Connection", "TE", "Upgrade", "Content-Encoding", "x-request-id",
                            "X-HTTP-Method-Override", "X-Forwarded-Host", "Forwarded", "x-original-url",
                            "x-llm-team", "x-llm-*", "x-ll*", "x-*", "x-api*", "*", "auth*", "content-*", "host*",
                            "traceparent", "tracestate", "trace*"})
    void entriesTheSidecarControlsCannotBeAddedAndTheProblemSaysWhy(String entry) {
        String problem = ForwardedHeaders.problem(entry).orElseThrow();
        assertTrue(problem.startsWith("a header the sidecar does not control; "), problem);
        assertTrue(problem.contains(" is ") || problem.contains(" belongs ") || problem.contains(" asks ")
                   || problem.contains("x-llm-*"), problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "two words", "x-acme-*-more", "x:y", "ümlaut", "x-acme\tx"})
    void entriesThatAreNoHeaderNameAreRefused(String entry) {
        assertEquals("a header name, or a prefix ending in '*' such as x-acme-*",
                     ForwardedHeaders.problem(entry).orElseThrow());
    }

    @Test
    void ordinaryEntriesAreAccepted() {
        for (String entry : List.of("x-acme-*", "OpenAI-Beta", "baggage", "x-b3-traceid")) {
            assertFalse(ForwardedHeaders.problem(entry).isPresent(), entry);
        }
    }
}
