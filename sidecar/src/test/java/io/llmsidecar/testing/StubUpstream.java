package io.llmsidecar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real HTTP server on 127.0.0.1 standing in for the AI gateway: it records every request it receives and answers
 * with whatever {@link Responder} a test sets per path (golden "cassettes" from {@code src/test/resources/cassettes}
 * by default). Uses the JDK's HTTP server so it shares no code with the sidecar under test.
 *
 * <p>{@link #servesMessages} makes it speak Anthropic's Messages API as well ({@code /v1/messages}, JSON or SSE as the
 * request's {@code stream} asks, and {@code /v1/messages/count_tokens}), keeping the usage of every answer it sends in
 * {@link #messagesUsage()} so that tests can compare the budget with what the gateway reported.
 */
public final class StubUpstream implements AutoCloseable {
    /** Writes the answer for one request. */
    @FunctionalInterface
    public interface Responder {
        void respond(HttpExchange exchange, Recorded request) throws IOException;
    }

    /** A request as the stub received it; header names lower-cased. */
    public record Recorded(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.getFirst();
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Anthropic's four usage figures of one Messages answer, as the stub sent them (for a stream: the final ones). */
    public record MessagesUsage(long inputTokens, long outputTokens, long cacheCreationInputTokens,
                                long cacheReadInputTokens) {
        /** Every token the answer reports: input, cache writes, cache reads and output. */
        public long totalTokens() {
            return inputTokens + outputTokens + cacheCreationInputTokens + cacheReadInputTokens;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final List<MessagesUsage> messagesUsage = new CopyOnWriteArrayList<>();
    private final List<Recorded> received = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Recorded> arrivals = new LinkedBlockingQueue<>();
    private final Map<String, Responder> responders = new ConcurrentHashMap<>();
    private volatile Responder fallback = json(200, cassette("chat-completion.json"));

    private StubUpstream(HttpServer server) {
        this.server = server;
    }

    public static StubUpstream start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
            StubUpstream stub = new StubUpstream(server);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", stub::handle);
            server.start();
            return stub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL to configure as {@code upstream.url}: {@code http://127.0.0.1:<port>/v1}. */
    public String baseUrl() {
        return origin() + "/v1";
    }

    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers requests to {@code path} (exact, without query) with {@code responder}. */
    public StubUpstream on(String path, Responder responder) {
        responders.put(path, responder);
        return this;
    }

    /** Answers every path without its own responder. */
    public StubUpstream otherwise(Responder responder) {
        this.fallback = responder;
        return this;
    }

    /**
     * Serves Anthropic's Messages API from the cassette pair {@code <cassette>.json} / {@code <cassette>.sse}:
     * {@code POST /v1/messages} answers with the {@code .sse} one when the request's {@code stream} is true, and
     * {@code POST /v1/messages/count_tokens} with {@code messages-count-tokens.json}.
     */
    public StubUpstream servesMessages(String cassette) {
        return servesMessages(request -> cassette);
    }

    /** As {@link #servesMessages(String)}, choosing the cassette pair per request. */
    public StubUpstream servesMessages(Function<Recorded, String> cassette) {
        on("/v1/messages", (exchange, request) -> {
            boolean stream = isStream(request);
            String body = cassette(cassette.apply(request) + (stream ? ".sse" : ".json"));
            messagesUsage.add(stream ? streamUsage(body) : usage(read(body).get("usage")));
            exchange.getResponseHeaders().set("request-id", "req_stub_" + received.size());
            if (stream) {
                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                sse(events(body), Duration.ZERO).respond(exchange, request);
            } else {
                json(200, body).respond(exchange, request);
            }
        });
        on("/v1/messages/count_tokens", (exchange, request) -> {
            exchange.getResponseHeaders().set("request-id", "req_stub_" + received.size());
            json(200, cassette("messages-count-tokens.json")).respond(exchange, request);
        });
        return this;
    }

    /** The usage of every Messages answer sent so far ({@code count_tokens} answers have none), in order. */
    public List<MessagesUsage> messagesUsage() {
        return List.copyOf(messagesUsage);
    }

    /** The sum of {@link MessagesUsage#totalTokens()} over every Messages answer sent so far. */
    public long messagesTokens() {
        return messagesUsage.stream().mapToLong(MessagesUsage::totalTokens).sum();
    }

    /** The requests that reached {@code path}. */
    public List<Recorded> requests(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    public List<Recorded> requests() {
        return List.copyOf(received);
    }

    public int requestCount() {
        return received.size();
    }

    /** Waits for the next request to arrive. */
    public Recorded awaitRequest(Duration timeout) throws InterruptedException {
        Recorded r = arrivals.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            throw new AssertionError("the stub upstream received no request within " + timeout);
        }
        return r;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            Recorded r = new Recorded(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                                      exchange.getRequestURI().getRawQuery(), headers, body);
            received.add(r);
            arrivals.add(r);
            responders.getOrDefault(r.path(), fallback).respond(exchange, r);
        } catch (IOException e) {
            // The sidecar hung up on us (tests of cancellation look at that through their own responders).
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---- responders ----

    /** A fixed JSON answer. */
    public static Responder json(int status, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        };
    }

    /** An event stream sent as given, each event flushed on its own after {@code gap}. */
    public static Responder sse(List<String> events, Duration gap) {
        return (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (String event : events) {
                sleep(gap);
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.close();
        };
    }

    /**
     * An event stream that sends its first event, then waits for {@code release} before sending the rest: proves
     * the sidecar relays chunks as they arrive.
     */
    public static Responder gatedSse(List<String> events, CountDownLatch release) {
        return (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (int i = 0; i < events.size(); i++) {
                if (i == 1) {
                    try {
                        if (!release.await(10, TimeUnit.SECONDS)) {
                            throw new IOException("the test never released the stream");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                out.write(events.get(i).getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.close();
        };
    }

    // ---- fault modes: what load balancers and broken gateways really send ----

    /** Any status with a body of any type, e.g. a load balancer's HTML 502 page or a text/plain 503. */
    public static Responder body(int status, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        };
    }

    /**
     * A JSON answer whose connection is closed mid-body: {@code Content-Length} announces all of {@code whole} but
     * only its first {@code sent} bytes are written, then the connection is closed.
     */
    public static Responder cutOff(int status, String whole, int sent) {
        byte[] bytes = whole.getBytes(StandardCharsets.UTF_8);
        return (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            OutputStream out = exchange.getResponseBody();
            out.write(bytes, 0, sent);
            out.flush();
            // The JDK server closes the connection of an exchange whose handler throws; closing the stream instead
            // would leave the connection open and the sidecar waiting for the missing bytes until its read timeout.
            throw new IllegalStateException("the stub cut this answer off on purpose");
        };
    }

    /**
     * A chunked JSON answer that ends, cleanly at the HTTP level, before its JSON does: a gateway that closed its
     * own upstream mid-body and then finished the response.
     */
    public static Responder chunkedPartial(int status, String partial) {
        byte[] bytes = partial.getBytes(StandardCharsets.UTF_8);
        return (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        };
    }

    /** Accepts the request and says nothing for {@code silence}: a gateway that hangs. */
    public static Responder silent(Duration silence) {
        return (exchange, request) -> sleep(silence);
    }

    /** Reads a golden fixture from {@code src/test/resources/cassettes}. */
    public static String cassette(String name) {
        try (InputStream in = StubUpstream.class.getResourceAsStream("/cassettes/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no cassette " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The usage a Messages event stream reports: {@code message_start}'s, then each {@code message_delta}'s figures
     * replacing it, since they are cumulative (the last one holds the totals).
     */
    public static MessagesUsage streamUsage(String sse) {
        long[] figures = new long[4];
        for (String event : events(sse)) {
            for (String line : event.split("\n")) {
                if (!line.startsWith("data:")) {
                    continue;
                }
                JsonNode data = read(line.substring("data:".length()).strip());
                JsonNode usage = switch (data.path("type").asText()) {
                    case "message_start" -> data.path("message").path("usage");
                    case "message_delta" -> data.path("usage");
                    default -> null;
                };
                if (usage != null) {
                    String[] names = {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                                      "cache_read_input_tokens"};
                    for (int i = 0; i < names.length; i++) {
                        if (usage.has(names[i])) {
                            figures[i] = usage.get(names[i]).asLong();
                        }
                    }
                }
            }
        }
        return new MessagesUsage(figures[0], figures[1], figures[2], figures[3]);
    }

    /** The usage of a Messages JSON answer's {@code usage} object. */
    public static MessagesUsage usage(JsonNode usage) {
        return new MessagesUsage(usage.path("input_tokens").asLong(), usage.path("output_tokens").asLong(),
                                 usage.path("cache_creation_input_tokens").asLong(),
                                 usage.path("cache_read_input_tokens").asLong());
    }

    private static boolean isStream(Recorded request) {
        try {
            return JSON.readTree(request.body()).path("stream").asBoolean(false);
        } catch (IOException notJson) {
            return false;
        }
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + json, e);
        }
    }

    /** Splits an {@code .sse} cassette into its events (each keeps its blank-line terminator). */
    public static List<String> events(String sse) {
        List<String> events = new ArrayList<>();
        for (String event : sse.split("(?<=\n\n)")) {
            if (!event.isBlank()) {
                events.add(event);
            }
        }
        return events;
    }

    static void sleep(Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
