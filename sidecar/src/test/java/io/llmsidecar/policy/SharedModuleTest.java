package io.llmsidecar.policy;

import io.llmsidecar.metrics.SidecarMetrics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every instance of a revision runs the one module compiled for it (at build time for the bundled default), so an
 * extra instance costs its own Wasm memory only; PolicyFootprint measures the heap (docs/BENCHMARKS.md).
 */
class SharedModuleTest {
    private static final int POOL = 8;
    /** The default policy's memory after loading data and evaluating a request: well under 2 MiB. */
    private static final int MAX_PAGES_PER_INSTANCE = 32;

    @Test
    void everyPoolInstanceSharesTheRevisionsCompiledModule() throws Exception {
        try (PolicyEngine engine = PolicyEngine.start(TestPolicies.config(Optional.empty(), Optional.empty(), POOL,
                                                                          Duration.ofSeconds(5)),
                                                      new SidecarMetrics("test"))) {
            InstancePool pool = engine.enforcedLoader().active().orElseThrow().pool();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (pool.ready() < POOL && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(POOL, pool.ready());

            // Borrow them all at once, so each one is a different instance, and use each.
            List<PolicyInstance> borrowed = new ArrayList<>();
            for (int i = 0; i < POOL; i++) {
                borrowed.add(pool.borrow(Duration.ofSeconds(5).toNanos()));
            }
            assertEquals(POOL, borrowed.stream().distinct().count());
            PolicyInput input = PolicyFixtures.exampleInput();
            for (PolicyInstance instance : borrowed) {
                assertSame(pool.module(), instance.module());
                String result = instance.evaluate(input.json(), input.epochNanos(), System.nanoTime() + 5_000_000_000L);
                assertInstanceOf(Decision.Allow.class, DecisionParser.parse(result, "test"), result);
                assertTrue(instance.memoryPages() <= MAX_PAGES_PER_INSTANCE, instance.memoryPages() + " pages");
                assertTrue(instance.memoryBytesHeld() <= MAX_PAGES_PER_INSTANCE * 65_536,
                           instance.memoryBytesHeld() + " bytes held, with the room grown into");
            }
            borrowed.forEach(pool::release);
        }
    }

    @Test
    void theBundledDefaultIsCompiledAtBuildTime() throws Exception {
        PolicySource.Candidate bundled = new PolicySource.Bundled(PolicySource.Bundled.DEFAULT).poll("").orElseThrow();
        OpaModule module = bundled.compile(bundled.load());
        assertSame(DefaultPolicyModule.load(), module.module(), "the module the build generated, not a new parse");
    }
}
