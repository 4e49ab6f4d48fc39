package io.llmsidecar.metrics;

import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The per-request series of one model, resolved once and kept: recording a request then costs a few map and array
 * reads instead of simpleclient's {@code labels(...)}, which builds a label list and hashes it on every call. The
 * model label is bounded (price-book names plus {@code other}), so is this cache.
 */
final class RequestSeries {
    private static final int MIN_STATUS = 100;
    private static final int STATUSES = 500;
    private static final String[] STATUS_LABELS = new String[STATUSES];
    /** {@code cached}: prompt tokens read from a prompt cache; {@code cache_write}: written to one (Anthropic). */
    private static final String[] TOKEN_TYPES = {"prompt", "completion", "cached", "cache_write"};
    private static final String[] SOURCES = {"gateway", "estimated"};

    static {
        for (int i = 0; i < STATUSES; i++) {
            STATUS_LABELS[i] = Integer.toString(MIN_STATUS + i);
        }
    }

    private final String model;
    private final Counter requests;
    private final Counter tokens;
    private final Counter cost;
    private final Histogram.Child upstream;
    private final Histogram.Child firstToken;
    private final ConcurrentHashMap<String, AtomicReferenceArray<Counter.Child>> byOutcome = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TeamSeries> byTeam = new ConcurrentHashMap<>();

    RequestSeries(String model, Counter requests, Counter tokens, Counter cost, Histogram upstream,
                  Histogram firstToken) {
        this.model = model;
        this.requests = requests;
        this.tokens = tokens;
        this.cost = cost;
        this.upstream = upstream.labels(model);
        this.firstToken = firstToken.labels(model);
    }

    void request(String outcome, int status) {
        int index = status - MIN_STATUS;
        if (index < 0 || index >= STATUSES) {
            requests.labels(model, outcome, Integer.toString(status)).inc();
            return;
        }
        AtomicReferenceArray<Counter.Child> children = byOutcome.computeIfAbsent(
                outcome, o -> new AtomicReferenceArray<>(STATUSES));
        Counter.Child child = children.get(index);
        if (child == null) {
            child = requests.labels(model, outcome, STATUS_LABELS[index]);
            children.set(index, child);
        }
        child.inc();
    }

    /** {@code team} must already be bounded ({@link BoundedLabel}). */
    void usage(String team, long prompt, long completion, long cached, long cacheWrite, boolean estimated,
               double costUsd) {
        TeamSeries series = byTeam.get(team);
        if (series == null) {
            series = byTeam.computeIfAbsent(team, TeamSeries::new);
        }
        int source = estimated ? 1 : 0;
        series.tokens(source, 0).inc(prompt);
        series.tokens(source, 1).inc(completion);
        if (cached > 0) {
            series.tokens(source, 2).inc(cached);
        }
        if (cacheWrite > 0) {
            series.tokens(source, 3).inc(cacheWrite);
        }
        if (costUsd > 0) {
            series.cost.inc(costUsd);
        }
    }

    boolean knowsTeam(String team) {
        return byTeam.containsKey(team);
    }

    Histogram.Child upstream() {
        return upstream;
    }

    Histogram.Child firstToken() {
        return firstToken;
    }

    /**
     * Token and cost series of this model for one team. Token series are created on first use, so a team that
     * never had an estimate exports no estimated series.
     */
    private final class TeamSeries {
        private final String team;
        private final AtomicReferenceArray<Counter.Child> tokens =
                new AtomicReferenceArray<>(SOURCES.length * TOKEN_TYPES.length);
        final Counter.Child cost;

        TeamSeries(String team) {
            this.team = team;
            this.cost = RequestSeries.this.cost.labels(model, team);
        }

        Counter.Child tokens(int source, int type) {
            int i = source * TOKEN_TYPES.length + type;
            Counter.Child child = tokens.get(i);
            if (child == null) {
                // labels() returns the one child per label set, so a race here only costs a lookup.
                child = RequestSeries.this.tokens.labels(model, team, TOKEN_TYPES[type], SOURCES[source]);
                tokens.set(i, child);
            }
            return child;
        }
    }
}
