package io.llmsidecar.testing;

import io.llmsidecar.Sidecar;
import io.llmsidecar.SidecarConfig;
import io.llmsidecar.config.ConfigLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A real sidecar started in-process on free loopback ports, configured like production (bundled
 * {@code application.yaml}) plus the overrides a test gives, with gateway price refresh off unless asked for.
 */
public final class TestSidecar implements AutoCloseable {
    public static final String KEY = "sk-sidecar-test-key-7f3a91";
    /** The admin token every test sidecar gets unless the test configures admin.token or admin.token-file itself. */
    public static final String ADMIN_TOKEN = "admin-test-token-5c1e8f9a2b7d4e60";

    private final Sidecar sidecar;
    private final Optional<String> adminToken;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TestSidecar(Sidecar sidecar, Optional<String> adminToken) {
        this.sidecar = sidecar;
        this.adminToken = adminToken;
    }

    /** A sidecar in front of {@code upstream} with the test key and the given config overrides (dotted keys). */
    public static TestSidecar start(StubUpstream upstream, Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>();
        config.put("upstream.url", upstream.baseUrl());
        config.put("upstream.api-key", KEY);
        config.putAll(overrides);
        return start(config, Optional.empty());
    }

    /**
     * A sidecar in front of {@code upstream} configured by {@code yaml} (written to a temporary file, as
     * {@code SIDECAR_CONFIG} would name it): lists such as {@code budgets} cannot be given as dotted overrides.
     */
    public static TestSidecar start(StubUpstream upstream, String yaml, Map<String, String> overrides) {
        try {
            Path file = Files.createTempFile("sidecar", ".yaml");
            Files.writeString(file, yaml);
            file.toFile().deleteOnExit();
            Map<String, String> config = new HashMap<>();
            config.put("upstream.url", upstream.baseUrl());
            config.put("upstream.api-key", KEY);
            config.putAll(overrides);
            return start(config, Optional.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestSidecar start(Map<String, String> overrides, Optional<Path> file) {
        Map<String, String> config = new HashMap<>();
        config.put("server.port", "0");
        config.put("admin.port", "0");
        config.put("pricing.refresh-interval", "0");
        // Most ITs send x-llm-team to exercise per-team budgets and policies; the identity ITs test the product
        // default (off) by setting it explicitly.
        config.put("identity.trust-team-header", "true");
        if (!overrides.containsKey("admin.token") && !overrides.containsKey("admin.token-file")) {
            config.put("admin.token", ADMIN_TOKEN);
        }
        config.putAll(overrides);
        return new TestSidecar(Sidecar.start(SidecarConfig.create(ConfigLoader.load(config, file)), "test"),
                               Optional.ofNullable(config.get("admin.token")));
    }

    public Sidecar sidecar() {
        return sidecar;
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + sidecar.port() + path);
    }

    public URI adminUrl(String path) {
        return URI.create("http://127.0.0.1:" + sidecar.adminPort() + path);
    }

    public HttpClient client() {
        return client;
    }

    /** POSTs a chat-completion body with the given extra headers (name, value, name, value...). */
    public HttpResponse<String> chat(String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    /** The inline admin token this sidecar was started with, if any. */
    public String adminToken() {
        return adminToken.orElse(null);
    }

    /** A request to the admin socket carrying this sidecar's admin token. */
    public HttpRequest.Builder adminRequest(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(adminUrl(path)).timeout(Duration.ofSeconds(30));
        adminToken.ifPresent(token -> request.header("Authorization", "Bearer " + token));
        return request;
    }

    /** The admin socket's {@code /metrics} text. */
    public String metrics() {
        return send(HttpRequest.newBuilder(adminUrl("/metrics")).GET().build()).body();
    }

    /**
     * The {@code /metrics} text once it contains every one of {@code expected}: a request is recorded just after its
     * last byte reaches the app, so a scrape right after a response may not show it yet. Fails after 5 s.
     */
    public String metricsContaining(String... expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        String text;
        do {
            text = metrics();
            boolean all = true;
            for (String e : expected) {
                all &= text.contains(e);
            }
            if (all) {
                return text;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("metrics never showed " + java.util.Arrays.toString(expected) + "; got:\n" + text);
    }

    @Override
    public void close() {
        sidecar.close();
    }
}
