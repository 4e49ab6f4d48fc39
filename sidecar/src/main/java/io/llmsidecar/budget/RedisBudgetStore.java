package io.llmsidecar.budget;

import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Budget counters and rate-limit buckets in Redis, shared by every replica. Each operation is one Lua script run with
 * {@code EVALSHA}: one round trip, atomic, so no interleaving of replicas can admit more than a budget holds. A
 * request costs two: {@code reserve.lua} (rate limits and every budget) before it is forwarded, {@code settle.lua}
 * after. Every key shares the prefix's {@code {hash tag}}, so in a Cluster each script runs on one node. The data
 * model is described in {@code common.lua}.
 */
final class RedisBudgetStore implements BudgetStore {
    /** Counters outlive their window by this much, so late settlements still find them. */
    static final Duration KEEP_AFTER_WINDOW = InMemoryBudgetStore.KEEP_AFTER_WINDOW;
    private static final String KEEP_SETTLED_MILLIS = Long.toString(InMemoryBudgetStore.REMEMBER_SETTLED.toMillis());
    /** reserve.lua's verdict for a call that ran past its deadline. */
    private static final long LATE = 4;
    /** The message of Lettuce's refusal of a command while disconnected (DefaultEndpoint). */
    private static final String REJECTED_WHILE_DISCONNECTED = "Currently not connected";
    /** A deadline further than this is no deadline (and keeps the arithmetic far from overflow). */
    private static final long MAX_DEADLINE_MILLIS = InMemoryBudgetStore.REMEMBER_SETTLED.toMillis();

    private final RedisConnector connector;
    private final RedisConnector.Lazy<String> redis;
    private final String prefix;
    private final String chargeExpired;
    private final LongConsumer onExpired;
    private final Script reserve = Script.load("reserve.lua");
    /** How far Redis' clock is ahead of ours (ms; negative when behind), learnt from every reservation's answer. */
    private volatile long redisAheadMillis;
    private final Script settle = Script.load("settle.lua");
    private final Script read = Script.load("read.lua");
    private final Script list = Script.load("list.lua");
    private final Script reset = Script.load("reset.lua");

    RedisBudgetStore(RedisConnector connector, String prefix, ExpiredReservations expired, LongConsumer onExpired) {
        this.connector = connector;
        this.redis = connector.connection(new Utf8ArrayCodec(), this::loadScripts);
        this.prefix = prefix;
        this.chargeExpired = expired == ExpiredReservations.CHARGE ? "1" : "0";
        this.onExpired = onExpired;
    }

    /** Charges expired reservations and counts expiries nowhere: for tests. */
    RedisBudgetStore(RedisConnector connector, String prefix) {
        this(connector, prefix, ExpiredReservations.CHARGE, n -> { });
    }

    @Override
    public ReserveResult reserve(String id, List<Charge> charges, List<RateTake> takes, long expiresAtMillis,
                                 long nowMillis, long deadlineMillis) {
        String[] keys = keys(id, charges, takes);
        String[] args = new String[8 + charges.size() * 6 + takes.size() * 2];
        args[0] = prefix;
        args[1] = Long.toString(nowMillis);
        args[2] = Long.toString(expiresAtMillis);
        args[3] = id;
        args[4] = KEEP_SETTLED_MILLIS;
        args[5] = chargeExpired;
        args[6] = Integer.toString(charges.size());
        int a = 8;
        for (Charge c : charges) {
            args[a++] = Long.toString(c.counter().limitTokens());
            args[a++] = Long.toString(c.counter().limitNanos());
            args[a++] = Long.toString(c.tokens());
            args[a++] = Long.toString(c.nanos());
            args[a++] = expireAt(c.counter());
            args[a++] = c.counter().key();
        }
        a = takes(takes, args, a);
        long within = Math.min(deadlineMillis - nowMillis, MAX_DEADLINE_MILLIS);
        List<Object> reply;
        for (int attempt = 1; ; attempt++) {
            long sent = System.currentTimeMillis();
            args[7] = Long.toString(sent + redisAheadMillis + within);
            reply = run(reserve, keys, args);
            long received = System.currentTimeMillis();
            // Redis' clock against ours, to the round trip's half: the deadline is checked on Redis' clock.
            redisAheadMillis = (Long) reply.get(4) - (sent + received) / 2;
            // Past its deadline, yet answered in time: our estimate of Redis' clock was off (the first call, or a
            // clock that was stepped). Nothing was written, so the same id may try once more.
            if ((Long) reply.getFirst() != LATE || attempt == 2 || within < 0) {
                break;
            }
        }
        List<CounterState> states = states(charges.stream().map(Charge::counter).toList(), reply, 5);
        expired((Long) reply.get(2));
        int index = (int) (long) (Long) reply.get(1) - 1;
        return switch ((int) (long) (Long) reply.getFirst()) {
            case 1 -> new ReserveResult.Reserved(states);
            case 2 -> new ReserveResult.Exceeded(index, states);
            case 3 -> new ReserveResult.RateLimited(index, (Long) reply.get(3) * 1_000_000L, states);
            default -> new ReserveResult.Late(states);
        };
    }

