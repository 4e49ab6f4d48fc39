package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llmsidecar.openai.RequestPatch;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Usd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Writes decision-log events in the shape of OPA's decision-log plugin ({@code decision_id}, {@code path},
 * {@code input}, {@code result}, {@code bundles}, {@code labels}, {@code timestamp}, {@code metrics}), so that a
 * collector built for OPA stores them as they are. What OPA has no field for goes under {@code custom}.
 *
 * <p>Two kinds of event, told apart by {@code path}: {@value #DECISION_PATH} (one per policy decision, with the
 * whole input document of the decision, which is what {@code replay} needs, even where the policy's module was given
 * only the fields it reads: see {@link InputFields}) and {@value #SETTLEMENT_PATH} (one per
 * forwarded request, with what it was charged). The example events are in policies/README.md.
 */
final class DecisionEvents {
    static final String DECISION_PATH = "sidecar/decision";
    static final String SETTLEMENT_PATH = "sidecar/settlement";
    /** The bundle name under {@code bundles}: the sidecar loads one policy bundle. */
    static final String BUNDLE = "sidecar";
    private static final JsonFactory JSON = new JsonFactory();

    private final DecisionLabels labels;

    DecisionEvents(DecisionLabels labels) {
        this.labels = labels;
    }

    /**
     * One decision.
     *
     * @param inputJson the whole input document of the decision (prompt text only if the policy asked for it), in
     *                  the UTF-8 {@link PolicyInput} wrote, copied as it is
     * @param shadow    the shadow policy's decision, or {@code null} when there is none
     */
    String decision(PolicyInput input, byte[] inputJson, Decision decision, boolean failedOpen, long evalNanos,
                    Decision shadow, Instant at) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(inputJson.length + 768);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("decision_id", input.decisionId());
            g.writeStringField("path", DECISION_PATH);
            g.writeFieldName("input");
            // The document is already JSON in UTF-8: an empty raw value makes the generator write the ':' of the
            // field, and the bytes follow it unchanged, without a trip through a String.
            g.writeRawValue("");
            g.flush();
            out.write(inputJson);
            writeOutcome(g, decision);
            writeBundles(g, decision.revision());
            writeLabels(g);
            g.writeStringField("timestamp", at.toString());
            g.writeObjectFieldStart("metrics");
            g.writeNumberField("timer_rego_query_eval_ns", evalNanos);
            g.writeEndObject();

            g.writeObjectFieldStart("custom");
            g.writeStringField("request_id", input.requestId());
            g.writeStringField("outcome", outcome(decision, failedOpen));
            DecisionLog.PromptDigest digest = DecisionLog.PromptDigest.of(input.request().promptTexts());
            g.writeObjectFieldStart("prompt");
            g.writeNumberField("count", input.messageCount());
            g.writeNumberField("bytes", digest.bytes());
            g.writeStringField("sha256", digest.sha256());
            g.writeEndObject();
            if (shadow != null) {
                g.writeObjectFieldStart("shadow");
                writeOutcome(g, shadow);
                writeBundles(g, shadow.revision());
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The charge for one forwarded request. */
    String settlement(Settlement s, Instant at) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(640);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("decision_id", s.decisionId());
            g.writeStringField("path", SETTLEMENT_PATH);
            g.writeObjectFieldStart("result");
            g.writeStringField("request_id", s.requestId());
            g.writeStringField("api", s.api());
            g.writeStringField("model", s.model());
            g.writeStringField("priced_model", s.pricedModel());
            g.writeNumberField("status", s.status());
            g.writeStringField("outcome", s.outcome());
            if (s.subject() != null) {
                PolicyInput.writeSubject(g, s.subject());
            }
            Usage usage = s.usage();
            g.writeObjectFieldStart("tokens");
            g.writeNumberField("input", usage.uncachedPromptTokens());
            g.writeNumberField("cached", usage.cachedPromptTokens());
            g.writeNumberField("cache_write", usage.cacheWriteTokens());
            g.writeNumberField("output", usage.completionTokens());
            g.writeNumberField("prompt_total", usage.promptTokens());
            g.writeNumberField("total", usage.totalTokens());
            g.writeEndObject();
            g.writeStringField("usage_source", usage.source().label());
            g.writeFieldName("cost_usd");
            g.writeNumber(Usd.toDecimal(s.costNanos()).toPlainString());
            g.writeNumberField("cost_nanos_usd", s.costNanos());
            g.writeStringField("price_book_revision", s.priceBookRevision());
            g.writeEndObject();
            writeLabels(g);
            g.writeStringField("timestamp", at.toString());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * {@code result} in the decision contract's own shape (so replay reads it back with {@link DecisionParser}), or
     * OPA's {@code error} object when the policy could not be evaluated.
     */
    private static void writeOutcome(JsonGenerator g, Decision decision) throws IOException {
        switch (decision) {
            case Decision.Allow allow -> {
                g.writeObjectFieldStart("result");
                g.writeBooleanField("allow", true);
                g.writeArrayFieldStart("reasons");
                g.writeEndArray();
                writePatch(g, allow.patch());
                writeReasons(g, "warnings", decision.warnings());
                g.writeEndObject();
            }
            case Decision.Deny deny -> {
                g.writeObjectFieldStart("result");
                g.writeBooleanField("allow", false);
                writeReasons(g, "reasons", deny.reasons());
                writeReasons(g, "warnings", decision.warnings());
                g.writeEndObject();
            }
            case Decision.Failed failed -> {
                g.writeObjectFieldStart("error");
                g.writeStringField("code", "policy_error");
                g.writeStringField("message", failed.error());
                g.writeEndObject();
            }
        }
    }

    private static void writeReasons(JsonGenerator g, String field, java.util.List<Decision.Reason> reasons)
            throws IOException {
        g.writeArrayFieldStart(field);
        for (Decision.Reason reason : reasons) {
            g.writeStartObject();
            g.writeStringField("code", reason.code());
            g.writeStringField("message", reason.message());
            g.writeStringField("policy", reason.policy());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writePatch(JsonGenerator g, RequestPatch patch) throws IOException {
        g.writeObjectFieldStart("patch");
        if (patch.model().isPresent()) {
            g.writeStringField("model", patch.model().get());
        }
        if (patch.maxTokens().isPresent()) {
            g.writeNumberField("max_tokens", patch.maxTokens().getAsInt());
        }
        g.writeEndObject();
    }

    private static void writeBundles(JsonGenerator g, String revision) throws IOException {
        g.writeObjectFieldStart("bundles");
        g.writeObjectFieldStart(BUNDLE);
        g.writeStringField("revision", revision);
        g.writeEndObject();
        g.writeEndObject();
    }

    private void writeLabels(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("labels");
        g.writeStringField("id", labels.id());
        g.writeStringField("version", labels.version());
        g.writeStringField("pod", labels.pod());
        g.writeStringField("namespace", labels.namespace());
        g.writeEndObject();
    }

    static String outcome(Decision decision, boolean failedOpen) {
        return switch (decision) {
            case Decision.Allow allow -> allow.patch().isEmpty() ? "allow" : "patch";
            case Decision.Deny deny -> "deny";
            case Decision.Failed failed -> failedOpen ? "fail_open" : "error";
        };
    }
}
