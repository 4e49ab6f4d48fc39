package io.llmsidecar.training;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.llmsidecar.Sidecar;
import io.llmsidecar.SidecarConfig;
import io.llmsidecar.config.ConfigLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * The AOT training run ({@code java -XX:AOTCacheOutput=llm-sidecar.aot -jar llm-sidecar.jar train}): starts a sidecar
 * on loopback in front of a canned gateway in this process, sends it the traffic a pod sends (every governed API
 * as JSON and, where it streams, as SSE; short prompts and a coding agent's long ones of 100 and 400 KB; a stream
 * cut off at its completion limit; policy denials; bad input; unknown routes; metrics and health scrapes), then
 * stops. The first requests of a real pod take these paths, so their classes and method profiles are in the cache.
 * The JVM writes the classes it loaded and linked, and the method profiles it gathered, into the cache at exit; a
 * sidecar started with {@code -XX:AOTCache} skips that work (JEP 483, 514, 515).
 *
 * <p>Nothing here talks to anything but 127.0.0.1, and no key or prompt of a real deployment is involved.
 */
public final class TrainingRun {
    private static final String KEY = "training-gateway-key";
    private static final String CHAT_JSON = """
            {"id":"chatcmpl-train","object":"chat.completion","created":1767614400,"model":"gpt-4o-mini",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Monday: oats. Tuesday: lentils."},\
            "finish_reason":"stop"}],"usage":{"prompt_tokens":21,"completion_tokens":9,"total_tokens":30}}""";
    private static final String RESPONSES_JSON = """
            {"id":"resp_train","object":"response","created_at":1767614400,"model":"gpt-4o-mini","status":"completed",\
            "output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}],\
            "usage":{"input_tokens":12,"output_tokens":2,"total_tokens":14}}""";
    private static final String EMBEDDINGS_JSON = """
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.01,-0.02,0.03]}],\
            "model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}}""";
    private static final String COMPLETIONS_JSON = """
            {"id":"cmpl-train","object":"text_completion","created":1767614400,"model":"gpt-4o-mini",\
            "choices":[{"index":0,"text":" lentils.","finish_reason":"stop"}],\
            "usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}""";
    private static final String MESSAGES_JSON = """
            {"id":"msg_train","type":"message","role":"assistant","model":"claude-sonnet-4-5",\
            "content":[{"type":"text","text":"Monday: oats."}],"stop_reason":"end_turn","stop_sequence":null,\
            "usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,\
            "output_tokens":5}}""";
    private static final String COUNT_TOKENS_JSON = "{\"input_tokens\":12}";
    private static final String MODELS_JSON = """
            {"object":"list","data":[{"id":"gpt-4o-mini","object":"model","owned_by":"openai"}]}""";
    private static final String BUDGETS_YAML = """
            budgets:
              - {name: team-daily, scope: [team], window: day, tokens: 100000000}
              - {name: model-hourly, scope: [model], window: hour, usd: 1000}
            rate-limits:
              - {name: app-rpm, scope: [app], requests-per-minute: 1000000, tokens-per-minute: 1000000000}
            """;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final int rounds;
    /** Answers other than expected, by request and status: a path the cache was meant to cover but did not. */
    private final Map<String, Integer> unexpected = new java.util.TreeMap<>();

    private TrainingRun(int rounds) {
        this.rounds = rounds;
    }

    /** Runs {@code rounds} rounds of the training traffic; a failure to start or to answer is an error. */
    public static void run(int rounds) {
        new TrainingRun(rounds).train();
    }

