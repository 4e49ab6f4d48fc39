package io.llmsidecar.proxy;

import io.llmsidecar.openai.SidecarException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BodyBudgetTest {
    @Test
    void bytesTakenAreHeldUntilTheLeaseClosesAndThenAllGiveBack() {
        BodyBudget budget = new BodyBudget(1000, Duration.ofMillis(50));
        try (BodyBudget.Lease lease = budget.lease()) {
            lease.take(300, BodyBudget.Part.REQUEST);
            lease.take(200, BodyBudget.Part.ANSWER);
            assertEquals(500, budget.inFlight());
            assertEquals(500, lease.held());
        }
        assertEquals(0, budget.inFlight());
    }

    @Test
    void aBodyWithNoRoomWaitsTheConfiguredTimeThenIsRefusedWith503AndRetryAfter() {
        BodyBudget budget = new BodyBudget(1000, Duration.ofMillis(200));
        try (BodyBudget.Lease first = budget.lease(); BodyBudget.Lease second = budget.lease()) {
            first.take(800, BodyBudget.Part.REQUEST);
            long start = System.nanoTime();
            SidecarException refused = assertThrows(SidecarException.class,
                                                    () -> second.take(300, BodyBudget.Part.REQUEST));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waited >= 190, "refused after " + waited + " ms, before the wait");
            assertEquals(503, refused.status());
            assertEquals("sidecar_overloaded", refused.code());
            assertEquals("1", refused.headers().get("Retry-After"));
            assertTrue(refused.getMessage().contains("SIDECAR_MAX_INFLIGHT_BODY_BYTES"));
            assertTrue(refused.getMessage().contains("not forwarded"));
            assertEquals(0, second.held());
            assertEquals(800, budget.inFlight());
            assertEquals(1, budget.refusals());
        }
        assertEquals(0, budget.inFlight());
    }

    @Test
    void aWaitingBodyGetsTheRoomAnotherRequestGivesBack() throws Exception {
        BodyBudget budget = new BodyBudget(1000, Duration.ofSeconds(10));
        BodyBudget.Lease first = budget.lease();
        first.take(1000, BodyBudget.Part.REQUEST);
        CountDownLatch waiting = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Long> second = pool.submit(() -> {
                try (BodyBudget.Lease lease = budget.lease()) {
                    waiting.countDown();
                    lease.take(600, BodyBudget.Part.REQUEST);
                    return budget.inFlight();
                }
            });
            waiting.await();
            Thread.sleep(100);
            assertFalse(second.isDone(), "took room that was not there");
            first.close();
            assertEquals(600, second.get(5, TimeUnit.SECONDS));
        }
        assertEquals(0, budget.inFlight());
        assertEquals(0, budget.refusals());
    }

    @Test
    void answersAreCountedAtOnceEvenPastTheLimitAndHoldBackNewBodiesUntilTheyEnd() throws Exception {
        BodyBudget budget = new BodyBudget(1000, Duration.ofSeconds(10));
        BodyBudget.Lease first = budget.lease();
        BodyBudget.Lease second = budget.lease();
        first.take(1000, BodyBudget.Part.REQUEST);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch queued = new CountDownLatch(1);
            Future<Long> waiting = pool.submit(() -> {
                try (BodyBudget.Lease lease = budget.lease()) {
                    queued.countDown();
                    lease.take(400, BodyBudget.Part.REQUEST);
                    return lease.held();
                }
            });
            queued.await();
            Thread.sleep(50);
            long start = System.nanoTime();
            first.take(3000, BodyBudget.Part.ANSWER);      // at once, ahead of the body in line, far past the limit
            second.take(2000, BodyBudget.Part.ANSWER_PART); // an answer of no announced length: counted at once
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "an answer waited");
            assertEquals(6000, budget.inFlight());
            assertEquals(0, budget.refusals());
            first.close();
            Thread.sleep(50);
            assertFalse(waiting.isDone(), "a body took room while answers held more than the limit");
            second.close();
            assertEquals(400, waiting.get(5, TimeUnit.SECONDS));
        }
        assertEquals(0, budget.inFlight());
    }

    @Test
    void anAnnouncedAnswerWaitsWhileAnswersArePastTheLimitAndIsNeverRefused() throws Exception {
        BodyBudget budget = new BodyBudget(1000, Duration.ofMillis(20));
        BodyBudget.Lease past = budget.lease();
        past.take(900, BodyBudget.Part.REQUEST);
        past.take(600, BodyBudget.Part.ANSWER);          // held 900 <= 1000: admitted whole, now 1500
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             BodyBudget.Lease waiting = budget.lease()) {
            Future<Long> answer = pool.submit(() -> {
                waiting.take(700, BodyBudget.Part.ANSWER);
                return budget.inFlight();
            });
            Thread.sleep(200);                           // ten times the bodies' wait: an answer is not refused
            assertFalse(answer.isDone(), "an answer went past the limit while another already had");
            assertEquals(1500, budget.inFlight());
            past.close();
            assertEquals(700, answer.get(5, TimeUnit.SECONDS), "admitted once the answer past the limit ended");
            assertEquals(0, budget.refusals());
        }
        assertEquals(0, budget.inFlight());
    }

    @Test
    void bodiesGetRoomInArrivalOrderSoALargeOneIsNotStarvedBySmallOnes() throws Exception {
        BodyBudget budget = new BodyBudget(1000, Duration.ofSeconds(10));
        java.util.Queue<String> order = new java.util.concurrent.ConcurrentLinkedQueue<>();
        BodyBudget.Lease first = budget.lease();
        first.take(900, BodyBudget.Part.REQUEST);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> large = pool.submit(() -> takeAndRecord(budget, 960, "large", order));
            while (budget.queued() < 1) {
                Thread.sleep(5);
            }
            // 50 bytes would fit now, but the large body came first: the small one waits behind it.
            Future<?> small = pool.submit(() -> takeAndRecord(budget, 50, "small", order));
            while (budget.queued() < 2) {
                Thread.sleep(5);
            }
            Thread.sleep(100);
            assertFalse(small.isDone(), "the small body overtook the large one");
            first.close();
            large.get(5, TimeUnit.SECONDS);
            small.get(5, TimeUnit.SECONDS);
        }
        assertEquals(List.of("large", "small"), List.copyOf(order));
        assertEquals(0, budget.inFlight());
        assertEquals(0, budget.refusals());
    }

    private static Void takeAndRecord(BodyBudget budget, long bytes, String name, java.util.Queue<String> order)
            throws InterruptedException {
        try (BodyBudget.Lease lease = budget.lease()) {
            lease.take(bytes, BodyBudget.Part.REQUEST);
            order.add(name);
            Thread.sleep(50);
        }
        return null;
    }

    @Test
    void aRequestBodyNeverHoldsMoreThanTheWholeBudgetSoItAlwaysFitsAloneWhileItsAnswerCountsInFull() {
        BodyBudget budget = new BodyBudget(1000, Duration.ZERO);
        try (BodyBudget.Lease lease = budget.lease()) {
            lease.take(800, BodyBudget.Part.REQUEST);
            lease.take(800, BodyBudget.Part.REQUEST);        // a chunked body growing: capped at the budget
            assertEquals(1000, lease.held());
            lease.take(5000, BodyBudget.Part.ANSWER);        // the gauge tells the truth about answers
            assertEquals(6000, lease.held());
            assertEquals(6000, budget.inFlight());
        }
        assertEquals(0, budget.inFlight());
    }

    @Test
    void closingTwiceGivesBackOnceAndTheCountNeverGoesNegative() {
        BodyBudget budget = new BodyBudget(1000, Duration.ZERO);
        BodyBudget.Lease other = budget.lease();
        other.take(400, BodyBudget.Part.REQUEST);
        BodyBudget.Lease lease = budget.lease();
        lease.take(300, BodyBudget.Part.REQUEST);
        lease.close();
        lease.close();
        assertEquals(400, budget.inFlight());
        other.close();
        assertEquals(0, budget.inFlight());
        try (BodyBudget.Lease again = budget.lease()) {
            again.take(1000, BodyBudget.Part.REQUEST);     // exactly the capacity: nothing was given back twice
            assertThrows(SidecarException.class, () -> {
                try (BodyBudget.Lease more = budget.lease()) {
                    more.take(1, BodyBudget.Part.REQUEST);
                }
            });
        }
    }

    @Test
    void anInterruptedWaitIsRefusedAndKeepsTheInterrupt() {
        BodyBudget budget = new BodyBudget(10, Duration.ofSeconds(30));
        try (BodyBudget.Lease first = budget.lease(); BodyBudget.Lease second = budget.lease()) {
            first.take(10, BodyBudget.Part.REQUEST);
            Thread.currentThread().interrupt();
            assertThrows(SidecarException.class, () -> second.take(5, BodyBudget.Part.REQUEST));
            assertTrue(Thread.interrupted());
        }
        assertEquals(0, budget.inFlight());
    }

    @Test
    void manyConcurrentRequestsNeverHoldMoreThanTheBudgetAndGiveEverythingBack() throws Exception {
        int capacity = 64 * 1024;
        BodyBudget budget = new BodyBudget(capacity, Duration.ofMillis(2));
        AtomicLong worst = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Future<?>> tasks = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (int t = 0; t < 16; t++) {
                tasks.add(pool.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < 2000; i++) {
                        try (BodyBudget.Lease lease = budget.lease()) {
                            lease.take(random.nextInt(1, 16 * 1024), BodyBudget.Part.REQUEST);
                            if (random.nextBoolean()) {
                                lease.take(random.nextInt(1, 8 * 1024), BodyBudget.Part.ANSWER);
                            }
                            long now = budget.inFlight();
                            worst.accumulateAndGet(now, Math::max);
                            assertTrue(now >= lease.held() && now <= capacity + 16 * 1024, "in flight " + now);
                            if (random.nextInt(8) == 0) {
                                throw new IllegalStateException("the request failed");
                            }
                        } catch (SidecarException e) {
                            refused.incrementAndGet();
                        } catch (IllegalStateException expected) {
                            // a failure on the way: the lease gives its bytes back all the same
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, budget.inFlight());
        assertTrue(worst.get() <= capacity + 16 * 1024 && worst.get() > capacity / 2, "worst " + worst.get());
        assertEquals(refused.get(), budget.refusals());
    }
}