    @Override
    public List<CounterState> settle(String id, List<Charge> used, List<RateTake> completion, boolean reserved,
                                     long nowMillis) {
        if (used.isEmpty() && completion.isEmpty()) {
            return List.of();
        }
        String[] args = new String[4 + used.size() * 4 + completion.size() * 2];
        args[0] = id;
        args[1] = reserved ? "1" : "0";
        args[2] = KEEP_SETTLED_MILLIS;
        args[3] = Integer.toString(used.size());
        int a = 4;
        for (Charge c : used) {
            args[a++] = Long.toString(c.tokens());
            args[a++] = Long.toString(c.nanos());
            args[a++] = expireAt(c.counter());
            args[a++] = c.counter().key();
        }
        takes(completion, args, a);
        return states(used.stream().map(Charge::counter).toList(), run(settle, keys(id, used, completion), args),
                      0);
    }

    @Override
    public void renew(Collection<String> ids, long expiresAtMillis) {
        if (ids.isEmpty()) {
            return;
        }
        @SuppressWarnings("unchecked")
        ScoredValue<String>[] values = ids.stream().map(id -> ScoredValue.just(expiresAtMillis, id))
                .toArray(ScoredValue[]::new);
        try {
            // XX: a reservation that expired meanwhile stays expired; its settlement still adds the usage.
            await(redis.asyncCommands().zadd(prefix + "exp", ZAddArgs.Builder.xx(), values));
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public List<CounterState> read(List<Counter> counters) {
        if (counters.isEmpty()) {
            return List.of();
        }
        String[] keys = counters.stream().map(this::counterKey).toArray(String[]::new);
        return states(counters, run(read, keys), 0);
    }

    @Override
    public List<CounterState> list(List<Budget> budgets, Instant now) {
        String[] keys = new String[1 + budgets.size()];
        String[] args = new String[4 + budgets.size()];
        keys[0] = prefix + "exp";
        args[0] = prefix;
        args[1] = Long.toString(now.toEpochMilli());
        args[2] = KEEP_SETTLED_MILLIS;
        args[3] = chargeExpired;
        for (int i = 0; i < budgets.size(); i++) {
            Budget b = budgets.get(i);
            long start = b.window().start(now).getEpochSecond();
            keys[1 + i] = prefix + "i:" + b.name() + ":" + start;
            args[4 + i] = prefix + "c:" + b.name() + ":" + start + ":";
        }
        List<Object> reply = run(list, keys, args);
        expired((Long) reply.getFirst());
        List<CounterState> states = new ArrayList<>(reply.size() / 6);
        for (int i = 1; i < reply.size(); i += 6) {
            Budget b = budgets.get((int) (long) (Long) reply.get(i) - 1);
            Counter counter = Counter.of(b, (String) reply.get(i + 1), now);
            states.add(state(counter, reply, i + 2));
        }
        return states;
    }

    @Override
    public boolean reset(Counter counter) {
        try {
            return (Long) evalsha(reset, ScriptOutputType.INTEGER, new String[] {counterKey(counter)}) == 1L;
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void ping() {
        try {
            await(redis.asyncCommands().ping());
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public String describe() {
        return connector.describe() + " over " + RedisConnector.transport();
    }

    @Override
    public void close() {
        redis.close();
    }

    private String[] keys(String id, List<Charge> charges, List<RateTake> takes) {
        int n = charges.size();
        String[] keys = new String[2 + 2 * n + takes.size()];
        keys[0] = prefix + "exp";
        keys[1] = prefix + "r:" + id;
        for (int i = 0; i < n; i++) {
            Counter c = charges.get(i).counter();
            keys[2 + i] = counterKey(c);
            keys[2 + n + i] = prefix + "i:" + c.budget().name() + ":" + c.windowStart().getEpochSecond();
        }
        for (int j = 0; j < takes.size(); j++) {
            keys[2 + 2 * n + j] = prefix + "rl:" + takes.get(j).bucketId();
        }
        return keys;
    }

    private static int takes(List<RateTake> takes, String[] args, int from) {
        int a = from;
        for (RateTake t : takes) {
            args[a++] = Long.toString(t.perMinute());
            args[a++] = Long.toString(t.amount());
        }
        return a;
    }

    private void expired(long count) {
        if (count > 0) {
            onExpired.accept(count);
        }
    }

    private String counterKey(Counter counter) {
        return prefix + "c:" + counter.id();
    }

    private static String expireAt(Counter counter) {
        return Long.toString(counter.windowEnd().plus(KEEP_AFTER_WINDOW).getEpochSecond());
    }

    private List<Object> run(Script script, String[] keys, String... args) {
        try {
            return evalsha(script, ScriptOutputType.MULTI, keys, args);
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /**
     * Loads every script on a new connection (on every Cluster node), before any request uses it. Without this, the
     * first burst of concurrent requests all met {@code NOSCRIPT} and each sent its script in full: a second round
     * trip per request.
     */
    @SuppressWarnings("unchecked")
    private CompletionStage<?> loadScripts(StatefulConnection<String, String> connection) {
        RedisScriptingAsyncCommands<String, String> commands =
                connection instanceof StatefulRedisClusterConnection<?, ?> cluster
                        ? ((StatefulRedisClusterConnection<String, String>) cluster).async()
                        : ((StatefulRedisConnection<String, String>) connection).async();
        return CompletableFuture.allOf(Stream.of(reserve, settle, read, list, reset)
                .map(s -> commands.scriptLoad(s.source().getBytes(StandardCharsets.UTF_8)).toCompletableFuture())
                .toArray(CompletableFuture[]::new));
    }

    /** Runs a script by its digest; after a Redis restart (or a failover to a new node) sends it once in full. */
    private <T> T evalsha(Script script, ScriptOutputType type, String[] keys, String... args) {
        RedisClusterAsyncCommands<String, String> commands = redis.asyncCommands();
        try {
            return await(commands.evalsha(script.sha(), type, keys, args));
        } catch (RedisNoScriptException e) {
            return await(commands.eval(script.source(), type, keys, args));
        }
    }

    /**
     * The command's result, waiting without a timer of its own. Why not the sync API: it waits with a timed
     * {@code get}, and a virtual thread's timed wait schedules and cancels a timer task on the JDK's delay scheduler,
     * which woke its thread twice per command: 7% of the sidecar's CPU in Redis mode (docs/BENCHMARKS.md, issue 19).
     * The wait is still bounded, by the command timeout Lettuce's {@code TimeoutOptions} enforce (see
     * {@link RedisConnector}), which fails the command as the sync API's own timeout did.
     */
    private static <T> T await(RedisFuture<T> command) {
        try {
            return command.get();
        } catch (InterruptedException e) {
            command.cancel(true);
            Thread.currentThread().interrupt();
            throw new RedisCommandInterruptedException(e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RedisException redis ? redis : new RedisException(e.getCause());
        }
    }

    /**
     * Whether the command may have reached Redis decides whether its id must be cancelled: Lettuce refuses commands
     * while disconnected (REJECT_COMMANDS) before writing them; anything else (a timeout above all) may have run, or
     * may still run.
     */
    private BudgetStoreUnavailableException unavailable(RedisException e) {
        boolean unsent = e.getMessage() != null && e.getMessage().startsWith(REJECTED_WHILE_DISCONNECTED);
        return new BudgetStoreUnavailableException(connector.describe() + ": " + e.getMessage(), e, !unsent);
    }

    private static List<CounterState> states(List<Counter> counters, List<Object> reply, int from) {
        List<CounterState> states = new ArrayList<>(counters.size());
        for (int i = 0; i < counters.size(); i++) {
            states.add(state(counters.get(i), reply, from + i * 4));
        }
        return states;
    }

    private static CounterState state(Counter counter, List<Object> reply, int at) {
        return new CounterState(counter, (Long) reply.get(at), (Long) reply.get(at + 1), (Long) reply.get(at + 2),
                                (Long) reply.get(at + 3));
    }

    /** A script from this package's resources, prefixed with the shared {@code common.lua}. */
    private record Script(String source, String sha) {
        static Script load(String name) {
            String source = resource("common.lua") + "\n" + resource(name);
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                return new Script(source, HexFormat.of().formatHex(digest));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String resource(String name) {
            try (InputStream in = RedisBudgetStore.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("missing script " + name);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
