package io.llmsidecar.budget;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.ResourceLeakDetector;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The Lettuce client behind the Redis budget store: standalone, Sentinel (from the URI) or Cluster (from
 * configuration). Connections are made lazily and retried in the background, so a sidecar starts while Redis is
 * down; once connected Lettuce reconnects by itself.
 *
 * <p>A Cluster connection needs the cluster's topology first ({@code CLUSTER NODES} through the seed node):
 * {@code RedisClusterClient.connectAsync} does not load it and fails with "Partitions not initialized", so every
 * attempt refreshes it before connecting. The topology is then refreshed periodically and on MOVED/ASK redirects and
 * reconnects, so a failover or resharding is followed.
 */
final class RedisConnector implements StoreConnection {
    /** Reconnection backs off to this at most, so usage is replayed within seconds of Redis coming back. */
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(2);
    private static final long RETRY_CONNECT_MILLIS = 1000;
    private static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(30);

    private final BudgetStoreConfig config;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final RedisURI uri;
    private final AtomicInteger attempts = new AtomicInteger();
    private volatile String lastError = "no attempt yet";
    private volatile boolean everConnected;
    private volatile boolean connecting;

    private RedisConnector(BudgetStoreConfig config, ClientResources resources, AbstractRedisClient client,
                           RedisURI uri) {
        this.config = config;
        this.resources = resources;
        this.client = client;
        this.uri = uri;
    }

