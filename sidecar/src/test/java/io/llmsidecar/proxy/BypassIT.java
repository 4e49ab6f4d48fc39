package io.llmsidecar.proxy;

import io.llmsidecar.testing.RawHttp;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An app in the pod trying to get a prompt past the sidecar: over raw sockets (HTTP clients normalize paths, so
 * they cannot send what an attacker would), with paths, methods, request targets, Host headers, chunked and
 * compressed bodies, duplicate keys, trailing data, and secrets through every governed API. Each attempt must be
 * refused with the expected status and code, and the stub gateway behind the sidecar must never see a request.
 */
class BypassIT {
    private static final String SECRET = "AKIAIOSFODNN7EXAMPLE";
    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"key "
                                       + SECRET + "\"}]}";
    private static final String CLEAN = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static StubUpstream upstream;
    private static TestSidecar sidecar;

    /** One attempt: the bytes the app writes, and the refusal it must get. */
    private record Attempt(String name, byte[] request, int status, String code) {
    }

    @BeforeAll
    static void start() {
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of());
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
    }

    private static byte[] request(String method, String target, String headers, byte[] body) {
        String head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers
                      + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n")
                      + "\r\n";
        var out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    private static byte[] post(String target, String json) {
        return request("POST", target, "", json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] postWithHeaders(String target, String headers, byte[] body) {
        return request("POST", target, headers, body);
    }

    private static byte[] chunked(String target, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        var out = new ByteArrayOutputStream();
        out.writeBytes(("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                               .getBytes(StandardCharsets.US_ASCII));
        int half = body.length / 2;     // the secret spans the chunk boundary
        for (int[] range : new int[][] {{0, half}, {half, body.length}}) {
            out.writeBytes((Integer.toHexString(range[1] - range[0]) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, range[0], range[1] - range[0]);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] gzip(String json) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(json.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static byte[] deflate(String json) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var z = new DeflaterOutputStream(out)) {
            z.write(json.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static List<Attempt> attempts() throws IOException {
        int port = sidecar.sidecar().port();
        List<Attempt> a = new ArrayList<>();
        // Path variants of the chat route, each carrying a secret the policy would refuse.
        a.add(new Attempt("trailing slash", post("/v1/chat/completions/", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("leading //", post("//v1/chat/completions", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("inner //", post("/v1//chat/completions", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("%2F", post("/v1/chat%2Fcompletions", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("%61 for a", post("/v1/ch%61t/completions", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("/./", post("/v1/./chat/completions", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("/../", post("/v1/x/../chat/completions", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("matrix parameter", post("/v1/chat/completions;x=1", CHAT), 400, "non_canonical_path"));
        a.add(new Attempt("upper case", post("/V1/chat/completions", CHAT), 404, "not_found"));
        a.add(new Attempt("absolute-form target", post("http://127.0.0.1:" + port + "/v1/chat/completions", CHAT),
                          400, "non_canonical_path"));
        a.add(new Attempt("absolute-form to another host", post("http://api.openai.com/v1/chat/completions", CHAT),
                          400, "non_canonical_path"));
        a.add(new Attempt("query string on a governed route", post("/v1/chat/completions?api-version=2024", CHAT),
                          400, "unsupported_query"));
        // Routes that spend money or carry data and are not governed.
        for (String path : List.of("/v1/files", "/v1/batches", "/v1/audio/speech", "/v1/images/generations",
                                   "/v1/fine_tuning/jobs", "/v1/assistants", "/v1/moderations", "/chat/completions")) {
            a.add(new Attempt("ungoverned " + path, post(path, CHAT), 404, "not_found"));
        }
        // Methods.
        for (String method : List.of("PUT", "PATCH", "DELETE", "GET", "OPTIONS", "TRACE")) {
            a.add(new Attempt(method + " on a governed route",
                              request(method, "/v1/chat/completions", "", CHAT.getBytes(StandardCharsets.UTF_8)),
                              405, "method_not_allowed"));
        }
        a.add(new Attempt("HEAD on a governed route", request("HEAD", "/v1/responses", "", null), 405, null));
        a.add(new Attempt("CONNECT", request("CONNECT", "api.openai.com:443", "", null), 400, null));
        a.add(new Attempt("POST to a read-only route", post("/v1/models", CHAT), 405, "method_not_allowed"));
        a.add(new Attempt("GET with a body on a read-only route",
                          request("GET", "/v1/models", "", CHAT.getBytes(StandardCharsets.UTF_8)), 400,
                          "unexpected_body"));
        a.add(new Attempt("dot segment as a model id", request("GET", "/v1/models/..", "", null), 400,
                          "non_canonical_path"));
        a.add(new Attempt("admin route on the app socket",
                          request("DELETE", "/admin/budgets/team-daily/team=payments", "", null), 400,
                          "non_canonical_path"));
        // Host header games: the route is what counts, and a governed route stays governed.
        a.add(new Attempt("Host of the real API on an ungoverned route",
                          ("POST /v1/files HTTP/1.1\r\nHost: api.openai.com\r\nConnection: close\r\n"
                           + "Content-Type: application/json\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT)
                                  .getBytes(StandardCharsets.UTF_8), 404, "not_found"));
        a.add(new Attempt("two Host headers", request("POST", "/v1/files", "Host: api.openai.com\r\n",
                                                      CHAT.getBytes(StandardCharsets.UTF_8)), 400, null));
        a.add(new Attempt("foreign Host on a governed route",
                          postWithHeaders("/v1/chat/completions", "X-Forwarded-Host: api.openai.com\r\n"
                                          + "X-HTTP-Method-Override: GET\r\n", CHAT.getBytes(StandardCharsets.UTF_8)),
                          403, "policy_denied"));
        // Bodies.
        a.add(new Attempt("chunked body with a secret across chunks", chunked("/v1/chat/completions", CHAT), 403,
                          "policy_denied"));
        a.add(new Attempt("gzip body", postWithHeaders("/v1/chat/completions", "Content-Encoding: gzip\r\n",
                                                       gzip(CHAT)), 415, "unsupported_content_encoding"));
        a.add(new Attempt("deflate body", postWithHeaders("/v1/chat/completions", "Content-Encoding: deflate\r\n",
                                                          deflate(CHAT)), 415, "unsupported_content_encoding"));
        a.add(new Attempt("identity then gzip", postWithHeaders("/v1/chat/completions",
                                                                "Content-Encoding: identity, gzip\r\n", gzip(CHAT)),
                          415, "unsupported_content_encoding"));
        a.add(new Attempt("identity", postWithHeaders("/v1/responses", "Content-Encoding: identity\r\n",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\"}".getBytes(StandardCharsets.UTF_8)),
                          415, "unsupported_content_encoding"));
        a.add(new Attempt("not JSON", request("POST", "/v1/chat/completions", "Content-Type: text/plain\r\n"
                                              + "Content-Length: " + CLEAN.length() + "\r\n",
                                              CLEAN.getBytes(StandardCharsets.UTF_8)) , 415,
                          "unsupported_media_type"));
        a.add(new Attempt("two model keys", post("/v1/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"model\":\"anthropic/claude-opus\"}"), 400, "invalid_json"));
        a.add(new Attempt("nested duplicate content", post("/v1/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"content\":\""
                + SECRET + "\"}]}"), 400, "invalid_json"));
        a.add(new Attempt("trailing data", post("/v1/chat/completions", CLEAN + "{\"model\":\"anthropic/claude-opus\"}"),
                          400, "invalid_json"));
        // Secrets through every governed API.
        a.add(new Attempt("responses string input", post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"my key is " + SECRET + "\"}"), 403, "policy_denied"));
        a.add(new Attempt("responses content part", post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
                + "\"text\":\"" + SECRET + "\"}]}]}"), 403, "policy_denied"));
        a.add(new Attempt("responses instructions", post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"instructions\":\"use " + SECRET + "\",\"input\":\"hi\"}"), 403,
                          "policy_denied"));
        a.add(new Attempt("responses function_call_output", post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c1\","
                + "\"output\":\"aws_access_key_id=" + SECRET + "\"}]}"), 403, "policy_denied"));
        a.add(new Attempt("embeddings string", post("/v1/embeddings",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"" + SECRET + "\"}"), 403, "policy_denied"));
        a.add(new Attempt("embeddings array", post("/v1/embeddings",
                "{\"model\":\"gpt-4o-mini\",\"input\":[\"fine\",\"" + SECRET + "\"]}"), 403, "policy_denied"));
        a.add(new Attempt("embeddings token ids", post("/v1/embeddings",
                "{\"model\":\"gpt-4o-mini\",\"input\":[[15339,1917]]}"), 400, "unsupported_input"));
        a.add(new Attempt("legacy completions prompt", post("/v1/completions",
                "{\"model\":\"gpt-4o-mini\",\"prompt\":\"" + SECRET + "\"}"), 403, "policy_denied"));
        a.add(new Attempt("legacy completions suffix", post("/v1/completions",
                "{\"model\":\"gpt-4o-mini\",\"prompt\":\"hi\",\"suffix\":\"" + SECRET + "\"}"), 403,
                          "policy_denied"));
        // A limit the gateway could read differently from the one reserved, and a cost the sidecar cannot settle.
        a.add(new Attempt("both chat limit fields", post("/v1/chat/completions", CLEAN.substring(0, CLEAN.length() - 1)
                + ",\"max_completion_tokens\":5,\"max_tokens\":60000}"), 400, "invalid_parameter_combination"));
        a.add(new Attempt("another API's limit field", post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\",\"max_output_tokens\":5,\"max_tokens\":60000}"), 400,
                          "unsupported_parameter"));
        a.add(new Attempt("background response", post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\",\"background\":true}"), 400, "unsupported_value"));
        return a;
    }

    @Test
    void everyBypassIsRefusedAndNothingReachesTheGateway() throws IOException {
        List<Attempt> attempts = attempts();
        assertTrue(attempts.size() >= 25, "at least 25 attempts, got " + attempts.size());
        List<String> failures = new ArrayList<>();
        int before = upstream.requestCount();
        for (Attempt attempt : attempts) {
            String answer = RawHttp.exchange(sidecar.sidecar().port(), attempt.request());
            String statusLine = answer.indexOf('\r') < 0 ? "(no answer) " + answer : answer.substring(0, answer.indexOf('\r'));
            boolean statusOk = statusLine.startsWith("HTTP/1.1 " + attempt.status() + " ");
            boolean codeOk = attempt.code() == null || answer.contains("\"code\":\"" + attempt.code() + "\"");
            if (!statusOk || !codeOk || upstream.requestCount() != before) {
                failures.add(attempt.name() + ": expected " + attempt.status() + " " + attempt.code() + ", got "
                             + statusLine + " / " + answer.substring(Math.min(answer.length(),
                                                                              answer.indexOf("\r\n\r\n") + 4))
                             + " (gateway saw " + (upstream.requestCount() - before) + " requests)");
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(before, upstream.requestCount(), "nothing may reach the gateway");
    }

    @Test
    void theSameCleanRequestsAreForwarded() throws IOException {
        // The controls: without the trick, the same requests go through, so the refusals above are the tricks'.
        int port = sidecar.sidecar().port();
        int before = upstream.requestCount();
        byte[] body = CLEAN.getBytes(StandardCharsets.UTF_8);
        assertTrue(RawHttp.exchange(port, post("/v1/chat/completions", CLEAN)).startsWith("HTTP/1.1 200 "));
        assertTrue(RawHttp.exchange(port, chunked("/v1/chat/completions", CLEAN)).startsWith("HTTP/1.1 200 "));
        assertTrue(RawHttp.exchange(port, postWithHeaders("/v1/chat/completions",
                "X-Forwarded-Host: api.openai.com\r\nX-HTTP-Method-Override: GET\r\n", body))
                           .startsWith("HTTP/1.1 200 "));
        List<StubUpstream.Recorded> seen = upstream.requests().subList(before, upstream.requestCount());
        assertEquals(3, seen.size());
        for (StubUpstream.Recorded r : seen) {
            assertEquals("POST /v1/chat/completions", r.method() + " " + r.path());
            assertEquals(CLEAN, r.bodyText());
            assertEquals(null, r.header("x-http-method-override"));
            assertEquals(null, r.header("x-forwarded-host"));
        }
    }
}
