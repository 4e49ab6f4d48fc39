package io.llmsidecar;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.llmsidecar.admin.AdminRouting;
import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.policy.PolicyEngine;
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
 */
public final class Sidecar implements AutoCloseable {
    static final String ADMIN_SOCKET = "admin";

    private final WebServer server;
    private final PriceBookRefresher priceRefresher;
    private final ScheduledExecutorService background;
    private final PriceBook priceBook;
    private final UpstreamCredentials credentials;
    private final BudgetService budgets;
    private final PolicyEngine policy;

    private Sidecar(WebServer server, PriceBookRefresher priceRefresher, ScheduledExecutorService background,
                    PriceBook priceBook, UpstreamCredentials credentials, BudgetService budgets, PolicyEngine policy) {
        this.server = server;
        this.priceRefresher = priceRefresher;
        this.background = background;
        this.priceBook = priceBook;
        this.credentials = credentials;
        this.budgets = budgets;
        this.policy = policy;
    }

    public static Sidecar start(SidecarConfig config, String version) {
        HelidonGlobals.install();
        ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sidecar-background").daemon(true).factory());
        // The tokenizer tables (~0.5 s) load on another core while the policy compiles (~1.5 s, see PolicyEngine).
        CompletableFuture<TokenCounter> tokenizer = CompletableFuture.supplyAsync(
                TokenCounter::create, runnable -> Thread.ofPlatform().name("tokenizer-load").start(runnable));
        PriceBook prices = new PriceBook(config.pricing().models());
        UpstreamCredentials credentials = UpstreamCredentials.create(config.upstream());
        UpstreamClient upstream = UpstreamClient.create(config.upstream(), credentials);
        SidecarMetrics metrics = new SidecarMetrics(version);
        SubjectResolver subjects = new SubjectResolver(config.identity());
        BudgetService budgets = BudgetService.create(config.budgets(), metrics, background, Clock.systemUTC());
        PolicyEngine policy = PolicyEngine.start(config.policy(), metrics);      // compiles and loads the policy
        TokenCounter tokens = tokenizer.join();
        Estimator estimator = new Estimator(tokens, prices, config.pricing().defaultMaxCompletionTokens());

        // Without TCP_NODELAY each streamed chunk waits on Nagle's algorithm and the peer's delayed ACK (~40 ms).
        SocketOptions sockets = SocketOptions.builder().tcpNoDelay(true).build();
        WebServer server = WebServer.builder()
                .featuresDiscoverServices(false)
                .host(config.server().host())
                .port(config.server().port())
                .connectionOptions(sockets)
                .directHandlers(TransportErrors.create())
                .routing(ProxyRouting.create(config.server(), upstream, subjects, estimator, policy, budgets, tokens,
                                             metrics))
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
                                                         .build())
                                    .build())
                .build()
                .start();

        PriceBookRefresher refresher = new PriceBookRefresher(prices, upstream::fetchModels,
                                                              config.pricing().refreshInterval(), Clock.systemUTC(),
                                                              background);
        refresher.start();
        background.scheduleWithFixedDelay(credentials::reloadIfChanged, 30, 30, TimeUnit.SECONDS);
        return new Sidecar(server, refresher, background, prices, credentials, budgets, policy);
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

    /** Budgets and rate limits; {@link BudgetService#statuses} feeds the policy input. */
    public BudgetService budgets() {
        return budgets;
    }

    public PolicyEngine policy() {
        return policy;
    }

    @Override
    public void close() {
        priceRefresher.close();
        server.stop();
        // After the server, so requests still settling reach the store; before the executor its tasks run on.
        budgets.close();
        background.shutdownNow();
        policy.close();
    }
}