    private void train() {
        HttpServer gateway = cannedGateway();
        Path yaml = null;
        try {
            yaml = Files.createTempFile("llm-sidecar-training", ".yaml");
            Files.writeString(yaml, BUDGETS_YAML);
            Map<String, String> config = new HashMap<>();
            config.put("server.host", "127.0.0.1");
            config.put("server.port", "0");
            config.put("admin.host", "127.0.0.1");
            config.put("admin.port", "0");
            config.put("upstream.url", "http://127.0.0.1:" + gateway.getAddress().getPort() + "/v1");
            config.put("upstream.api-key", KEY);
            config.put("pricing.refresh-interval", "0");
            config.put("identity.team", "training");
            config.put("identity.app", "training");
            config.put("policy.decision-log", "off");
            config.put("server.access-log", "false");
            try (Sidecar sidecar = Sidecar.start(SidecarConfig.create(ConfigLoader.load(config, Optional.of(yaml))),
                                                 "training")) {
                long started = System.nanoTime();
                int requests = traffic(sidecar);
                System.out.printf("llm-sidecar training: %d requests in %d ms%n", requests,
                                  (System.nanoTime() - started) / 1_000_000);
                unexpected.forEach((what, count) -> System.out.printf("  %d x %s%n", count, what));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            gateway.stop(0);
            if (yaml != null) {
                yaml.toFile().delete();
            }
        }
    }

    private int traffic(Sidecar sidecar) {
        String app = "http://127.0.0.1:" + sidecar.port();
        String admin = "http://127.0.0.1:" + sidecar.adminPort();
        String chat = """
                {"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are concise."},\
                {"role":"user","content":"Plan meals for the week, about 2000 kcal a day."}],"max_tokens":64}""";
        String stream = chat.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");
        String secret = chat.replace("Plan meals", "My key is AKIAIOSFODNN7EXAMPLE, plan meals");
        // The canned stream has more tokens than this limit: the sidecar cuts it off and writes the ending itself.
        String cutOff = stream.replace("\"max_tokens\":64", "\"max_tokens\":2");
        String messages = """
                {"model":"claude-sonnet-4-5","max_tokens":256,"system":"You are concise.",\
                "messages":[{"role":"user","content":"Plan meals for the week."}]}""";
        String messagesStream = messages.replace("\"max_tokens\":256", "\"max_tokens\":256,\"stream\":true");
        String messagesSecret = messages.replace("Plan meals", "key AKIAIOSFODNN7EXAMPLE, plan meals");
        String countTokens = """
                {"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Plan meals for the week."}]}""";
        Map<String, String> anthropic = Map.of("anthropic-version", "2023-06-01");
        // A coding agent's prompts: source text of 100 and 400 KB, whose detector, parser and digest loops short
        // requests never reach.
        String long100 = withPrompt("gpt-4o-mini", sourceText(100 * 1024), false);
        String long400 = withPrompt("gpt-4o-mini", sourceText(400 * 1024), true);
        String longMessages = withPrompt("claude-sonnet-4-5", sourceText(100 * 1024), false);
        int sent = 0;
        for (int i = 0; i < rounds; i++) {
            sent += expect(200, post(app + "/v1/chat/completions", chat, Map.of()));
            sent += expect(200, post(app + "/v1/chat/completions", stream, Map.of()));
            sent += expect(403, post(app + "/v1/chat/completions", secret, Map.of()));
            sent += expect(400, post(app + "/v1/chat/completions", "{\"model\":", Map.of()));
            sent += expect(200, post(app + "/v1/chat/completions", chat, Map.of("x-llm-user", "u" + (i % 50))));
            // The other governed APIs; a build without them answers 404, which trains the refusal path instead.
            sent += expect(200, post(app + "/v1/responses",
                                     "{\"model\":\"gpt-4o-mini\",\"input\":\"Summarise: lentils.\"}", Map.of()));
            sent += expect(200, post(app + "/v1/embeddings",
                                     "{\"model\":\"gpt-4o-mini\",\"input\":[\"lentils\",\"oats\"]}", Map.of()));
            sent += expect(200, post(app + "/v1/completions",
                                     "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Lentils or\",\"max_tokens\":8}",
                                     Map.of()));
            sent += expect(200, post(app + "/v1/chat/completions", cutOff, Map.of()));
            sent += expect(200, post(app + "/v1/responses",
                                     "{\"model\":\"gpt-4o-mini\",\"input\":\"Summarise.\",\"stream\":true}", Map.of()));
            sent += expect(200, post(app + "/v1/completions",
                                     "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Lentils\",\"stream\":true}", Map.of()));
            sent += expect(200, post(app + "/v1/messages", messages, anthropic));
            sent += expect(200, post(app + "/v1/messages", messagesStream, anthropic));
            sent += expect(200, post(app + "/v1/messages/count_tokens", countTokens, anthropic));
            sent += expect(403, post(app + "/v1/messages", messagesSecret, anthropic));
            sent += expect(200, post(app + "/v1/chat/completions", long100, Map.of()));
            if (i % 4 == 0) {
                sent += expect(200, post(app + "/v1/chat/completions", long400, Map.of()));
                sent += expect(200, post(app + "/v1/messages", longMessages, anthropic));
            }
            sent += expect(404, get(app + "/v1/files"));
            sent += expect(200, get(app + "/v1/models"));
            if (i % 10 == 0) {
                sent += expect(200, get(admin + "/metrics"));
                sent += expect(200, get(admin + "/health/ready"));
            }
        }
        return sent;
    }

    /** A chat or Messages body (they share these fields) with one user message. */
    private static String withPrompt(String model, String prompt, boolean stream) {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var body = json.createObjectNode().put("model", model).put("max_tokens", 64).put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        return body.toString();
    }

    /** Java-like source text of about {@code bytes}: identifiers, numbers, comments, string literals, indentation. */
    static String sourceText(int bytes) {
        StringBuilder text = new StringBuilder(bytes + 128);
        for (int line = 0; text.length() < bytes; line++) {
            text.append(switch (line % 6) {
                case 0 -> "    /** Returns the " + line + "th entry of the table, or -1 when it is absent. */\n";
                case 1 -> "    static int entry" + line + "(int[] table, int key) {\n";
                case 2 -> "        int slot = (key * 0x9E3779B1) >>> " + (line % 29) + ";\n";
                case 3 -> "        if (table[slot & " + (line * 7 % 1024) + "] == key) return slot;\n";
                case 4 -> "        String name = \"entry-" + line + "\"; // see RFC " + (1000 + line % 9000) + "\n";
                default -> "        return -1;\n    }\n\n";
            });
        }
        return text.toString();
    }

    private HttpResponse<String> post(String url, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return send(request.build());
    }

    private HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("training request " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training interrupted", e);
        }
    }

