package io.llmsidecar.proxy;

import io.llmsidecar.detect.FindingKind;
import io.llmsidecar.logging.LineLog;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.policy.Settlement;
import io.llmsidecar.policy.Decision;
import io.llmsidecar.pricing.PricedModel;
import io.llmsidecar.pricing.Usd;
import io.llmsidecar.tracing.SpanFacts;

import java.util.List;
import java.util.Locale;


/**
 * Records a finished {@link Exchange}: metrics always, and one access-log line when enabled. The line carries ids,
 * the model, the outcome and token counts; never prompt or completion text, and never a key.
 */
final class ExchangeRecorder {
    private static final LineLog ACCESS = LineLog.named("io.llmsidecar.access");
    private static final String OTHER = "other";

    private final SidecarMetrics metrics;
    private final boolean accessLog;
    private final PolicyEngine policy;

    ExchangeRecorder(SidecarMetrics metrics, boolean accessLog, PolicyEngine policy) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.policy = policy;
    }

    void record(Exchange ex) {
        long totalNanos = System.nanoTime() - ex.startNanos;
        PricedModel priced = ex.pricedModel();
        String model = priced != null ? priced.name() : OTHER;
        metrics.request(model, ex.outcome.label(), ex.status);
        Usage usage = ex.usage();
        long costNanos = 0;
        if (ex.completion != null) {
            Completion c = ex.completion;
            String team = ex.subject == null ? "" : ex.subject.team();
            costNanos = priced == null ? 0 : priced.price().costNanos(usage);
            metrics.usage(model, team, usage.promptTokens(), usage.completionTokens(), usage.cachedPromptTokens(),
                          usage.cacheWriteTokens(), usage.source().label(), Usd.toDouble(costNanos));
            metrics.upstreamLatency(model, c.upstreamNanos());
            metrics.overhead(Math.max(0, totalNanos - c.upstreamNanos()));
            if (c.firstTokenAt() > 0) {
                metrics.timeToFirstToken(model, c.firstTokenAt() - ex.startNanos);
            }
            if (ex.api != null) {
                policy.settled(new Settlement(ex.decisionId, ex.requestId, ex.api.label(), ex.model,
                                              priced == null ? "" : priced.name(), ex.subject, usage, costNanos,
                                              priced == null ? "" : priced.priceBookRevision(), ex.status,
                                              ex.outcome.label()));
            }
        } else {
            metrics.overhead(totalNanos);
        }
        if (accessLog && ACCESS.enabled()) {
            ACCESS.info(line(ex, usage, costNanos, totalNanos));
        }
        if (ex.trace.recording()) {
            ex.trace.end(facts(ex, usage, priced == null ? -1 : Usd.toDouble(costNanos)));
        }
    }

    /** The server span's attributes: codes, kinds and counts, never text ({@link SpanFacts}). */
    private static SpanFacts facts(Exchange ex, Usage usage, double costUsd) {
        String errorType = ex.errorKind != null
                ? ex.errorKind.name().toLowerCase(Locale.ROOT)
                : ex.outcome == Outcome.UPSTREAM_ERROR ? "upstream_error" : "";
        String decision = "";
        List<String> denyReasons = List.of();
        String patched = "";
        switch (ex.decision) {
            case null -> { }
            case Decision.Allow allow -> {
                decision = "allow";
                patched = allow.patchedFields();
            }
            case Decision.Deny deny -> {
                decision = "deny";
                denyReasons = deny.reasons().stream().map(Decision.Reason::code).toList();
            }
            case Decision.Failed failed -> decision = "error";
        }
        List<String> findings = ex.findings == null
                ? List.of()
                : ex.findings.kinds().stream().map(FindingKind::code).toList();
        Completion c = ex.completion;
        return new SpanFacts(ex.model, ex.answer.model(), ex.maxTokens, c != null && c.streamed(), ex.status,
                             ex.outcome.label(), errorType, ex.code, ex.requestId,
                             ex.subject == null ? "" : ex.subject.team(), ex.policyRevision, decision, denyReasons,
                             findings, patched, ex.budget == null ? "" : ex.budget.label(),
                             usage.promptTokens(), usage.completionTokens(), usage.cachedPromptTokens(),
                             usage.cacheWriteTokens(), c == null ? "" : usage.source().label(),
                             c == null ? -1 : costUsd, ex.answer.finishReasons(), c == null ? 0 : c.firstTokenAt());
    }

    private static String line(Exchange ex, Usage usage, long costNanos, long totalNanos) {
        StringBuilder b = new StringBuilder(192)
                .append("request_id=").append(ex.requestId)
                .append(" method=").append(ex.method)
                .append(" path=").append(quoted(RequestTarget.printable(ex.path)))
                .append(" status=").append(ex.status)
                .append(" outcome=").append(ex.outcome.label());
        if (ex.api != null) {
            b.append(" api=").append(ex.api.label());
        }
        if (!ex.code.isEmpty()) {
            b.append(" code=").append(ex.code);
        }
        if (!ex.model.isEmpty()) {
            b.append(" model=").append(quoted(ex.model));
        }
        if (!ex.policyRevision.isEmpty()) {
            b.append(" policy_revision=").append(quoted(ex.policyRevision));
        }
        if (ex.subject != null && !ex.subject.team().isEmpty()) {
            b.append(" team=").append(quoted(ex.subject.team()));
        }
        if (ex.completion != null) {
            b.append(" stream=").append(ex.completion.streamed())
                    .append(" prompt_tokens=").append(usage.promptTokens())
                    .append(" completion_tokens=").append(usage.completionTokens())
                    .append(" usage_source=").append(usage.source().label())
                    .append(" cost_usd=").append(Usd.toDecimal(costNanos).toPlainString());
            if (ex.completion.end() != SseRelay.End.COMPLETE) {
                b.append(" end=").append(ex.completion.end().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        long micros = totalNanos / 1000;
        long fraction = micros % 1000;
        b.append(" duration_ms=").append(micros / 1000).append('.')
                .append(fraction < 100 ? (fraction < 10 ? "00" : "0") : "").append(fraction);
        return b.toString();
    }

    /** Values from requests go out quoted and without control characters, so a header cannot forge log lines. */
    private static String quoted(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            b.append(c < 0x20 || c == '"' || c == '\\' ? '_' : c);
        }
        return b.append('"').toString();
    }
}
