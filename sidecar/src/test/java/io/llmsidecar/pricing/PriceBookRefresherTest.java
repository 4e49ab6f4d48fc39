package io.llmsidecar.pricing;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceBookRefresherTest {
    @Test
    void abandonsAFetchThatHangsAfterItsOwnTimeoutAndInterruptsIt() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        PriceBookRefresher.Source hangs = () -> {
            try {
                Thread.sleep(Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            return new byte[0];
        };
        PriceBook book = new PriceBook(Map.of());
        try (PriceBookRefresher refresher = new PriceBookRefresher(book, hangs, Duration.ZERO,
                                                                   Duration.ofMillis(200), Clock.systemUTC())) {
            assertFalse(refresher.refresh(), "a fetch that never answers fails after the fetch timeout");
            assertTrue(interrupted.await(5, TimeUnit.SECONDS), "the hanging fetch is interrupted, not left running");
            assertTrue(book.gatewayUpdatedAt().isEmpty());
        }
    }
}
