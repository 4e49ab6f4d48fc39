package io.llmsidecar.bench;

import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.budget.Budgets;
import io.llmsidecar.budget.BudgetsConfig;
import io.llmsidecar.budget.Reservation;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;
import io.llmsidecar.testing.RedisServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The budget check every request pays for: reserve against two budgets (team per day, user per hour) and settle,
 * in the embedded store and in Redis on loopback (a local {@code redis-server}, or {@code REDIS_URL}).
 * {@code reserve} times the reservation alone (settled outside the measurement); {@code reserveAndSettle} both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BudgetBenchmark {
    private static final String BUDGETS = """
            budgets:
              - {name: team-daily, scope: [team], window: day, tokens: 9000000000000000, usd: 9000000}
              - {name: user-hourly, scope: [team, user], window: hour, tokens: 9000000000000000}
            """;
    private static final PricedModel MINI = new PricedModel("gpt-4o-mini", new ModelPrice(150_000, 600_000, -1, 0, 0));

    @Param({"memory", "redis"})
    public String store;

    private RedisServer redis;
    private ScheduledExecutorService background;
    private Budgets budgets;
    private BudgetService service;
    private Reservation pending;
    private final Subject subject = new Subject("payments", "u-42", new PodIdentity("ns", "pod", "sa", "web", "",
                                                                                    true));
    private final ChatRequest request = ChatRequest.parse(
            BenchFixtures.chatRequest(1500).getBytes(StandardCharsets.UTF_8));
    private final Estimate estimate = new Estimate(320, 256, MINI.price().maxCostNanos(320, 256), Optional.of(MINI));
    private final Usage usage = new Usage(318, 120, 0, Usage.Source.GATEWAY);

    @Setup(Level.Trial)
    public void start() throws IOException {
        Map<String, String> overrides = new HashMap<>();
        if (store.equals("redis")) {
            redis = RedisServer.start();
            overrides.put("budget-store.redis-uri", redis.uri());
            overrides.put("budget-store.key-prefix", RedisServer.uniquePrefix());
        }
        Path file = Files.createTempFile("bench", ".yaml");
        Files.writeString(file, BUDGETS);
        background = Executors.newSingleThreadScheduledExecutor();
        budgets = Budgets.start(BudgetsConfig.create(ConfigLoader.load(overrides, Optional.of(file))),
                                new SidecarMetrics("bench"), Clock.systemUTC());
        service = budgets.service();
        Files.delete(file);
    }

    @TearDown(Level.Trial)
    public void stop() {
        budgets.close();
        background.shutdownNow();
        if (redis != null) {
            redis.close();
        }
    }

    @Benchmark
    public void reserveAndSettle() {
        try (Reservation r = service.reserve(subject, request.model(), estimate)) {
            r.settle(usage);
        }
    }

    @Benchmark
    public Reservation reserve() {
        pending = service.reserve(subject, request.model(), estimate);
        return pending;
    }

    /** Settles what {@link #reserve} held, outside its measurement (a ~100 µs operation dwarfs the fixture cost). */
    @TearDown(Level.Invocation)
    public void settlePending() {
        if (pending != null) {
            pending.settle(usage);
            pending = null;
        }
    }
}
