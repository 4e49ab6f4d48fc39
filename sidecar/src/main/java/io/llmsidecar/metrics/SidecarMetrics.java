package io.llmsidecar.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.DefaultExports;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.OptionalLong;

/**
 * The sidecar's Prometheus metrics, in a registry of its own (no global state, so tests and several sidecars in one
 * JVM stay apart). This is the only code that imports {@code io.prometheus}: a move to the 1.x client stays here.
 *
 * <p>Label values are bounded: models are the price book's names or {@code other}, teams are capped by
 * {@link BoundedLabel}; nothing is ever labelled by user, key or request.
 */
public final class SidecarMetrics {
    static final String PREFIX = "llm_sidecar_";
    private static final double[] LATENCY_BUCKETS = {
            0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
            10, 30, 60, 120, 300};

    private static final double[] POLICY_BUCKETS = {
            0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25};

    private final CollectorRegistry registry = new CollectorRegistry(true);
    static final int MAX_TEAMS = 200;
    private final BoundedLabel teams = new BoundedLabel(MAX_TEAMS);
    // Reason codes and policy names come from Rego that operators write: capped like request data.
    private final BoundedLabel reasons = new BoundedLabel(100);
    private final BoundedLabel policies = new BoundedLabel(50);
    private final Counter requests;
    private final Counter tokens;
    private final Counter cost;
    private final Histogram upstreamSeconds;
    private final Histogram overheadSeconds;
    private final Histogram firstTokenSeconds;
    private final ConcurrentHashMap<String, RequestSeries> byModel = new ConcurrentHashMap<>();
    private final BudgetGauges budgets;
    private final Histogram budgetStoreSeconds;
    private final Counter budgetStoreErrors;
    private final Counter failOpenAdmissions;
    private final Counter budgetReplayed;
    private final Gauge budgetStoreUp;
    private final Histogram policySeconds;
    private final Counter policyDenials;
    private final Counter policyShadowDenials;
    private final Counter policyReloads;
    private final Counter policyLoadFailures;
    private final Counter policyErrors;
    private final Gauge policyInfo;
    private String[] policyInfoLabels;
    private final Counter decisionLogDropped;
    private final Counter decisionLogUploads;
    private final Gauge decisionLogBuffered;
    private final Counter policyBundleRefusals;

