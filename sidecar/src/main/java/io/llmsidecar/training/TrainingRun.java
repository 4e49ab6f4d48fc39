package io.llmsidecar.training;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.Sidecar;
import io.llmsidecar.SidecarConfig;
import io.llmsidecar.config.ConfigLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The AOT training run ({@code java -XX:AOTCacheOutput=llm-sidecar.aot -jar llm-sidecar.jar train}): starts a sidecar
 * on loopback in front of a canned gateway in this process, sends it the traffic a pod sends (every governed API
 * as JSON and, where it streams, as SSE; short prompts and a coding agent's long ones of 100 and 400 KB; a stream
 * cut off at its completion limit; policy denials; bad input; unknown routes; metrics and health scrapes), then
 * stops. The first requests of a real pod take these paths, so their classes and method profiles are in the cache.
 * The JVM writes the classes it loaded and linked, and the method profiles it gathered, into the cache at exit; a
 * sidecar started with {@code -XX:AOTCache} skips that work (JEP 483, 514, 515).
 *
 * <p>Both ends of the training traffic, the canned gateway and the app's client, are Helidon's server and client,
 * which the sidecar loads anyway: every class loaded in this run goes into the cache, and every class in the cache is
 * loaded, and resident, in every sidecar at start. The JDK's own HTTP client and server, used here before, put 353
 * classes, and 188 of the TLS stack its client initialises, into every pod that only the training ever ran: 5 MB of
 * the cache and of each sidecar's idle memory (docs/BENCHMARKS.md, issue 19, item 26).
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

    private final WebClient client = WebClient.builder()
            .socketOptions(SocketOptions.builder().tcpNoDelay(true).build())
            .connectTimeout(Duration.ofSeconds(5))
            .readTimeout(Duration.ofSeconds(30))
            .followRedirects(false)
            .sendExpectContinue(false)
            .proxy(Proxy.noProxy())
            .build();
    private final int rounds;
    /** Answers other than expected, by request and status: a path the cache was meant to cover but did not. */
    private final Map<String, Integer> unexpected = new TreeMap<>();

    private TrainingRun(int rounds) {
        this.rounds = rounds;
    }

    /**
     * What a training run sent.
     *
     * @param unexpected the answers other than expected, by request and status, with their counts: paths the cache
     *                   was meant to cover but did not
     */
    public record Report(int requests, long millis, Map<String, Integer> unexpected) {
    }

    /**
     * Runs {@code rounds} rounds of the training traffic; a failure to start, or an answer of a server error, is an
     * error.
     */
    public static Report run(int rounds) {
        return new TrainingRun(rounds).train();
    }

    private Report train() {
        WebServer gateway = cannedGateway();
        Path yaml = null;
        try {
            yaml = Files.createTempFile("llm-sidecar-training", ".yaml");
            Files.writeString(yaml, BUDGETS_YAML);
            Map<String, String> config = new HashMap<>();
            config.put("server.host", "127.0.0.1");
            config.put("server.port", "0");
            config.put("admin.host", "127.0.0.1");
            config.put("admin.port", "0");
            config.put("upstream.url", "http://127.0.0.1:" + gateway.port() + "/v1");
            config.put("upstream.api-key", KEY);
            config.put("pricing.refresh-interval", "0");
            config.put("identity.team", "training");
            config.put("identity.app", "training");
            // The access and decision logs stay on, as in a pod by default: their lines are the first requests'
            // work too. They go to standard output, which the build discards.
            try (Sidecar sidecar = Sidecar.start(SidecarConfig.create(ConfigLoader.load(config, Optional.of(yaml))),
                                                 "training")) {
                long started = System.nanoTime();
                int requests = traffic(sidecar);
                long millis = (System.nanoTime() - started) / 1_000_000;
                return new Report(requests, millis, Collections.unmodifiableMap(new TreeMap<>(unexpected)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            gateway.stop();
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

    private Answer post(String url, String body, Map<String, String> headers) {
        HttpClientRequest request = client.post(url).header(HeaderNames.CONTENT_TYPE, "application/json");
        headers.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        return send(Method.POST, url, () -> request.submit(body.getBytes(StandardCharsets.UTF_8)));
    }

    private Answer get(String url) {
        return send(Method.GET, url, () -> client.get(url).request());
    }

    /** An answer's status, with the request it answers ({@code POST /v1/messages}) for the report. */
    private record Answer(String request, int status) {
    }

    /** Sends a request and reads its whole answer, as an app does. */
    private static Answer send(Method method, String url, Supplier<HttpClientResponse> call) {
        String request = method.text() + " " + URI.create(url).getPath();
        try (HttpClientResponse response = call.get(); InputStream body = response.inputStream()) {
            body.readAllBytes();
            return new Answer(request, response.status().code());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("training request " + request + " failed", e);
        }
    }

    /**
     * Counts one answered request. The statuses differ between builds (a route this build lacks answers 404), so only
     * a server error stops the training: it means the build is broken, and a cache of a broken run is worthless.
     */
    private int expect(int status, Answer answer) {
        String what = answer.request() + " answered " + answer.status() + ", expected " + status;
        if (answer.status() >= 500) {
            throw new IllegalStateException("training request " + what);
        }
        if (answer.status() != status) {
            unexpected.merge(what, 1, Integer::sum);
        }
        return 1;
    }

    /** A gateway on loopback that answers every API with a canned body: JSON, or SSE when the request streams. */
    private static WebServer cannedGateway() {
        return WebServer.builder()
                .featuresDiscoverServices(false)
                .shutdownHook(false)
                .host("127.0.0.1")
                .port(0)
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .routing(HttpRouting.builder().any(TrainingRun::answer))
                .build()
                .start();
    }

    private static void answer(ServerRequest request, ServerResponse response) throws IOException {
        String body;
        try (InputStream in = request.content().inputStream()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String path = request.path().path();
        boolean stream = body.contains("\"stream\":true");
        if (stream) {
            List<String> events = path.endsWith("/chat/completions") ? chatEvents()
                    : path.endsWith("/completions") ? completionEvents()
                    : path.endsWith("/responses") ? responsesEvents()
                    : messagesEvents();
            response.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            try (OutputStream out = response.outputStream()) {
                for (String event : events) {
                    out.write(event.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException | UncheckedIOException e) {
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
        response.header(HeaderNames.CONTENT_TYPE, "application/json");
        response.send(answer.getBytes(StandardCharsets.UTF_8));
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
