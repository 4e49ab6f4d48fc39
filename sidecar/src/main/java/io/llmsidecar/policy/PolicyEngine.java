package io.llmsidecar.policy;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.http.HttpService;
import io.llmsidecar.detect.Detectors;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.RequestPatch;
import io.llmsidecar.rego.RegoBuiltins;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides every chat completion with the Rego policy: evaluates the enforced policy in-process (OPA Wasm on
 * Chicory), applies the failure mode, counts and logs the decision, and runs the shadow policy, if any, beside it.
 *
 * <p>The shadow policy is evaluated on a virtual thread of its own with the same input document, so it costs the
 * request no latency; under CPU saturation it competes for cores, and at most {@value #MAX_SHADOW_IN_FLIGHT}
 * shadow evaluations run at once (beyond that the shadow is skipped and the decision logged without it).
 */
public final class PolicyEngine implements AutoCloseable {
    static final String ENFORCED = "enforced";
    static final String SHADOW = "shadow";
    static final int MAX_SHADOW_IN_FLIGHT = 256;
    private static final Decision UNCHECKED = new Decision.Allow(RequestPatch.NONE, "disabled");
    private static final System.Logger LOG = System.getLogger(PolicyEngine.class.getName());
    private static final long ERROR_LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final PolicyConfig config;
    private final PolicyLoader enforced;
    private final Optional<PolicyLoader> shadow;
    private final DecisionLog decisionLog;
    private final SidecarMetrics metrics;
    private final EvaluationWatchdog watchdog;
    private final ScheduledExecutorService loaderThread;
    private final Detectors detectors;
    private final Semaphore shadowSlots = new Semaphore(MAX_SHADOW_IN_FLIGHT);
    private final AtomicLong lastErrorLogged = new AtomicLong(System.nanoTime() - ERROR_LOG_INTERVAL_NANOS);

    private PolicyEngine(PolicyConfig config, PolicyLoader enforced, Optional<PolicyLoader> shadow,
                         DecisionLog decisionLog, SidecarMetrics metrics, EvaluationWatchdog watchdog,
                         ScheduledExecutorService loaderThread) {
        this.config = config;
        this.enforced = enforced;
        this.shadow = shadow;
        this.decisionLog = decisionLog;
        this.metrics = metrics;
        this.watchdog = watchdog;
        this.loaderThread = loaderThread;
        this.detectors = Detectors.create(config.detectors());
    }

    /**
     * Loads the enforced (and shadow) policy before returning, so the first request finds it ready, then keeps
     * watching the sources. A policy that cannot load does not stop the sidecar: requests fail closed (or open)
     * and the readiness check stays DOWN until a good version appears.
     */
    public static PolicyEngine start(PolicyConfig config, SidecarMetrics metrics) {
        return start(config, metrics, DecisionLabels.of("dev", "", ""));
    }

    /** As {@link #start(PolicyConfig, SidecarMetrics)}, labelling decision-log events with {@code labels}. */
    public static PolicyEngine start(PolicyConfig config, SidecarMetrics metrics, DecisionLabels labels) {
        ScheduledExecutorService loaderThread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("policy-loader").daemon(true).factory());
        EvaluationWatchdog watchdog = new EvaluationWatchdog(config.evaluationTimeout());
        OpaCompiler compiler = OpaCompiler.locate(config.opaBin());
        // One verifier per source: each is confined to its loader's checks.
        PolicySource source = config.dir().<PolicySource>map(d -> new PolicySource.Directory(d, compiler,
                                                                                               config.watchInterval()))
                .or(() -> config.bundle().map(b -> new PolicySource.BundleFile(b, config.watchInterval(),
                                                                               config.verification()
                                                                                       .map(BundleSignature::new))))
                .or(() -> config.bundleUrl().map(u -> PolicySource.BundleUrl.create(
                        u, config.bundlePollInterval(), config.bundleTokenFile(),
                        config.verification().map(BundleSignature::new))))
                .orElseGet(() -> new PolicySource.Bundled(PolicySource.Bundled.DEFAULT));
        Optional<PolicySource> shadowSource = config.shadowDir()
                .<PolicySource>map(d -> new PolicySource.Directory(d, compiler, config.watchInterval()))
                .or(() -> config.shadowBundle().map(b -> new PolicySource.BundleFile(
                        b, config.watchInterval(), config.verification().map(BundleSignature::new))));
        Clock clock = Clock.systemUTC();
        int poolSize = config.effectivePoolSize();
        RegoBuiltins builtins = RegoBuiltins.create();
        PolicyLoader enforced = new PolicyLoader(ENFORCED, source, builtins, poolSize, loaderThread, watchdog,
                                                 metrics, config.evaluationTimeout(), clock);
        // The shadow sees every request too, but off the request path: half the instances serve it.
        Optional<PolicyLoader> shadow = shadowSource.map(s -> new PolicyLoader(
                SHADOW, s, builtins, Math.max(1, poolSize / 2), loaderThread, watchdog, metrics, config.evaluationTimeout(),
                clock));
        if (config.enabled()) {
            enforced.start();
            shadow.ifPresent(PolicyLoader::start);
        } else {
            LOG.log(Level.WARNING, "Policy checks are OFF (policy.enabled=false, SIDECAR_POLICY_ENABLED): every "
                                   + "request is forwarded unchecked");
        }
        return new PolicyEngine(config, enforced, shadow, DecisionLog.create(config, labels, metrics), metrics,
                                watchdog, loaderThread);
    }

    /** False when policy checks are switched off: the pipeline then skips building the input altogether. */
    public boolean enabled() {
        return config.enabled();
    }

    /** The detectors whose findings go into {@code input.findings} (configured by {@code policy.detectors}). */
    public Detectors detectors() {
        return detectors;
    }

    /**
     * The decision for one request. A {@link Decision.Failed} is returned only when failing closed; failing open
     * turns it into an unpatched {@link Decision.Allow}. Either way the failure is counted and logged.
     */
    public Decision evaluate(PolicyInput input) {
        if (!config.enabled()) {
            return UNCHECKED;
        }
        // The prompt text goes into the input only for a policy that asked for it (data.config.input.include_text).
        boolean withText = enforced.readsText() || shadow.map(PolicyLoader::readsText).orElse(false);
        long started = System.nanoTime();
        Decision decision = enforced.evaluate(input, withText);
        long nanos = System.nanoTime() - started;
        metrics.policyEvaluation(nanos);
        boolean failOpen = false;
        switch (decision) {
            case Decision.Deny deny -> deny.reasons().forEach(r -> metrics.policyDenial(r.code(), r.policy()));
            case Decision.Failed failed -> {
                metrics.policyError(config.failureMode().label());
                logError(input.requestId(), failed);
                failOpen = config.failureMode() == PolicyConfig.FailureMode.FAIL_OPEN;
            }
            case Decision.Allow allow -> {
            }
        }
        // Warnings (e.g. findings set to "shadow") are what the policy would deny if it enforced them.
        decision.warnings().forEach(w -> metrics.policyShadowDenial(w.code(), w.policy()));
        record(input, decision, failOpen, nanos, withText);
        return failOpen ? new Decision.Allow(RequestPatch.NONE, decision.revision()) : decision;
    }

    /** Writes the settlement event of a forwarded request to the decision log. */
    public void settled(Settlement settlement) {
        decisionLog.settled(settlement);
    }

    /** Readiness: DOWN until the enforced policy has loaded once. */
    public HealthCheck healthCheck() {
        return new HealthCheck() {
            @Override
            public HealthCheckType type() {
                return HealthCheckType.READINESS;
            }

            @Override
            public String name() {
                return "policy";
            }

            @Override
            public HealthCheckResponse call() {
                if (!config.enabled()) {
                    return HealthCheckResponse.builder().status(true).detail("source", "disabled").build();
                }
                PolicyLoader.Status status = enforced.status();
                HealthCheckResponse.Builder response = HealthCheckResponse.builder()
                        .status(status.revision().isPresent())
                        .detail("source", status.source());
                status.revision().ifPresent(r -> response.detail("revision", r));
                status.lastError().ifPresent(e -> response.detail("lastError", e));
                return response.build();
            }
        };
    }

    /** For the startup line: the enforced revision and its source, or why none is loaded. */
    public String describe() {
        if (!config.enabled()) {
            return "DISABLED (policy.enabled=false): requests are forwarded unchecked";
        }
        PolicyLoader.Status status = enforced.status();
        return status.revision().map(r -> "revision " + r + " from " + status.source())
                       .orElse("NONE LOADED from " + status.source() + " (" + status.lastError().orElse("") + ")")
               + ", failing " + (config.failureMode() == PolicyConfig.FailureMode.FAIL_OPEN ? "open" : "closed")
               + shadow.map(s -> ", shadow " + s.status().revision().orElse("not loaded") + " from " + s.source())
                       .orElse("");
    }

    PolicyLoader enforcedLoader() {
        return enforced;
    }

    /** {@code GET /admin/policy}. */
    public HttpService adminService() {
        return new PolicyAdminService(config, enforced, shadow, RegoBuiltins.create().names());
    }

    private void record(PolicyInput input, Decision decision, boolean failOpen, long nanos, boolean withText) {
        evaluateShadow(input, withText, would -> decisionLog.record(input, withText, decision, failOpen, nanos, would));
    }

    /** Runs the shadow policy, if any, off the request's thread; {@code then} gets its decision or {@code null}. */
    private void evaluateShadow(PolicyInput input, boolean withText, java.util.function.Consumer<Decision> then) {
        if (shadow.isEmpty()) {
            then.accept(null);
            return;
        }
        if (!shadowSlots.tryAcquire()) {
            then.accept(new Decision.Failed("skipped: too many shadow evaluations in flight", ""));
            return;
        }
        PolicyLoader shadowLoader = shadow.get();
        Thread.ofVirtual().name("policy-shadow").start(() -> {
            try {
                Decision would = shadowLoader.evaluate(input, withText);
                switch (would) {
                    case Decision.Deny deny -> deny.reasons()
                            .forEach(r -> metrics.policyShadowDenial(r.code(), r.policy()));
                    case Decision.Failed failed -> metrics.policyError(SHADOW);
                    case Decision.Allow allow -> {
                    }
                }
                then.accept(would);
            } finally {
                shadowSlots.release();
            }
        });
    }

    /** At most one line per interval: a broken policy fails every request, and the log must stay readable. */
    private void logError(String requestId, Decision.Failed failed) {
        long now = System.nanoTime();
        long last = lastErrorLogged.get();
        if (now - last >= ERROR_LOG_INTERVAL_NANOS && lastErrorLogged.compareAndSet(last, now)) {
            LOG.log(Level.WARNING, "Policy evaluation failed (" + failed.error() + ") for request " + requestId
                                   + "; failing " + (config.failureMode() == PolicyConfig.FailureMode.FAIL_OPEN
                                                     ? "open" : "closed") + ". Further failures are counted in "
                                   + "llm_sidecar_policy_errors_total and logged at most every 10 s.");
        }
    }

    @Override
    public void close() {
        loaderThread.shutdownNow();
        watchdog.close();
        decisionLog.close();
    }
}
