package io.llmsidecar.pricing;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reloads the gateway's prices in the background. A failed fetch keeps the last good prices (or the static table)
 * and is logged without the response body, which could echo credentials back. It runs on a scheduler the caller
 * owns.
 */
public final class PriceBookRefresher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PriceBookRefresher.class.getName());

    /** Fetches the gateway's pricing map; implemented by the upstream client. */
    @FunctionalInterface
    public interface Source {
        byte[] fetch() throws Exception;
    }

    private final PriceBook book;
    private final Source source;
    private final Duration interval;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private volatile String lastError = "";

    private volatile ScheduledFuture<?> task;

    public PriceBookRefresher(PriceBook book, Source source, Duration interval, Clock clock,
                              ScheduledExecutorService scheduler) {
        this.book = book;
        this.source = source;
        this.interval = interval;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Loads now in the background and then every interval; does nothing when the interval is zero. */
    public void start() {
        if (interval.isZero()) {
            LOG.log(Level.INFO, "Gateway price refresh disabled (pricing.refresh-interval=0); using the static table");
            return;
        }
        task = scheduler.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One fetch; returns whether it succeeded. */
    public boolean refresh() {
        try {
            Map<String, ModelPrice> prices = GatewayModels.parse(source.fetch());
            boolean firstOrRecovered = book.gatewayUpdatedAt().isEmpty() || !lastError.isEmpty();
            book.updateFromGateway(prices, clock.instant());
            if (firstOrRecovered) {
                LOG.log(Level.INFO, "Loaded prices for " + prices.size() + " models from the gateway");
            }
            lastError = "";
            return true;
        } catch (Exception e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (!message.equals(lastError)) {
                LOG.log(Level.WARNING, "Could not load prices from the gateway (" + message + "); using "
                                       + (book.gatewayUpdatedAt().isPresent() ? "the last loaded prices"
                                                                              : "the static price table"));
            }
            lastError = message;
            return false;
        }
    }

    @Override
    public void close() {
        if (task != null) {
            task.cancel(true);
        }
    }
}
