package io.llmsidecar.policy;

import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.rego.RegoBuiltins;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one policy (the enforced one or the shadow) loaded from its {@link PolicySource}: checks the source for
 * changes, builds the new revision's instances off the request path, swaps it in atomically, and keeps the last
 * good revision when a change fails to compile or load (reported in the log, a metric and {@link #status()}).
 */
final class PolicyLoader {
    private static final System.Logger LOG = System.getLogger(PolicyLoader.class.getName());

    private final String role;
    private final PolicySource source;
    private final RegoBuiltins builtins;
    private final int poolSize;
    private final ScheduledExecutorService loaderThread;
    private final EvaluationWatchdog watchdog;
    private final SidecarMetrics metrics;
    /**
     * How long a request waits its turn for an instance. A burst (hundreds of requests at once, instances still
     * cold after a load) queues for longer than one evaluation may take; failing those requests would be wrong.
     */
    static final Duration INSTANCE_WAIT = Duration.ofSeconds(10);

    private final Duration timeout;
    private final Clock clock;
    private volatile Active active;
    private volatile Status status;
    private volatile Refusals refusals = Refusals.NONE;
    // Confined to the loader thread.
    private String lastFingerprint = "";
    private String lastReportedError = "";

    /** The revision in force: its instances, where it came from and when it was loaded. */
    record Active(InstancePool pool, String revision, Instant loadedAt, boolean readsText, InputFields inputFields) {
    }

    /** What {@code GET /admin/policy} and the health check report about this policy. */
    record Status(String role, String source, Optional<String> revision, Optional<Instant> loadedAt,
                  Optional<String> lastError, Optional<Instant> lastErrorAt, Optional<Instant> lastCheckedAt,
                  int poolSize, int instancesReady, Refusals refusals) {
    }

    /** Bundles refused by signature verification: how many, and the last one's reason, message and time. */
    record Refusals(int count, Optional<String> lastReason, Optional<String> lastMessage, Optional<Instant> lastAt) {
        static final Refusals NONE = new Refusals(0, Optional.empty(), Optional.empty(), Optional.empty());
    }

    PolicyLoader(String role, PolicySource source, RegoBuiltins builtins, int poolSize,
                 ScheduledExecutorService loaderThread, EvaluationWatchdog watchdog, SidecarMetrics metrics,
                 Duration timeout, Clock clock) {
        this.role = role;
        this.source = source;
        this.builtins = builtins;
        this.poolSize = poolSize;
        this.loaderThread = loaderThread;
        this.watchdog = watchdog;
        this.metrics = metrics;
        this.timeout = timeout;
        this.clock = clock;
        this.status = new Status(role, source.describe(), Optional.empty(), Optional.empty(), Optional.empty(),
                                 Optional.empty(), Optional.empty(), poolSize, 0, Refusals.NONE);
    }

    /** Loads the first revision now, then checks the source every {@link PolicySource#interval()}. */
    void start() {
        check();
        scheduleNext();
    }

    /** Each next check is scheduled after the last one, with the source's jitter (bundle servers get some). */
    private void scheduleNext() {
        loaderThread.schedule(() -> {
            try {
                check();
            } finally {
                scheduleNext();
            }
        }, source.nextDelay().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Loads the source's current version if it changed. Runs on the loader thread (or the starting thread), never
     * on a request, because compiling and instantiating take seconds.
     */
    void check() {
        Instant checkedAt = clock.instant();
        try {
            Optional<PolicySource.Candidate> candidate = source.poll(lastFingerprint);
            if (candidate.isEmpty()) {
                status = withChecked(checkedAt);
                return;
            }
            lastFingerprint = candidate.get().fingerprint();   // a broken version is tried once, not every check
            PolicyBundle bundle = candidate.get().load();
            // Compiled once per revision, here on the loader thread; the previous revision serves meanwhile.
            OpaModule module = candidate.get().compile(bundle);
            InstancePool pool = InstancePool.start(module, bundle, builtins, poolSize, loaderThread);
            smokeTest(pool, bundle.revision());
            swapIn(new Active(pool, bundle.revision(), clock.instant(), bundle.readsText(), bundle.inputFields()));
            status = new Status(role, source.describe(), Optional.of(bundle.revision()), Optional.of(active.loadedAt()),
                                Optional.empty(), Optional.empty(), Optional.of(checkedAt), poolSize, pool.ready(),
                                refusals);
            lastReportedError = "";
            LOG.log(Level.INFO, "Loaded the " + role + " policy revision " + bundle.revision() + " from "
                                + source.describe() + describe(bundle.inputFields()));
        } catch (PolicyLoadException | RuntimeException e) {
            String error = e.getMessage() == null ? e.toString() : e.getMessage();
            Active current = active;
            if (e instanceof BundleRefusedException refused) {
                // Counted every time: each refusal is a bundle someone served that the key does not vouch for.
                metrics.policyBundleRefused(refused.reason().label);
                refusals = new Refusals(refusals.count() + 1, Optional.of(refused.reason().label),
                                        Optional.of(error), Optional.of(checkedAt));
            }
            status = new Status(role, source.describe(), Optional.ofNullable(current).map(Active::revision),
                                Optional.ofNullable(current).map(Active::loadedAt), Optional.of(error),
                                Optional.of(checkedAt), Optional.of(checkedAt), poolSize,
                                current == null ? 0 : current.pool().ready(), refusals);
            // A source that stays unreachable (a bundle server down) is reported once, not on every check; each
            // new version that fails is reported.
            String report = lastFingerprint + "\n" + error;
            if (!report.equals(lastReportedError)) {
                lastReportedError = report;
                metrics.policyLoadFailure();
                LOG.log(Level.WARNING, "Could not load the " + role + " policy from " + source.describe() + ": "
                                       + error + (current == null ? "; no policy is active"
                                                                  : "; revision " + current.revision()
                                                                    + " stays active"));
            }
        }
    }

    /**
     * Evaluates the active revision. Failures come back as {@link Decision.Failed}; an instance that failed is
     * discarded, since its memory may be left inconsistent.
     */
    /** Whether the revision in force asked for the prompt text in its input ({@code config.input.include_text}). */
    boolean readsText() {
        Active current = active;
        return current != null && current.readsText();
    }

    /** Evaluates the active revision on the fields of {@code input} it reads ({@link InputFields}). */
    Decision evaluate(PolicyInput input, boolean withText) {
        Active current = active;
        byte[] json = current == null ? new byte[0] : input.jsonFor(withText, current.inputFields());
        return evaluate(current, json, input.epochNanos());
    }

    /** Evaluates the active revision on a whole input document ({@code replay}). */
    Decision evaluate(String input, long epochNanos) {
        return evaluate(active, input.getBytes(java.nio.charset.StandardCharsets.UTF_8), epochNanos);
    }

    private Decision evaluate(Active current, byte[] input, long epochNanos) {
        if (current == null) {
            return new Decision.Failed("no " + role + " policy is loaded"
                                       + status.lastError().map(e -> ": " + e).orElse(""), "");
        }
        PolicyInstance instance;
        try {
            instance = current.pool().borrow(INSTANCE_WAIT.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Decision.Failed("interrupted while waiting for a policy instance", current.revision());
        }
        if (instance == null) {
            return new Decision.Failed("no policy instance became free within " + INSTANCE_WAIT.toSeconds()
                                       + " s", current.revision());
        }
        // The timeout bounds the evaluation itself; a burst queueing for instances is not a runaway policy.
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            String result = instance.evaluate(input, epochNanos, deadline);
            Decision decision = DecisionParser.parse(result, current.revision());
            current.pool().release(instance);
            return decision;
        } catch (DecisionParser.PolicyResultException e) {
            current.pool().release(instance);
            return new Decision.Failed("wrong decision shape: " + e.getMessage(), current.revision());
        } catch (PolicyInstance.EvaluationTimeoutException e) {
            current.pool().discard(instance);
            return new Decision.Failed("evaluation took longer than " + timeout.toMillis() + " ms",
                                       current.revision());
        } catch (RuntimeException e) {
            current.pool().discard(instance);
            return new Decision.Failed(describe(e), current.revision());
        }
    }

    Optional<Active> active() {
        return Optional.ofNullable(active);
    }

    Status status() {
        Status s = status;
        Active current = active;
        return current == null ? s : new Status(s.role(), s.source(), s.revision(), s.loadedAt(), s.lastError(),
                                                s.lastErrorAt(), s.lastCheckedAt(), s.poolSize(),
                                                current.pool().ready(), s.refusals());
    }

    String source() {
        return source.describe();
    }

    /** A policy that errors on an ordinary request would fail every request; such a change is refused. */
    private void smokeTest(InstancePool pool, String revision) throws PolicyLoadException {
        PolicyInstance instance;
        try {
            instance = pool.borrow(Duration.ofSeconds(30).toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PolicyLoadException("interrupted while testing the new policy");
        }
        try {
            String result = instance.evaluate(SampleInput.JSON, System.currentTimeMillis() * 1_000_000L,
                                              System.nanoTime() + Duration.ofSeconds(10).toNanos());
            DecisionParser.parse(result, revision);
            pool.release(instance);
        } catch (RuntimeException e) {
            pool.discard(instance);
            pool.retire();
            throw new PolicyLoadException("the policy fails on a sample request: " + describe(e));
        }
    }

    private void swapIn(Active next) {
        watchdog.watch(next.pool());
        Active previous = active;
        active = next;
        metrics.policyReload();
        if (role.equals(PolicyEngine.ENFORCED)) {
            metrics.policyInfo(next.revision(), source.describe());
        }
        if (previous != null) {
            previous.pool().retire();
            // Evaluations that borrowed from the old pool before the swap finish within the timeout.
            loaderThread.schedule(() -> watchdog.forget(previous.pool()), 2 * timeout.toMillis() + 1000,
                                  TimeUnit.MILLISECONDS);
        }
    }

    private Status withChecked(Instant checkedAt) {
        Status s = status;
        return new Status(s.role(), s.source(), s.revision(), s.loadedAt(), s.lastError(), s.lastErrorAt(),
                          Optional.of(checkedAt), s.poolSize(), s.instancesReady(), s.refusals());
    }

    /** For the load line: which input fields the policy is not given, since it never reads them. */
    private static String describe(InputFields fields) {
        List<String> left = PolicyInput.TOP_LEVEL_FIELDS.stream().filter(f -> !fields.includes(f)).toList();
        return left.isEmpty() ? "" : "; input fields it never reads are left out of its input: " + left;
    }

    /** A readable cause: the host's own failures carry their message, the runtime's are named. */
    static String describe(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HostBuiltins.MissingBuiltinException || t instanceof OpaInstance.OpaAbortException) {
                return t.getMessage();
            }
            if (t instanceof com.dylibso.chicory.runtime.ChicoryInterruptedException) {
                return "the evaluation was interrupted";
            }
        }
        String message = String.valueOf(e.getMessage());
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + message);
    }
}
