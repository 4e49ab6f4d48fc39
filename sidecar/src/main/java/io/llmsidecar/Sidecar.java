package io.llmsidecar;

import io.llmsidecar.tracing.Tracing;
import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.llmsidecar.admin.AdminRouting;
import io.llmsidecar.budget.Budgets;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.lifecycle.Drain;
import io.llmsidecar.lifecycle.DrainConfig;
import io.llmsidecar.lifecycle.DrainState;
import io.llmsidecar.lifecycle.InFlight;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.policy.DecisionLabels;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.pricing.CompletionDefault;
import io.llmsidecar.pricing.Estimator;
import io.llmsidecar.pricing.PriceBook;
import io.llmsidecar.pricing.PriceBookRefresher;
import io.llmsidecar.proxy.ProxyRouting;
import io.llmsidecar.proxy.TransportErrors;
import io.llmsidecar.proxy.UpstreamClient;
import io.llmsidecar.proxy.UpstreamCredentials;
import io.llmsidecar.tokens.TokenCounter;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running sidecar: the app-facing proxy socket and the admin socket, wired from a {@link SidecarConfig}. Building
 * it does all slow work (tokenizer tables, clients) so that no request ever pays for it.
 *
 * <p>Background work runs on separate executors, so that one slow job cannot delay another: the price refresh owns
 * its scheduler and bounds each fetch by its own timeout, the key reload has its own thread, and budget renewal and
 * replay have two threads of their own. (One shared thread let a {@code /models} call hanging for the 300 s read
 * timeout hold reservation renewal past the reservation TTL.)
 */
public final class Sidecar implements AutoCloseable {
    static final String ADMIN_SOCKET = "admin";
    private static final long KEY_RELOAD_SECONDS = 30;

    private final WebServer server;
    private final PriceBookRefresher priceRefresher;
    private final ScheduledExecutorService keyReload;
    private final PriceBook priceBook;
    private final UpstreamCredentials credentials;
    private final Budgets budgets;
    private final PolicyEngine policy;
    private final InFlight inFlight;
    private final Drain drain;
    private final Tracing tracing;

    private Sidecar(SidecarConfig config, WebServer server, PriceBookRefresher priceRefresher,
                    ScheduledExecutorService keyReload,
                    PriceBook priceBook, UpstreamCredentials credentials, Budgets budgets, PolicyEngine policy,
                    InFlight inFlight, DrainState drainState, Tracing tracing) {
        this.tracing = tracing;
        this.server = server;
        this.priceRefresher = priceRefresher;
        this.keyReload = keyReload;
        this.priceBook = priceBook;
        this.credentials = credentials;
        this.budgets = budgets;
        this.policy = policy;
        this.inFlight = inFlight;
        this.drain = new Drain(config.drain(), drainState, inFlight, server::stop, this::closeAfterServer);
    }

    public static Sidecar start(SidecarConfig config, String version) {
        HelidonGlobals.install();
        ScheduledExecutorService keyReload = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("key-reload").daemon(true).factory());
        InFlight inFlight = new InFlight();
        DrainState drainState = new DrainState();
        // The tokenizer tables (~0.5 s) load on another core while the policy compiles (~1.5 s, see PolicyEngine).
        CompletableFuture<TokenCounter> tokenizer = CompletableFuture.supplyAsync(
                TokenCounter::create, runnable -> Thread.ofPlatform().name("tokenizer-load").start(runnable));
        PriceBook prices = new PriceBook(config.pricing().models());
        UpstreamCredentials credentials = UpstreamCredentials.create(config.upstream());
        UpstreamClient upstream = UpstreamClient.create(config.upstream(), credentials);
        SidecarMetrics metrics = new SidecarMetrics(version);
        Tracing tracing = Tracing.create(config.tracing(), version);
        metrics.traceSpansDropped(tracing::droppedSpans);
        SubjectResolver subjects = SubjectResolver.create(config.identity());
        Budgets budgets = Budgets.start(config.budgets(), metrics, Clock.systemUTC());
        PolicyEngine policy = PolicyEngine.start(config.policy(), metrics,     // compiles and loads the policy
                                                 DecisionLabels.of(version, config.identity().pod(),
                                                                   config.identity().namespace()));
        TokenCounter tokens = tokenizer.join();
        Estimator estimator = new Estimator(tokens, prices, new CompletionDefault(
                config.upstream().defaultMaxTokens(), config.pricing().defaultMaxCompletionTokens()));

