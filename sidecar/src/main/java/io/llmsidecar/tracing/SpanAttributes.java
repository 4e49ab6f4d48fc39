package io.llmsidecar.tracing;

import io.llmsidecar.openai.SidecarException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;

import java.util.List;
import java.util.Locale;

/**
 * The attributes the sidecar's spans carry: OpenTelemetry's GenAI and HTTP semantic conventions where one applies,
 * {@code llm_sidecar.*} for the rest (docs/METRICS.md maps each). Only counts, names, codes and kinds: a prompt's
 * text, a completion's text, a policy's messages and a key never become an attribute.
 */
final class SpanAttributes {
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Long> CACHE_READ = AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
    static final AttributeKey<Long> CACHE_CREATION = AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens");
    static final AttributeKey<List<String>> FINISH_REASONS =
            AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    static final AttributeKey<Double> TIME_TO_FIRST_TOKEN =
            AttributeKey.doubleKey("gen_ai.server.time_to_first_token");
    static final String FIRST_TOKEN_EVENT = "llm_sidecar.first_token";

    static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");

    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("llm_sidecar.request_id");
    static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("llm_sidecar.stream");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("llm_sidecar.outcome");
    static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("llm_sidecar.error.code");
    static final AttributeKey<String> TEAM = AttributeKey.stringKey("llm_sidecar.team");
    static final AttributeKey<String> POLICY_REVISION = AttributeKey.stringKey("llm_sidecar.policy.revision");
    static final AttributeKey<String> DECISION = AttributeKey.stringKey("llm_sidecar.policy.decision");
    static final AttributeKey<List<String>> DENY_REASONS =
            AttributeKey.stringArrayKey("llm_sidecar.policy.deny_reasons");
    static final AttributeKey<List<String>> FINDINGS = AttributeKey.stringArrayKey("llm_sidecar.findings");
    static final AttributeKey<String> PATCHED = AttributeKey.stringKey("llm_sidecar.policy.patched_fields");
    static final AttributeKey<String> BUDGET = AttributeKey.stringKey("llm_sidecar.budget.outcome");
    static final AttributeKey<Double> COST = AttributeKey.doubleKey("llm_sidecar.cost_usd");
    static final AttributeKey<String> USAGE_SOURCE = AttributeKey.stringKey("llm_sidecar.usage.source");

    private SpanAttributes() {
    }

    static void write(Span span, SpanFacts f) {
        string(span, REQUEST_MODEL, f.requestModel());
        string(span, RESPONSE_MODEL, f.responseModel());
        if (f.maxTokens() >= 0) {
            span.setAttribute(MAX_TOKENS, f.maxTokens());
        }
        span.setAttribute(STREAM, f.stream());
        span.setAttribute(HTTP_STATUS, (long) f.status());
        string(span, OUTCOME, f.outcome());
        string(span, ERROR_CODE, f.errorCode());
        string(span, REQUEST_ID, f.requestId());
        string(span, TEAM, f.team());
        string(span, POLICY_REVISION, f.policyRevision());
        string(span, DECISION, f.decision());
        list(span, DENY_REASONS, f.denyReasons());
        list(span, FINDINGS, f.findings());
        string(span, PATCHED, f.patchedFields());
        string(span, BUDGET, f.budget());
        if (!f.usageSource().isEmpty()) {
            span.setAttribute(INPUT_TOKENS, f.inputTokens());
            span.setAttribute(OUTPUT_TOKENS, f.outputTokens());
            span.setAttribute(CACHE_READ, f.cacheReadTokens());
            span.setAttribute(CACHE_CREATION, f.cacheCreationTokens());
            span.setAttribute(USAGE_SOURCE, f.usageSource());
        }
        if (f.costUsd() >= 0) {
            span.setAttribute(COST, f.costUsd());
        }
        list(span, FINISH_REASONS, f.finishReasons());
    }

    /** A refusal's or failure's kind, as {@code error.type}: {@code policy_denied}, {@code budget_exceeded}... */
    static String errorType(Throwable e) {
        return e instanceof SidecarException s
                ? s.kind().name().toLowerCase(Locale.ROOT)
                : e.getClass().getName();
    }

    private static void string(Span span, AttributeKey<String> key, String value) {
        if (value != null && !value.isEmpty()) {
            span.setAttribute(key, value);
        }
    }

    private static void list(Span span, AttributeKey<List<String>> key, List<String> values) {
        if (!values.isEmpty()) {
            span.setAttribute(key, values);
        }
    }
}
