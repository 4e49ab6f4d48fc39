package io.llmsidecar.budget;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code budget-store} node: where budget counters and rate-limit buckets live.
 *
 * @param redisUri       Redis to share counters with other replicas ({@code SIDECAR_REDIS_URI}): {@code redis://},
 *                       {@code rediss://} or {@code redis-sentinel://host:26379#master}; empty keeps them in this
 *                       process
 * @param cluster        whether {@code redisUri} names a Redis Cluster node ({@code SIDECAR_REDIS_CLUSTER})
 * @param failureMode    what to do while Redis is unreachable ({@code SIDECAR_BUDGET_FAILURE_MODE})
 * @param reservationTtl how long a reservation holds budget if its sidecar dies before settling it; live requests
 *                       renew theirs, so this only bounds what a crash can strand
 * @param commandTimeout longest wait for one Redis call before the failure mode applies
 * @param connectTimeout longest wait for a connection to Redis
 * @param keyPrefix      prefix of every Redis key; its {@code {...}} hash tag keeps all keys in one Cluster slot
 * @param expiredReservations what an expired reservation means: {@code charge} (the default) bills what it held,
 *                       {@code release} frees it ({@code SIDECAR_BUDGET_EXPIRED_RESERVATIONS})
 * @param ledgerFile     where usage admitted during an outage is kept until it is replayed, so a restart does not
 *                       lose it ({@code SIDECAR_BUDGET_LEDGER_FILE}); empty keeps it in memory only
 * @param startupGrace   how long fail-open admits requests while the store has never been reachable since start;
 *                       after that such a store is treated as misconfigured and requests are refused as fail-closed
 */
public record BudgetStoreConfig(Optional<String> redisUri, boolean cluster, FailureMode failureMode,
                                Duration reservationTtl, Duration commandTimeout, Duration connectTimeout,
                                String keyPrefix, ExpiredReservations expiredReservations, Optional<Path> ledgerFile,
                                Duration startupGrace) {
    static final Duration DEFAULT_RESERVATION_TTL = Duration.ofMinutes(2);
    static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final String DEFAULT_KEY_PREFIX = "llm-sidecar:{budgets}:";
    static final Duration DEFAULT_STARTUP_GRACE = Duration.ofSeconds(30);
    private static final Set<String> SCHEMES = Set.of("redis", "rediss", "redis-sentinel", "rediss-sentinel",
                                                      "redis-socket");

    public static BudgetStoreConfig create(Config node) {
        Optional<String> uri = ConfigValues.string(node.get("redis-uri"));
        uri.ifPresent(u -> checkUri(node.get("redis-uri"), u));
        String modeText = ConfigValues.string(node.get("failure-mode"), FailureMode.FAIL_OPEN.label());
        FailureMode mode = FailureMode.parse(modeText).orElseThrow(
                () -> ConfigValues.invalid(node.get("failure-mode"), modeText, "fail-open or fail-closed"));
        Duration ttl = positive(node.get("reservation-ttl"), DEFAULT_RESERVATION_TTL, "2m");
        Duration command = positive(node.get("command-timeout"), DEFAULT_COMMAND_TIMEOUT, "500ms");
        Duration connect = positive(node.get("connect-timeout"), DEFAULT_CONNECT_TIMEOUT, "2s");
        boolean cluster = ConfigValues.bool(node.get("cluster"), false);
        String prefix = ConfigValues.string(node.get("key-prefix"), DEFAULT_KEY_PREFIX);
        if (cluster && !prefix.matches(".*\\{[^}]+}.*")) {
            throw ConfigValues.invalid(node.get("key-prefix"), prefix,
                                       "a prefix with a Cluster hash tag such as " + DEFAULT_KEY_PREFIX
                                       + " (one request's counters must live in one slot)");
        }
        String expiredText = ConfigValues.string(node.get("expired-reservations"),
                                                 ExpiredReservations.CHARGE.label());
        ExpiredReservations expired = ExpiredReservations.parse(expiredText).orElseThrow(
                () -> ConfigValues.invalid(node.get("expired-reservations"), expiredText, "charge or release"));
        Optional<Path> ledger = ConfigValues.string(node.get("ledger-file")).filter(f -> !f.isBlank()).map(Path::of);
        Duration grace = ConfigValues.duration(node.get("startup-grace"), DEFAULT_STARTUP_GRACE);
        return new BudgetStoreConfig(uri, cluster, mode, ttl, command, connect, prefix, expired, ledger, grace);
    }

    /** An embedded store for one process: what {@code make run} uses when no Redis is configured. */
    static BudgetStoreConfig embedded() {
        return new BudgetStoreConfig(Optional.empty(), false, FailureMode.FAIL_OPEN, DEFAULT_RESERVATION_TTL,
                                     DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_PREFIX,
                                     ExpiredReservations.CHARGE, Optional.empty(), DEFAULT_STARTUP_GRACE);
    }

    /** The Redis URI with any password replaced, for logs and error messages. */
    public Optional<String> redactedUri() {
        return redisUri.map(BudgetStoreConfig::redact);
    }

    static String redact(String uri) {
        return uri.replaceAll("(://)[^@/]*@", "$1<redacted>@");
    }

    @Override
    public String toString() {
        return "BudgetStoreConfig[redisUri=" + redactedUri().orElse("<embedded>") + ", cluster=" + cluster
               + ", failureMode=" + failureMode.label() + ", reservationTtl=" + reservationTtl + ", commandTimeout="
               + commandTimeout + ", connectTimeout=" + connectTimeout + ", keyPrefix=" + keyPrefix
               + ", expiredReservations=" + expiredReservations.label() + ", ledgerFile="
               + ledgerFile.map(Path::toString).orElse("<memory>") + ", startupGrace=" + startupGrace + "]";
    }

    private static void checkUri(Config node, String uri) {
        String scheme;
        try {
            scheme = Optional.ofNullable(new URI(uri).getScheme()).orElse("").toLowerCase(Locale.ROOT);
        } catch (Exception e) {
            scheme = "";
        }
        if (!SCHEMES.contains(scheme)) {
            throw ConfigValues.invalid(node, redact(uri), "a Redis URI such as redis://redis:6379, "
                                                           + "rediss://:password@redis:6380 or "
                                                           + "redis-sentinel://sentinel:26379#mymaster");
        }
    }

    private static Duration positive(Config node, Duration defaultValue, String example) {
        Duration d = ConfigValues.duration(node, defaultValue);
        if (d.isZero()) {
            throw ConfigValues.invalid(node, "0", "a positive duration such as " + example);
        }
        return d;
    }
}
