package io.llmsidecar.lifecycle;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The graceful stop on SIGTERM, in order:
 * <ol>
 *   <li>readiness turns 503 at once, and the log says the drain started;</li>
 *   <li>the sidecar keeps serving for {@link DrainConfig#delay()}: the app may still be finishing its own work, and
 *       a classic sidecar gets SIGTERM at the same moment as the app;</li>
 *   <li>it stops accepting (listeners closed, keep-alive connections closed after their current request) and waits
 *       up to {@link DrainConfig#timeout()} for the requests and streams in flight;</li>
 *   <li>streams still open then are ended with a {@code sidecar_shutting_down} error event and billed for what they
 *       streamed; each request settles its own reservation as its handler returns;</li>
 *   <li>the rest closes: the fail-open replay ledger is flushed into the budget store, and a summary is logged.</li>
 * </ol>
 */
public final class Drain {
    private static final System.Logger LOG = System.getLogger(Drain.class.getName());

    /** What a drain did, for the summary line and for tests. */
    public record Summary(long requestsFinished, int streamsCut, int requestsLeft, Duration took) {
    }

    private final DrainConfig config;
    private final DrainState state;
    private final InFlight inFlight;
    private final Runnable stopAccepting;
    private final Runnable closeRest;
    private final CountDownLatch done = new CountDownLatch(1);

    /**
     * @param stopAccepting closes the listeners and returns when the connections ended (Helidon's
     *                      {@code WebServer.stop()}, whose shutdown grace period covers the drain timeout)
     * @param closeRest     closes everything else, budget store last, which flushes the replay ledger
     */
    public Drain(DrainConfig config, DrainState state, InFlight inFlight, Runnable stopAccepting,
                 Runnable closeRest) {
        this.config = config;
        this.state = state;
        this.inFlight = inFlight;
        this.stopAccepting = stopAccepting;
        this.closeRest = closeRest;
    }

    /**
     * Runs the drain once; a second call (a second SIGTERM, the shutdown hook) waits for the first to finish and
     * returns null.
     */
    public Summary run() {
        if (!state.begin()) {
            awaitDone();
            return null;
        }
        try {
            return drain();
        } finally {
            done.countDown();
        }
    }

    private Summary drain() {
        long started = System.nanoTime();
        long finishedBefore = inFlight.finished();
        LOG.log(Level.INFO, "Drain started (SIGTERM): readiness answers 503; serving " + inFlight.requests()
                            + " requests in flight and new ones for " + text(config.delay())
                            + " (server.drain-delay), then waiting up to " + text(config.timeout())
                            + " (server.drain-timeout) for what is in flight");
        sleep(config.delay());

        Thread stopper = Thread.ofPlatform().name("sidecar-stop").start(stopAccepting);
        LOG.log(Level.INFO, "Drain: no longer accepting connections; waiting for " + inFlight.requests()
                            + " requests (" + inFlight.streams() + " streams) in flight");
        int cut = 0;
        if (!inFlight.awaitIdle(config.timeout())) {
            cut = inFlight.cutStreams();
            LOG.log(Level.WARNING, "Drain timeout (server.drain-timeout=" + text(config.timeout()) + ") reached: "
                                   + "ending " + cut + " streams with a sidecar_shutting_down error event and "
                                   + "billing what they streamed");
            inFlight.awaitIdle(DrainConfig.SETTLE_MARGIN.dividedBy(2));
        }
        int left = inFlight.requests();
        try {
            stopper.join(DrainConfig.SETTLE_MARGIN.dividedBy(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeRest.run();
        Summary summary = new Summary(inFlight.finished() - finishedBefore, cut, left,
                                      Duration.ofNanos(System.nanoTime() - started));
        LOG.log(left == 0 ? Level.INFO : Level.WARNING,
                "Drain finished in " + summary.took().toMillis() + " ms: " + summary.requestsFinished()
                + " requests completed (each settled its own reservation), " + cut + " streams cut at the deadline"
                + (left == 0 ? "" : ", " + left + " requests still running were abandoned")
                + "; usage kept during a budget store outage flushed");
        return summary;
    }

    private void awaitDone() {
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
