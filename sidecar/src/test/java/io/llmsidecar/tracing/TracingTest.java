package io.llmsidecar.tracing;

import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.SidecarException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SDK side of {@link Tracing}, against an exporter that keeps what it is given. */
class TracingTest {
    private static final String APP_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String APP_SPAN = "b7ad6b7169203331";
    private static final URI TARGET = URI.create("http://gateway:4000/v1/chat/completions");
    private static final SpanFacts FACTS = new SpanFacts(
            "gpt-4o-mini", "", -1, false, 429, "denied_budget", "budget_exceeded", "budget_exceeded", "r1", "t", "",
            "", List.of(), List.of(), "", "exceeded", 0, 0, 0, 0, "", -1, List.of(), 0);

    private final List<SpanData> exported = new CopyOnWriteArrayList<>();
    private final SpanExporter keeping = new SpanExporter() {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            exported.addAll(spans);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    };

    private static Map<String, String> headers(UpstreamCall call) {
        Map<String, String> headers = new HashMap<>();
        call.inject(headers::put);
        return headers;
    }

    @Test
    void aRefusalMarksTheStageAndTheServerSpanWithItsKind() {
        Tracing tracing = Tracing.create(TracingConfig.off(), "t", keeping);
        RequestTrace trace = tracing.governed(Api.CHAT_COMPLETIONS, "POST", "/v1/chat/completions",
                                              "00-" + APP_TRACE + "-" + APP_SPAN + "-01", null);
        assertTrue(trace.recording());
        assertThrows(SidecarException.class, () -> trace.within(Stage.BUDGET_RESERVE, () -> {
            throw SidecarException.invalidRequest("x", null, "refused");
        }));
        trace.end(FACTS);
        tracing.close();

        SpanData server = exported.stream().filter(s -> s.getName().equals("chat gpt-4o-mini")).findFirst()
                .orElseThrow();
        assertEquals(APP_TRACE, server.getTraceId());
        assertEquals(APP_SPAN, server.getParentSpanId());
        assertEquals(StatusCode.ERROR, server.getStatus().getStatusCode());
        assertEquals("budget_exceeded", server.getAttributes().get(AttributeKey.stringKey("error.type")));
        SpanData reserve = exported.stream().filter(s -> s.getName().equals("llm_sidecar.budget.reserve"))
                .findFirst().orElseThrow();
        assertEquals(server.getSpanId(), reserve.getParentSpanId());
        assertEquals("invalid", reserve.getAttributes().get(AttributeKey.stringKey("error.type")));
    }

    @Test
    void anUnsampledAppTraceExportsNothingButStillPropagates() {
        Tracing tracing = Tracing.create(TracingConfig.off(), "t", keeping);
        RequestTrace trace = tracing.governed(Api.CHAT_COMPLETIONS, "POST", "/v1/chat/completions",
                                              "00-" + APP_TRACE + "-" + APP_SPAN + "-00", null);
        assertFalse(trace.recording());
        UpstreamCall call = trace.upstreamCall("POST", TARGET);
        String traceparent = headers(call).get("traceparent");
        call.end(200, null);
        tracing.close();
        assertTrue(traceparent.startsWith("00-" + APP_TRACE + "-") && traceparent.endsWith("-00"), traceparent);
        assertFalse(traceparent.contains(APP_SPAN));
        assertTrue(exported.isEmpty(), exported.toString());
    }

    @Test
    void aMalformedTraceparentStartsARootSpanWhenExporting() {
        Tracing tracing = Tracing.create(TracingConfig.off(), "t", keeping);
        RequestTrace trace = tracing.governed(Api.MESSAGES, "POST", "/v1/messages", "00-zz-" + "a".repeat(5000), null);
        UpstreamCall call = trace.upstreamCall("POST", TARGET);
        String traceparent = headers(call).get("traceparent");
        call.end(502, "upstream_error");
        trace.end(FACTS);
        tracing.close();
        SpanData server = exported.stream().filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.SERVER)
                .findFirst().orElseThrow();
        assertFalse(server.getParentSpanContext().isValid(), "a root span");
        SpanData upstream = exported.stream().filter(s -> s.getName().equals("POST")).findFirst().orElseThrow();
        // Sampled; the SDK also sets W3C level 2's random-trace-id flag (03) on a trace it starts.
        assertTrue(traceparent.startsWith("00-" + server.getTraceId() + "-" + upstream.getSpanId() + "-"), traceparent);
        assertEquals(1, Integer.parseInt(traceparent.substring(53), 16) & 1, traceparent);
        assertEquals(StatusCode.ERROR, upstream.getStatus().getStatusCode());
        assertEquals(502L, upstream.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
    }

    @Test
    void theOperationNamesFollowTheGenAiConventions() {
        assertEquals("chat", Tracing.operation(Api.CHAT_COMPLETIONS));
        assertEquals("chat", Tracing.operation(Api.RESPONSES));
        assertEquals("chat", Tracing.operation(Api.MESSAGES));
        assertEquals("embeddings", Tracing.operation(Api.EMBEDDINGS));
        assertEquals("text_completion", Tracing.operation(Api.COMPLETIONS));
        assertEquals("count_tokens", Tracing.operation(Api.MESSAGES_COUNT_TOKENS));
    }
}
