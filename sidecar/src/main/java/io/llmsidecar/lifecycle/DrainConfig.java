package io.llmsidecar.lifecycle;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigValues;

import java.time.Duration;

/**
 * How the sidecar stops on SIGTERM, from the {@code server} node (see {@link Drain}).
 *
 * @param delay       {@code server.drain-delay}: how long it keeps serving after SIGTERM with readiness already 503;
 *                    the app may still be finishing its own work, and a classic (non-native) sidecar gets SIGTERM at
 *                    the same moment as the app
 * @param timeout     {@code server.drain-timeout}: how long requests and streams in flight may then take to finish
 *                    before streams still open are ended with a {@code sidecar_shutting_down} error event
 * @param gracePeriod {@code server.termination-grace-period}: the pod's {@code terminationGracePeriodSeconds}, after
 *                    which Kubernetes kills the process; delay and timeout must end well before it
 */
public record DrainConfig(Duration delay, Duration timeout, Duration gracePeriod) {
    public static final Duration DEFAULT_DELAY = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
    /** Kubernetes' default {@code terminationGracePeriodSeconds}. */
    public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(30);
    /**
     * Time kept back from the grace period after the timeout: cut streams write their error event and settle, the
     * fail-open ledger is flushed, and the process exits.
     */
    public static final Duration SETTLE_MARGIN = Duration.ofSeconds(3);

    public DrainConfig {
        if (delay.isNegative()) {
            throw ConfigValues.invalid("server.drain-delay", delay.toString(), "a duration of zero or more, e.g. 5s");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw ConfigValues.invalid("server.drain-timeout", timeout.toString(), "a positive duration, e.g. 20s");
        }
        if (delay.plus(timeout).plus(SETTLE_MARGIN).compareTo(gracePeriod) > 0) {
            throw new ConfigException("server.drain-delay (SIDECAR_DRAIN_DELAY, " + seconds(delay)
                                      + ") plus server.drain-timeout (SIDECAR_DRAIN_TIMEOUT, " + seconds(timeout)
                                      + ") plus " + seconds(SETTLE_MARGIN) + " to settle must fit in "
                                      + "server.termination-grace-period (SIDECAR_TERMINATION_GRACE_PERIOD, "
                                      + seconds(gracePeriod) + "), after which Kubernetes kills the sidecar. "
                                      + "Shorten the drain or raise the pod's terminationGracePeriodSeconds and "
                                      + "this setting with it.");
        }
    }

    /**
     * Reads the node. When neither the delay nor the timeout is configured and the grace period is shorter than the
     * defaults need (a pod with a short {@code terminationGracePeriodSeconds}, which the injector passes on), the
     * defaults shrink to fit; values that were set explicitly and do not fit are an error.
     */
    public static DrainConfig create(Config server) {
        Duration delay = ConfigValues.duration(server.get("drain-delay"), DEFAULT_DELAY);
        Duration timeout = ConfigValues.duration(server.get("drain-timeout"), DEFAULT_TIMEOUT);
        Duration grace = ConfigValues.duration(server.get("termination-grace-period"), DEFAULT_GRACE_PERIOD);
        boolean defaults = ConfigValues.string(server.get("drain-delay")).isEmpty()
                           && ConfigValues.string(server.get("drain-timeout")).isEmpty();
        Duration room = grace.minus(SETTLE_MARGIN);
        if (defaults && delay.plus(timeout).compareTo(room) > 0 && room.compareTo(Duration.ofSeconds(1)) >= 0) {
            delay = room.dividedBy(4).compareTo(DEFAULT_DELAY) < 0 ? room.dividedBy(4) : DEFAULT_DELAY;
            timeout = room.minus(delay);
        }
        return new DrainConfig(delay, timeout, grace);
    }

    /** The longest the whole drain can take, which Helidon's own shutdown grace period must cover. */
    public Duration longest() {
        return delay.plus(timeout).plus(SETTLE_MARGIN);
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
