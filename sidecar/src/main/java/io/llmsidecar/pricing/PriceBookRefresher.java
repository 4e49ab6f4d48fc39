package io.llmsidecar.pricing;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reloads the gateway's prices in the background. A failed fetch keeps the last good prices (or the static table)
 * and is logged without the response body, which could echo credentials back.
 *
 * <p>It owns its scheduler, and each fetch gets {@link #DEFAULT_FETCH_TIMEOUT} however long the upstream read
 * timeout is (300 s by default, sized for slow generations): a {@code /models} call that hangs is abandoned (its
 * virtual thread interrupted, which closes its socket) and never delays other background work.
 */
public final class PriceBookRefresher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PriceBookRefresher.class.getName());
    /** The longest one {@code /models} fetch may take. */
    public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(10);

    /** Fetches the gateway's pricing map; implemented by the upstream client. */
    @FunctionalInterface
    public interface Source {
        byte[] fetch() throws Exception;
    }

    private final PriceBook book;
    private final Source source;
    private final Duration interval;
    private final Duration fetchTimeout;
    private final Clock clock;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("price-refresh").daemon(true).factory());
    private final ExecutorService fetches = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("price-fetch-", 0).factory());
    private volatile String lastError = "";

    public PriceBookRefresher(PriceBook book, Source source, Duration interval, Clock clock) {
        this(book, source, interval, DEFAULT_FETCH_TIMEOUT, clock);
    }

    PriceBookRefresher(PriceBook book, Source source, Duration interval, Duration fetchTimeout, Clock clock) {
        this.book = book;
        this.source = source;
        this.interval = interval;
        this.fetchTimeout = fetchTimeout;
        this.clock = clock;
    }

    /** Loads now in the background and then every interval; does nothing when the interval is zero. */
    public void start() {
        if (interval.isZero()) {
            LOG.log(Level.INFO, "Gateway price refresh disabled (pricing.refresh-interval=0); using the static table");
            return;
        }
        scheduler.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One fetch, abandoned after the fetch timeout; returns whether it succeeded. */
    public boolean refresh() {
        Future<byte[]> fetch = fetches.submit(source::fetch);
        try {
            Map<String, ModelPrice> prices = GatewayModels.parse(fetch.get(fetchTimeout.toMillis(),
                                                                           TimeUnit.MILLISECONDS));
            boolean firstOrRecovered = book.gatewayUpdatedAt().isEmpty() || !lastError.isEmpty();
            book.updateFromGateway(prices, clock.instant());
            if (firstOrRecovered) {
                LOG.log(Level.INFO, "Loaded prices for " + prices.size() + " models from the gateway");
            }
            lastError = "";
            return true;
        } catch (TimeoutException e) {
            fetch.cancel(true);
            failed("no answer within " + fetchTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            failed(describe(e.getCause()));
        } catch (InterruptedException e) {
            fetch.cancel(true);
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failed(describe(e));
        }
        return false;
    }

    private void failed(String message) {
        if (!message.equals(lastError)) {
            LOG.log(Level.WARNING, "Could not load prices from the gateway (" + message + "); using "
                                   + (book.gatewayUpdatedAt().isPresent() ? "the last loaded prices"
                                                                          : "the static price table"));
        }
        lastError = message;
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        fetches.shutdownNow();
    }
}