        // Without TCP_NODELAY each streamed chunk waits on Nagle's algorithm and the peer's delayed ACK (~40 ms).
        SocketOptions sockets = SocketOptions.builder().tcpNoDelay(true).build();
        WebServer server = WebServer.builder()
                .featuresDiscoverServices(false)
                // SIGTERM runs our drain (lifecycle.TerminationSignals), not Helidon's immediate stop.
                .shutdownHook(false)
                // WebServer.stop() waits this long for requests in flight; the drain cuts streams before it ends.
                .shutdownGracePeriod(config.drain().timeout().plus(DrainConfig.SETTLE_MARGIN))
                .host(config.server().host())
                .port(config.server().port())
                .connectionOptions(sockets)
                .directHandlers(TransportErrors.create())
                .routing(ProxyRouting.create(config.server(), upstream, subjects, estimator, policy,
                                             budgets.service(), tokens, metrics, inFlight, tracing)
                                 .addFilter(inFlight.filter()))
                .putSocket(ADMIN_SOCKET, socket -> socket
                        .host(config.admin().host())
                        .port(config.admin().port())
                        .connectionOptions(sockets))
                .routing(ADMIN_SOCKET, AdminRouting.create(config.admin(), metrics,
                                                           List.of(budgets.adminService(), policy.adminService())))
                .addFeature(ObserveFeature.builder()
                                    .endpoint("/")
                                    .sockets(List.of(ADMIN_SOCKET))
                                    .addObserver(HealthObserver.builder()
                                                         .endpoint("/health")
                                                         .details(true)
                                                         .useSystemServices(false)
                                                         .addCheck(policy.healthCheck())
                                                         .addCheck(budgets.healthCheck())
                                                         .addCheck(drainState.healthCheck())
                                                         .build())
                                    .build())
                .build()
                .start();

        PriceBookRefresher refresher = new PriceBookRefresher(prices, upstream::fetchModels,
                                                              config.pricing().refreshInterval(), Clock.systemUTC());
        refresher.start();
        keyReload.scheduleWithFixedDelay(credentials::reloadIfChanged, KEY_RELOAD_SECONDS, KEY_RELOAD_SECONDS,
                                         TimeUnit.SECONDS);
        return new Sidecar(config, server, refresher, keyReload, prices, credentials, budgets,
                           policy, inFlight, drainState, tracing);
    }

    public int port() {
        return server.port();
    }

    public int adminPort() {
        return server.port(ADMIN_SOCKET);
    }

    public PriceBook priceBook() {
        return priceBook;
    }

    public UpstreamCredentials credentials() {
        return credentials;
    }

    /** Budgets and rate limits; {@code budgets().service().statuses} feeds the policy input. */
    public Budgets budgets() {
        return budgets;
    }

    public PolicyEngine policy() {
        return policy;
    }

    /** W3C trace context for every call, and spans when an OTLP endpoint is configured. */
    public Tracing tracing() {
        return tracing;
    }

    /** Requests and streams the app-facing socket is serving now. */
    public InFlight inFlight() {
        return inFlight;
    }

    /**
     * The graceful stop SIGTERM runs (see {@link Drain}): readiness 503 at once, serve on for the drain delay, stop
     * accepting, let what is in flight finish up to the drain timeout, end streams still open, settle, flush the
     * replay ledger and log a summary. Returns null when a drain already ran.
     */
    public Drain.Summary drain() {
        return drain.run();
    }

    /** Stops at once, without a drain: requests in flight are interrupted. */
    @Override
    public void close() {
        inFlight.interruptAll();
        server.stop();
        closeAfterServer();
    }

    private void closeAfterServer() {
        priceRefresher.close();
        keyReload.shutdownNow();
        // After the server, so requests still settling reach the store; it stops its own threads.
        budgets.close();
        policy.close();
        // Last: the spans of the requests that just finished go out (waiting a few seconds at most).
        tracing.close();
    }
}