    public SidecarMetrics(String version) {
        requests = Counter.build(PREFIX + "requests_total", "Governed and pass-through requests by outcome.")
                .labelNames("model", "outcome", "status").register(registry);
        tokens = Counter.build(PREFIX + "tokens_total", "Tokens by model, team and type; usage_source tells "
                                                          + "gateway-reported from estimated counts.")
                .labelNames("model", "team", "type", "usage_source").register(registry);
        cost = Counter.build(PREFIX + "cost_usd_total", "Cost in USD by model and team, priced from the price book.")
                .labelNames("model", "team").register(registry);
        upstreamSeconds = Histogram.build(PREFIX + "upstream_duration_seconds",
                                          "Time from forwarding a request to the gateway's last byte.")
                .buckets(LATENCY_BUCKETS).labelNames("model").register(registry);
        overheadSeconds = Histogram.build(PREFIX + "overhead_seconds",
                                          "Time spent in the sidecar itself, excluding the gateway.")
                .buckets(LATENCY_BUCKETS).register(registry);
        firstTokenSeconds = Histogram.build(PREFIX + "time_to_first_token_seconds",
                                            "For streams: time from receiving the request to the first token.")
                .buckets(LATENCY_BUCKETS).labelNames("model").register(registry);
        budgets = new BudgetGauges(registry);
        budgetStoreSeconds = Histogram.build(PREFIX + "budget_store_seconds",
                                             "Time of one budget-store call (reserve, settle), round trip included.")
                .buckets(LATENCY_BUCKETS).labelNames("operation").register(registry);
        budgetStoreErrors = Counter.build(PREFIX + "budget_store_errors_total",
                                          "Budget-store calls that failed (store unreachable, timeout), by operation.")
                .labelNames("operation").register(registry);
        failOpenAdmissions = Counter.build(PREFIX + "fail_open_admissions_total",
                                           "Requests admitted without a budget check because the store was "
                                           + "unreachable (failure-mode fail-open).").register(registry);
        budgetReplayed = Counter.build(PREFIX + "budget_replayed_total",
                                       "Requests whose usage was accounted locally during a store outage and "
                                       + "replayed into the store afterwards.").register(registry);
        budgetStoreUp = Gauge.build(PREFIX + "budget_store_up",
                                    "1 while the last budget-store call succeeded, 0 while the store is unreachable.")
                .register(registry);
        budgetStoreUp.set(1);
        policySeconds = Histogram.build(PREFIX + "policy_evaluation_seconds",
                                        "Time to evaluate the enforced policy for one request.")
                .buckets(POLICY_BUCKETS).register(registry);
        policyDenials = Counter.build(PREFIX + "policy_denials_total",
                                      "Requests denied by policy, by reason code and policy (one per reason).")
                .labelNames("reason", "policy").register(registry);
        policyShadowDenials = Counter.build(PREFIX + "policy_shadow_denials_total",
                                            "Requests the shadow policy, or a warning of the enforced one (decision."
                                            + "warnings, e.g. shadowed findings), would have denied, by reason and "
                                            + "policy.")
                .labelNames("reason", "policy").register(registry);
        policyReloads = Counter.build(PREFIX + "policy_reloads_total",
                                      "Policy revisions loaded (the first one included).").register(registry);
        policyLoadFailures = Counter.build(PREFIX + "policy_load_failures_total",
                                           "Policy changes that failed to compile or load; the last good revision "
                                           + "stays active.").register(registry);
        policyErrors = Counter.build(PREFIX + "policy_errors_total",
                                     "Policy evaluations that failed (error, timeout, wrong result), by the failure "
                                     + "mode applied: fail_closed, fail_open, or shadow.")
                .labelNames("mode").register(registry);
        policyInfo = Gauge.build(PREFIX + "policy_info", "The enforced policy revision; the value is always 1.")
                .labelNames("revision", "source").register(registry);
        decisionLogDropped = Counter.build(PREFIX + "decision_log_dropped_total",
                                           "Decision-log events dropped before reaching the decision-log service, by "
                                           + "reason: buffer_full (the oldest events make room while the service is "
                                           + "slow or down), too_large (one event above the buffer size).")
                .labelNames("reason").register(registry);
        decisionLogUploads = Counter.build(PREFIX + "decision_log_uploads_total",
                                           "Uploads to the decision-log service, by result: ok or error (retried with "
                                           + "backoff).")
                .labelNames("result").register(registry);
        decisionLogBuffered = Gauge.build(PREFIX + "decision_log_buffered_events",
                                          "Decision-log events waiting for the decision-log service.")
                .register(registry);
        policyBundleRefusals = Counter.build(PREFIX + "policy_bundle_refusals_total",
                                             "Policy bundles refused before loading, by reason: unsigned, "
                                             + "bad_signature, tampered, wrong_scope; the last good revision serves.")
                .labelNames("reason").register(registry);
        // Series with a known, fixed label set exist from the start at 0, so rate() and alerts see them before the
        // first event rather than "no data".
        for (String operation : new String[] {"reserve", "settle", "rate_limit", "renew", "read", "list", "reset"}) {
            budgetStoreErrors.labels(operation);
        }
        for (String mode : new String[] {"fail_closed", "fail_open", "shadow"}) {
            policyErrors.labels(mode);
        }
        for (String reason : new String[] {"buffer_full", "too_large"}) {
            decisionLogDropped.labels(reason);
        }
        for (String result : new String[] {"ok", "error"}) {
            decisionLogUploads.labels(result);
        }
        Gauge.build(PREFIX + "build_info", "Build information; the value is always 1.")
                .labelNames("version").register(registry).labels(version).set(1);
        DefaultExports.register(registry);
    }