    /**
     * Counts one answered request. The statuses differ between builds (a route this build lacks answers 404), so only
     * a server error stops the training: it means the build is broken, and a cache of a broken run is worthless.
     */
    private int expect(int status, HttpResponse<String> response) {
        String what = response.request().method() + " " + response.request().uri().getPath() + " answered "
                      + response.statusCode() + ", expected " + status;
        if (response.statusCode() >= 500) {
            throw new IllegalStateException("training request " + what);
        }
        if (response.statusCode() != status) {
            unexpected.merge(what, 1, Integer::sum);
        }
        return 1;
    }

    /** A gateway on loopback that answers every API with a canned body: JSON, or SSE when the request streams. */
    private static HttpServer cannedGateway() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", TrainingRun::answer);
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void answer(HttpExchange exchange) throws IOException {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String path = exchange.getRequestURI().getPath();
        boolean stream = body.contains("\"stream\":true");
        if (stream) {
            List<String> events = path.endsWith("/chat/completions") ? chatEvents()
                    : path.endsWith("/completions") ? completionEvents()
                    : path.endsWith("/responses") ? responsesEvents()
                    : messagesEvents();
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (String event : events) {
                    out.write(event.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException e) {
                // The sidecar cut the stream off at its limit and closed the connection: what the training wants.
            }
            return;
        }
        String answer = switch (path.substring(path.lastIndexOf('/') + 1)) {
            case "completions" -> path.endsWith("/chat/completions") ? CHAT_JSON : COMPLETIONS_JSON;
            case "responses" -> RESPONSES_JSON;
            case "embeddings" -> EMBEDDINGS_JSON;
            case "messages" -> MESSAGES_JSON;
            case "count_tokens" -> COUNT_TOKENS_JSON;
            default -> MODELS_JSON;
        };
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static List<String> chatEvents() {
        String head = "data: {\"id\":\"chatcmpl-train\",\"object\":\"chat.completion.chunk\",\"created\":1767614400,"
                      + "\"model\":\"gpt-4o-mini\",";
        return List.of(
                head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
                head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Monday: oats.\"}}]}\n\n",
                head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" Tuesday: lentils.\"}}]}\n\n",
                head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                head + "\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":9,"
                + "\"total_tokens\":30}}\n\n",
                "data: [DONE]\n\n");
    }

    private static List<String> completionEvents() {
        String head = "data: {\"id\":\"cmpl-train\",\"object\":\"text_completion\",\"created\":1767614400,"
                      + "\"model\":\"gpt-4o-mini\",";
        return List.of(
                head + "\"choices\":[{\"text\":\" or oats\",\"index\":0,\"finish_reason\":\"stop\"}]}\n\n",
                head + "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
                "data: [DONE]\n\n");
    }

    private static List<String> responsesEvents() {
        String response = "{\"id\":\"resp_train\",\"object\":\"response\",\"created_at\":1767614400,"
                          + "\"model\":\"gpt-4o-mini\",\"status\":\"%s\",\"output\":[],\"usage\":%s}";
        return List.of(
                "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":"
                + response.formatted("in_progress", "null") + "}\n\n",
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
                + "\"sequence_number\":1,\"output_index\":0,\"content_index\":0,\"delta\":\"Done.\"}\n\n",
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":"
                + response.formatted("completed", "{\"input_tokens\":4,\"output_tokens\":2,\"total_tokens\":6}")
                + "}\n\n");
    }

    private static List<String> messagesEvents() {
        return List.of(
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_train\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],"
                + "\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
                "event: ping\ndata: {\"type\":\"ping\"}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Monday: oats.\"}}\n\n",
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":5}}\n\n",
                "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    }
}