    static RedisConnector create(BudgetStoreConfig config) {
        configureNetty();
        RedisURI uri = RedisURI.create(config.redisUri().orElseThrow());
        uri.setTimeout(config.commandTimeout());
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), MAX_RECONNECT_DELAY, 2,
                                                  TimeUnit.MILLISECONDS))
                .build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(config.connectTimeout()).build();
        // While disconnected, fail at once instead of queueing: the failure mode must decide now, not after a timeout.
        ClientOptions.DisconnectedBehavior reject = ClientOptions.DisconnectedBehavior.REJECT_COMMANDS;
        // The only bound on a command: RedisBudgetStore waits on its future without a timer (BudgetStallIT fails
        // without this).
        TimeoutOptions timeouts = TimeoutOptions.enabled(config.commandTimeout());
        AbstractRedisClient client;
        if (config.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
            ClusterTopologyRefreshOptions topology = ClusterTopologyRefreshOptions.builder()
                    .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                    .enableAllAdaptiveRefreshTriggers()
                    .build();
            cluster.setOptions(ClusterClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts)
                                       .topologyRefreshOptions(topology).disconnectedBehavior(reject).build());
            client = cluster;
        } else {
            RedisClient standalone = RedisClient.create(resources, uri);
            standalone.setOptions(ClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts)
                                          .disconnectedBehavior(reject).build());
            client = standalone;
        }
        return new RedisConnector(config, resources, client, uri);
    }

    /**
     * Netty settings the operator has not set (JVM-wide; Netty carries only the Redis connections). Both are read as
     * Netty reads them, so {@code -Dio.netty...} on the command line still wins.
     * <ul>
     *   <li>{@code io.netty.noUnsafe}: Netty's {@code sun.misc.Unsafe} use makes JDK 24+ warn on stderr; a few small
     *       Redis buffers do not need it.</li>
     *   <li>Leak detection off: Netty samples one buffer in 128 and records a stack trace for each (a
     *       {@code Throwable} filled in), 1.4% of Redis mode's CPU in a profile (docs/BENCHMARKS.md, issue 19): a
     *       debugging aid, back on with {@code -Dio.netty.leakDetection.level=simple}.</li>
     * </ul>
     */
    static void configureNetty() {
        if (System.getProperty("io.netty.noUnsafe") == null) {
            System.setProperty("io.netty.noUnsafe", "true");
        }
        if (System.getProperty("io.netty.leakDetection.level") == null
            && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    /**
     * A connection with {@code codec} that connects in the background and waits for its first attempt now. Each new
     * connection runs {@code prepare} before it is handed out; a failed preparation does not fail the connection (it
     * is an optimisation, such as loading scripts).
     */
    <V> Lazy<V> connection(RedisCodec<String, V> codec,
                           Function<StatefulConnection<String, V>, CompletionStage<?>> prepare) {
        Lazy<V> lazy = new Lazy<>(codec, prepare);
        // A Cluster takes two steps (topology, then the masters), each bounded by the connect timeout.
        lazy.connectOrWait(config.connectTimeout().multipliedBy(config.cluster() ? 2 : 1).plusMillis(200));
        return lazy;
    }

    /**
     * Netty's transport under Lettuce. The native epoll one (netty-transport-native-epoll, for x86-64 and aarch64
     * Linux) takes a fifth fewer system calls per budgeted request than NIO (docs/BENCHMARKS.md, issue 19); Lettuce
     * falls back to NIO where the native library cannot load, e.g. a {@code /tmp} it cannot write or run from.
     */
    static String transport() {
        return io.lettuce.core.resource.EpollProvider.isAvailable() ? "native epoll"
                : "Java NIO (native epoll unavailable: see io.netty.channel.epoll.Epoll.unavailabilityCause)";
    }

    String describe() {
        return (config.cluster() ? "Redis Cluster " : "Redis ") + config.redactedUri().orElse("");
    }

    @Override
    public String whatIsTried() {
        String how = config.cluster()
                ? "reading the Cluster topology from the seed node, then connecting to its masters"
                : config.redisUri().orElse("").contains("sentinel")
                        ? "asking the Sentinels for the master, then connecting to it"
                        : "connecting to the server";
        return attempts.get() + " attempts " + how + " (connect timeout " + config.connectTimeout().toMillis()
               + " ms); last error: " + lastError;
    }

    /** Whether the last connection attempt has not finished yet. */
    @Override
    public boolean connecting() {
        return connecting;
    }

    @Override
    public boolean everConnected() {
        return everConnected;
    }

    @Override
    public void close() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    /** A connection that may not exist yet; {@link #asyncCommands()} fails fast while it does not. */
    final class Lazy<V> {
        private final RedisCodec<String, V> codec;
        private final Function<StatefulConnection<String, V>, CompletionStage<?>> prepare;
        private final AtomicReference<CompletableFuture<? extends StatefulConnection<String, V>>> attempt =
                new AtomicReference<>();
        private volatile StatefulConnection<String, V> connection;
        private volatile long nextAttemptAt;

        private Lazy(RedisCodec<String, V> codec, Function<StatefulConnection<String, V>, CompletionStage<?>> prepare) {
            this.codec = codec;
            this.prepare = prepare;
        }

        /** The connected connection, or empty while there is none (a new attempt starts in the background). */
        StatefulConnection<String, V> connection() {
            StatefulConnection<String, V> c = connection;
            if (c != null) {
                return c;
            }
            CompletableFuture<? extends StatefulConnection<String, V>> current = attempt.get();
            if (current != null && current.isDone() && !current.isCompletedExceptionally()) {
                connection = current.join();
                everConnected = true;
                return connection;
            }
            if ((current == null || current.isDone()) && System.currentTimeMillis() >= nextAttemptAt) {
                start(current);
            }
            throw new BudgetStoreUnavailableException("not connected to " + describe(), null, false);
        }

        /**
         * The commands of the connected connection, asynchronous so that callers wait without a timer of their own
         * (see {@code RedisBudgetStore.await}); fails fast while there is no connection.
         */
        @SuppressWarnings("unchecked")
        RedisClusterAsyncCommands<String, V> asyncCommands() {
            StatefulConnection<String, V> c = connection();
            return c instanceof StatefulRedisClusterConnection<?, ?> cluster
                    ? ((StatefulRedisClusterConnection<String, V>) cluster).async()
                    : ((StatefulRedisConnection<String, V>) c).async();
        }

        private void connectOrWait(Duration wait) {
            start(null);
            try {
                connection = attempt.get().get(wait.toMillis(), TimeUnit.MILLISECONDS);
                everConnected = true;
            } catch (Exception e) {
                // Redis is down or slow at startup: the first call after the retry delay tries again.
            }
        }

        private void start(CompletableFuture<? extends StatefulConnection<String, V>> previous) {
            nextAttemptAt = System.currentTimeMillis() + RETRY_CONNECT_MILLIS;
            attempts.incrementAndGet();
            connecting = true;
            CompletableFuture<? extends StatefulConnection<String, V>> connected =
                    client instanceof RedisClusterClient c
                            ? c.refreshPartitionsAsync().toCompletableFuture()
                                    .thenCompose(topology -> c.connectAsync(codec))
                            : ((RedisClient) client).connectAsync(codec, uri).toCompletableFuture();
            CompletableFuture<StatefulConnection<String, V>> next = connected.thenCompose(
                    c -> prepare.apply(c).handle((ignored, failed) -> (StatefulConnection<String, V>) c));
            next.whenComplete((c, e) -> {
                connecting = false;
                if (e != null) {
                    lastError = message(e);
                }
            });
            if (!attempt.compareAndSet(previous, next)) {
                next.thenAccept(StatefulConnection::closeAsync);
            }
        }

        private static String message(Throwable e) {
            StringBuilder m = new StringBuilder();
            for (Throwable t = e; t != null && m.length() < 400; t = t.getCause()) {
                if (t.getMessage() != null && !m.toString().contains(t.getMessage())) {
                    m.append(m.isEmpty() ? "" : ": ").append(t.getMessage());
                }
            }
            return BudgetStoreConfig.redact(m.toString());
        }

        void close() {
            StatefulConnection<String, V> c = connection;
            if (c != null) {
                c.close();
            }
        }
    }
}