    /**
     * Exposes the tracing export queue's drops ({@code llm_sidecar_trace_spans_dropped_total}), read from
     * {@code dropped} at each scrape; 0 while spans are not exported.
     */
    public void traceSpansDropped(LongSupplier dropped) {
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                return List.of(new CounterMetricFamily(PREFIX + "trace_spans_dropped",
                                                       "Finished spans dropped because the OTLP export queue was full "
                                                       + "(a slow or unreachable collector).",
                                                       dropped.getAsLong()));
            }
        }.register(registry);
    }

    /**
     * Exposes the in-flight body budget, read at each scrape: {@code llm_sidecar_inflight_body_bytes} (held now),
     * {@code llm_sidecar_inflight_body_limit_bytes} and {@code llm_sidecar_inflight_body_refusals_total} (requests
     * and answers refused with 503 for want of room). Nothing is counted per request here.
     */
    public void bodiesInFlight(LongSupplier bytes, LongSupplier limit, LongSupplier refusals) {
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                return List.of(
                        new GaugeMetricFamily(PREFIX + "inflight_body_bytes",
                                              "Bytes of request bodies and whole gateway answers held in memory now.",
                                              bytes.getAsLong()),
                        new GaugeMetricFamily(PREFIX + "inflight_body_limit_bytes",
                                              "The most such bytes held at once (server.max-inflight-body-bytes).",
                                              limit.getAsLong()),
                        new CounterMetricFamily(PREFIX + "inflight_body_refusals",
                                                "Requests and answers refused with 503 because the bodies in flight "
                                                + "left no room in time (server.inflight-body-wait).",
                                                refusals.getAsLong()));
            }
        }.register(registry);
    }

    /**
     * Counts one finished request. {@code model} must be a price-book name or {@code other} (the caller normalises
     * it, which keeps the label bounded); {@code outcome} one of the outcome labels.
     */
    public void request(String model, String outcome, int status) {
        series(model).request(outcome, status);
    }

    /**
     * Counts billed (or estimated) usage and its cost. {@code usageSource} is {@code gateway} or {@code estimated};
     * teams beyond the first {@value #MAX_TEAMS} are counted as {@code other}.
     */
    public void usage(String model, String team, long promptTokens, long completionTokens, long cachedTokens,
                      long cacheWriteTokens, String usageSource, double costUsd) {
        RequestSeries series = series(model);
        String t = series.knowsTeam(team) ? team : teams.of(team);
        series.usage(t, promptTokens, completionTokens, cachedTokens, cacheWriteTokens, "estimated".equals(usageSource),
                     costUsd);
    }

    public void upstreamLatency(String model, long nanos) {
        series(model).upstream().observe(nanos / 1e9);
    }

    public void overhead(long nanos) {
        overheadSeconds.observe(nanos / 1e9);
    }

    public void timeToFirstToken(String model, long nanos) {
        series(model).firstToken().observe(nanos / 1e9);
    }

    private RequestSeries series(String model) {
        RequestSeries series = byModel.get(model);
        return series != null ? series : byModel.computeIfAbsent(model, m -> new RequestSeries(
                m, requests, tokens, cost, upstreamSeconds, firstTokenSeconds));
    }

    /**
     * The state of one budget counter. Keys are capped per budget; usage of keys past the cap is summed under
     * {@code key="other"} (without limit or remaining, which only mean something per key). Empty limits are not
     * exported.
     */
    public void budget(String budget, String key, long windowEndEpochSeconds, OptionalLong limitTokens,
                       long usedTokens, OptionalLong remainingTokens, OptionalLong limitNanos, long usedNanos,
                       OptionalLong remainingNanos) {
        budgets.set(budget, key, windowEndEpochSeconds, limitTokens, usedTokens, remainingTokens, limitNanos,
                    usedNanos, remainingNanos);
    }

    /** One budget-store call that answered, for {@code operation} reserve or settle. */
    public void budgetStoreCall(String operation, long nanos) {
        budgetStoreSeconds.labels(operation).observe(nanos / 1e9);
        budgetStoreUp.set(1);
    }

    public void budgetStoreError(String operation) {
        budgetStoreErrors.labels(operation).inc();
        budgetStoreUp.set(0);
    }

    public void failOpenAdmission() {
        failOpenAdmissions.inc();
    }

    public void budgetReplayed(long requests) {
        budgetReplayed.inc(requests);
    }

    // Budget store: connected since start, and reservations that expired (their sidecar died mid-request).
    private final Gauge budgetStoreConnected = Gauge.build(
            PREFIX + "budget_store_connected", "1 once the budget store has answered since start; 0 while it never "
                                               + "has (a misconfiguration: see the ERROR log).").register(registry);
    private final Counter budgetExpired = Counter.build(
            PREFIX + "budget_reservations_expired_total", "Reservations that outlived their TTL unsettled (a sidecar "
                                                          + "killed mid-request), charged or released as "
                                                          + "budget-store.expired-reservations says.")
            .labelNames("action").register(registry);

    public void budgetStoreConnected(boolean connected) {
        budgetStoreConnected.set(connected ? 1 : 0);
    }

    /** {@code action} is {@code charge} or {@code release}. */
    public void budgetReservationsExpired(String action, long count) {
        budgetExpired.labels(action).inc(count);
    }

    public void policyEvaluation(long nanos) {
        policySeconds.observe(nanos / 1e9);
    }

    public void policyDenial(String reason, String policy) {
        policyDenials.labels(reasons.of(reason), policies.of(policy)).inc();
    }

    public void policyShadowDenial(String reason, String policy) {
        policyShadowDenials.labels(reasons.of(reason), policies.of(policy)).inc();
    }

    public void policyReload() {
        policyReloads.inc();
    }

    public void policyLoadFailure() {
        policyLoadFailures.inc();
    }

    /** Counts a failed evaluation; {@code mode} is {@code fail_closed}, {@code fail_open} or {@code shadow}. */
    public void policyError(String mode) {
        policyErrors.labels(mode).inc();
    }

    /** Counts decision-log events dropped before upload: {@code buffer_full} or {@code too_large}. */
    public void decisionLogDropped(String reason, long events) {
        decisionLogDropped.labels(reason).inc(events);
    }

    /** Counts an upload to the decision-log service: {@code ok} or {@code error}. */
    public void decisionLogUpload(String result) {
        decisionLogUploads.labels(result).inc();
    }

    public void decisionLogBuffered(int events) {
        decisionLogBuffered.set(events);
    }

    /** Counts a bundle refused by signature verification; {@code reason} is one of a fixed set of codes. */
    public void policyBundleRefused(String reason) {
        policyBundleRefusals.labels(reason).inc();
    }

    /** Replaces the enforced policy's info series, so only the revision in force is reported. */
    public synchronized void policyInfo(String revision, String source) {
        if (policyInfoLabels != null) {
            policyInfo.remove(policyInfoLabels);
        }
        policyInfoLabels = new String[] {revision, source};
        policyInfo.labels(policyInfoLabels).set(1);
    }

    /** The content type to answer a scrape with, honouring a scraper that asks for OpenMetrics. */
    public String contentType(String accept) {
        return TextFormat.chooseContentType(accept);
    }

    /**
     * Writes every metric in the format {@link #contentType} chose. The client's {@code _created} samples are left
     * out: in the text format Prometheus stores them as extra gauge series (doubling the series of every counter
     * and histogram) and nothing here needs them.
     */
    public void scrape(String contentType, OutputStream out) throws IOException {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        TextFormat.writeFormat(contentType, writer,
                               registry.filteredMetricFamilySamples(name -> !name.endsWith("_created")));
        writer.flush();
    }
}
