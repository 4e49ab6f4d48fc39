package io.llmsidecar.lifecycle;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InFlightTest {
    @Test
    void cuttingAStreamInterruptsItsThreadAndEndClearsTheInterrupt() throws Exception {
        InFlight inFlight = new InFlight();
        CountDownLatch watching = new CountDownLatch(1);
        AtomicBoolean sawCut = new AtomicBoolean();
        AtomicBoolean interruptedAfterEnd = new AtomicBoolean(true);
        Thread stream = Thread.ofVirtual().start(() -> {
            InFlight.StreamWatch watch = inFlight.watchStream();
            watching.countDown();
            try {
                Thread.sleep(Duration.ofMinutes(1));          // stands for the relay blocked reading the gateway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sawCut.set(watch.end());
            interruptedAfterEnd.set(Thread.currentThread().isInterrupted());
        });
        assertTrue(watching.await(5, TimeUnit.SECONDS));
        assertEquals(1, inFlight.streams());

        assertEquals(1, inFlight.cutStreams());
        stream.join(5000);

        assertTrue(sawCut.get());
        assertFalse(interruptedAfterEnd.get(), "writing the error event and settling must not be interrupted");
        assertEquals(0, inFlight.streams());
    }

    @Test
    void aStreamThatEndedIsNeitherCutNorInterrupted() {
        InFlight inFlight = new InFlight();
        InFlight.StreamWatch watch = inFlight.watchStream();
        assertFalse(watch.end());
        assertEquals(0, inFlight.cutStreams());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void aStreamThatStartsAfterTheDeadlineIsCutAtOnce() {
        InFlight inFlight = new InFlight();
        assertEquals(0, inFlight.cutStreams());
        InFlight.StreamWatch late = inFlight.watchStream();
        assertTrue(Thread.currentThread().isInterrupted(), "its first read from the gateway fails");
        assertTrue(late.end());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void awaitIdleReturnsAtOnceWhenNothingIsInFlight() {
        assertTrue(new InFlight().awaitIdle(Duration.ZERO));
    }
}
