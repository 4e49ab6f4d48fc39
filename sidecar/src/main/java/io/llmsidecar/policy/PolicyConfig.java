package io.llmsidecar.policy;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;
import io.llmsidecar.detect.DetectorConfig;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code policy} node: where the Rego policy comes from, how it is evaluated and where decisions are logged.
 * With neither {@code dir}, {@code bundle} nor {@code bundle-url} set, the default policy set bundled in the jar
 * (compiled from {@code policies/} at build time) is enforced.
 *
 * @param dir                 directory of {@code .rego} files and an optional {@code data.json}, compiled with
 *                            {@code opa} at startup and whenever its content changes ({@code SIDECAR_POLICY_DIR})
 * @param bundle              a bundle built with {@code opa build -t wasm -e sidecar/decision}
 *                            ({@code SIDECAR_POLICY_BUNDLE}); reloaded when the file changes
 * @param bundleUrl           a bundle server URL polled with {@code If-None-Match} every {@code bundle-poll-interval}
 * @param opaBin              the {@code opa} binary used to compile {@code dir}; else PATH, else {@code .tools/bin}
 * @param shadowDir           a second policy evaluated on every request but never enforced: its would-be denials
 *                            are logged and counted ({@code SIDECAR_SHADOW_POLICY_DIR})
 * @param shadowBundle        the same as a prebuilt bundle ({@code SIDECAR_SHADOW_POLICY_BUNDLE})
 * @param failureMode         what an evaluation error or timeout means for the request
 * @param evaluationTimeout   the longest one evaluation may take once it has an instance (a request waits its turn
 *                            for a free instance separately, up to 10 s)
 * @param poolSize            policy instances kept loaded (each about 4 MiB); 0 means one per CPU, at least 2
 * @param watchInterval       how often {@code dir} and {@code bundle} are checked for changes
 * @param bundlePollInterval  how often {@code bundle-url} is polled
 * @param decisionLog         {@code stdout}, {@code off}, a file path, or an {@code http(s)://} URL of an
 *                            OPA-compatible decision-log service: one OPA decision-log event per decision and a
 *                            settlement event per forwarded request
 * @param logMessageContents  retired: must be false. Events carry the policy input as evaluated, which holds prompt
 *                            text only when the policy asks for it ({@code config.input.include_text})
 * @param enabled             false switches policy checks off altogether (every request is forwarded unchecked):
 *                            for measuring the bare proxy or deployments that only want budgets
 * @param detectors           which detectors fill {@code input.findings} ({@code policy.detectors})
 * @param bundleTokenFile     a file holding the bearer token for {@code bundle-url}, read on every poll
 * @param verification        when present, bundles ({@code bundle}, {@code bundle-url}, {@code shadow-bundle})
 *                            load only with a good OPA signature
 */
public record PolicyConfig(Optional<Path> dir, Optional<Path> bundle, Optional<URI> bundleUrl, Optional<Path> opaBin,
                           Optional<Path> shadowDir, Optional<Path> shadowBundle, FailureMode failureMode,
                           Duration evaluationTimeout, int poolSize, Duration watchInterval,
                           Duration bundlePollInterval, DecisionLogTarget decisionLog, boolean logMessageContents,
                           boolean enabled, DetectorConfig detectors, Optional<Path> bundleTokenFile,
                           Optional<BundleVerification> verification) {
    /**
     * Long enough for a cold instance under load (Chicory's generated code runs interpreted until the JIT reaches
     * it: evaluations of ~1 ms with outliers past 100 ms in the first seconds), short enough to stop a runaway
     * policy. A timeout discards the instance, and rebuilding one costs a second of CPU, so erring short is costly.
     */
    public static final Duration DEFAULT_EVALUATION_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_WATCH_INTERVAL = Duration.ofSeconds(2);
    public static final Duration DEFAULT_BUNDLE_POLL_INTERVAL = Duration.ofSeconds(30);
    static final int MAX_POOL_SIZE = 64;

    /** Whether a request is refused (503) or forwarded unchecked when its policy cannot be evaluated. */
    public enum FailureMode {
        FAIL_CLOSED, FAIL_OPEN;

        /** The metric label and config spelling: {@code fail_closed} / {@code fail-closed}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where decision log lines go. */
    public sealed interface DecisionLogTarget {
        record Stdout() implements DecisionLogTarget {
        }

        record Off() implements DecisionLogTarget {
        }

        record File(Path path) implements DecisionLogTarget {
        }

        /**
         * An OPA-compatible decision-log service: gzip JSON arrays POSTed to {@code url}.
         *
         * @param tokenFile      a file holding the bearer token, read before each upload so a rotated Secret is used
         * @param bufferEvents   the most events held while the service is slow or down; beyond it the oldest drop
         * @param bufferBytes    the same bound in bytes of serialized events
         * @param uploadInterval how often the buffer is sent (with jitter), sooner when a batch is full
         */
        record Service(URI url, Optional<Path> tokenFile, int bufferEvents, long bufferBytes,
                       Duration uploadInterval) implements DecisionLogTarget {
            public static final int DEFAULT_BUFFER_EVENTS = 10_000;
            public static final long DEFAULT_BUFFER_BYTES = 32L << 20;
            public static final Duration DEFAULT_UPLOAD_INTERVAL = Duration.ofSeconds(5);

            public Service {
                if (bufferEvents < 1) {
                    throw ConfigValues.invalid("policy.decision-log-buffer-events", String.valueOf(bufferEvents),
                                               "at least 1");
                }
                if (bufferBytes < 64 << 10) {
                    throw ConfigValues.invalid("policy.decision-log-buffer-size", String.valueOf(bufferBytes),
                                               "at least 64KiB");
                }
                if (uploadInterval.isZero()) {
                    throw ConfigValues.invalid("policy.decision-log-upload-interval", "0", "a duration such as 5s");
                }
            }
        }
    }

    /** Without bundle authentication or verification. */
    public PolicyConfig(Optional<Path> dir, Optional<Path> bundle, Optional<URI> bundleUrl, Optional<Path> opaBin,
                        Optional<Path> shadowDir, Optional<Path> shadowBundle, FailureMode failureMode,
                        Duration evaluationTimeout, int poolSize, Duration watchInterval, Duration bundlePollInterval,
                        DecisionLogTarget decisionLog, boolean logMessageContents, boolean enabled,
                        DetectorConfig detectors) {
        this(dir, bundle, bundleUrl, opaBin, shadowDir, shadowBundle, failureMode, evaluationTimeout, poolSize,
             watchInterval, bundlePollInterval, decisionLog, logMessageContents, enabled, detectors, Optional.empty(),
             Optional.empty());
    }

    /** Without a {@code policy.detectors} node: the default detectors. */
    public PolicyConfig(Optional<Path> dir, Optional<Path> bundle, Optional<URI> bundleUrl, Optional<Path> opaBin,
                        Optional<Path> shadowDir, Optional<Path> shadowBundle, FailureMode failureMode,
                        Duration evaluationTimeout, int poolSize, Duration watchInterval, Duration bundlePollInterval,
                        DecisionLogTarget decisionLog, boolean logMessageContents, boolean enabled) {
        this(dir, bundle, bundleUrl, opaBin, shadowDir, shadowBundle, failureMode, evaluationTimeout, poolSize,
             watchInterval, bundlePollInterval, decisionLog, logMessageContents, enabled, DetectorConfig.DEFAULT);
    }

    public PolicyConfig {
        int sources = (dir.isPresent() ? 1 : 0) + (bundle.isPresent() ? 1 : 0) + (bundleUrl.isPresent() ? 1 : 0);
        if (sources > 1) {
            throw ConfigValues.invalid("policy.dir", "more than one of policy.dir, policy.bundle and policy.bundle-url",
                                       "only one policy source (SIDECAR_POLICY_DIR, SIDECAR_POLICY_BUNDLE or "
                                       + "SIDECAR_POLICY_BUNDLE_URL)");
        }
        if (bundleTokenFile.isPresent() && bundleUrl.isEmpty()) {
            throw ConfigValues.invalid("policy.bundle-token-file", bundleTokenFile.get().toString(),
                                       "to be set only with policy.bundle-url (SIDECAR_POLICY_BUNDLE_URL)");
        }
        if (verification.isPresent() && dir.isPresent()) {
            throw ConfigValues.invalid("policy.bundle-verification-key", verification.get().keyFile().toString(),
                                       "a signed bundle source (SIDECAR_POLICY_BUNDLE or SIDECAR_POLICY_BUNDLE_URL): "
                                       + "a policy.dir is compiled on the pod and carries no signature");
        }
        if (shadowDir.isPresent() && shadowBundle.isPresent()) {
            throw ConfigValues.invalid("policy.shadow-dir", "both policy.shadow-dir and policy.shadow-bundle",
                                       "only one shadow policy source");
        }
        if (evaluationTimeout.isZero()) {
            throw ConfigValues.invalid("policy.evaluation-timeout", "0", "a duration such as 250ms");
        }
        if (watchInterval.isZero()) {
            throw ConfigValues.invalid("policy.watch-interval", "0", "a duration such as 2s");
        }
        if (logMessageContents) {
            throw ConfigValues.invalid("policy.log-message-contents", "true",
                                       "false or unset: decision-log events now carry the policy input as evaluated, "
                                       + "which holds prompt text only when the policy sets "
                                       + "data.config.input.include_text (policies/README.md, 'Policy operations'); "
                                       + "remove SIDECAR_DECISION_LOG_MESSAGES and set include_text in the policy's "
                                       + "data.json instead");
        }
        if (bundlePollInterval.isZero()) {
            throw ConfigValues.invalid("policy.bundle-poll-interval", "0", "a duration such as 30s");
        }
    }

    public static PolicyConfig create(Config node) {
        return new PolicyConfig(ConfigValues.path(node.get("dir")),
                                ConfigValues.path(node.get("bundle")),
                                ConfigValues.httpUri(node.get("bundle-url")),
                                ConfigValues.path(node.get("opa-bin")),
                                ConfigValues.path(node.get("shadow-dir")),
                                ConfigValues.path(node.get("shadow-bundle")),
                                failureMode(node.get("failure-mode")),
                                ConfigValues.duration(node.get("evaluation-timeout"), DEFAULT_EVALUATION_TIMEOUT),
                                ConfigValues.integer(node.get("pool-size"), 0, 0, MAX_POOL_SIZE),
                                ConfigValues.duration(node.get("watch-interval"), DEFAULT_WATCH_INTERVAL),
                                ConfigValues.duration(node.get("bundle-poll-interval"), DEFAULT_BUNDLE_POLL_INTERVAL),
                                decisionLog(node),
                                ConfigValues.bool(node.get("log-message-contents"), false),
                                ConfigValues.bool(node.get("enabled"), true),
                                DetectorConfig.create(node.get("detectors")),
                                ConfigValues.path(node.get("bundle-token-file")),
                                BundleVerification.create(node));
    }

    /**
     * The pool size to use: the configured one, else one instance per CPU the JVM may use, and at least two, so
     * that while a failed instance is rebuilt (about a second) another one serves.
     */
    int effectivePoolSize() {
        return poolSize > 0 ? poolSize : Math.clamp(Runtime.getRuntime().availableProcessors(), 2, MAX_POOL_SIZE);
    }

    private static FailureMode failureMode(Config node) {
        return ConfigValues.string(node).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "fail-closed", "closed" -> FailureMode.FAIL_CLOSED;
            case "fail-open", "open" -> FailureMode.FAIL_OPEN;
            default -> throw ConfigValues.invalid(node, v, "fail-closed or fail-open");
        }).orElse(FailureMode.FAIL_CLOSED);
    }

    private static DecisionLogTarget decisionLog(Config policy) {
        Config node = policy.get("decision-log");
        Optional<String> value = ConfigValues.string(node);
        if (value.isPresent() && value.get().matches("(?i)https?://.*")) {
            return new DecisionLogTarget.Service(
                    ConfigValues.httpUri(node).orElseThrow(),
                    ConfigValues.path(policy.get("decision-log-token-file")),
                    ConfigValues.integer(policy.get("decision-log-buffer-events"),
                                         DecisionLogTarget.Service.DEFAULT_BUFFER_EVENTS, 1, 10_000_000),
                    ConfigValues.byteSize(policy.get("decision-log-buffer-size"),
                                          DecisionLogTarget.Service.DEFAULT_BUFFER_BYTES),
                    ConfigValues.duration(policy.get("decision-log-upload-interval"),
                                          DecisionLogTarget.Service.DEFAULT_UPLOAD_INTERVAL));
        }
        if (policy.get("decision-log-token-file").exists()) {
            throw ConfigValues.invalid("policy.decision-log-token-file",
                                       ConfigValues.string(policy.get("decision-log-token-file"), ""),
                                       "to be set only with an http(s):// decision-log service in policy.decision-log "
                                       + "(SIDECAR_DECISION_LOG)");
        }
        return value.map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "stdout" -> (DecisionLogTarget) new DecisionLogTarget.Stdout();
            case "off", "false", "none" -> new DecisionLogTarget.Off();
            default -> new DecisionLogTarget.File(Path.of(v));
        }).orElse(new DecisionLogTarget.Stdout());
    }
}
