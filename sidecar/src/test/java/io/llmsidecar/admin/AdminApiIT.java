package io.llmsidecar.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin socket as an app in the pod sees it: it can reach the port and send anything, but without the token it
 * can only read health and metrics. Path games are sent over raw sockets, byte for byte, because java.net.http
 * normalizes some of them away.
 */
class AdminApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "0b6f2e4c9a8d7e1f3a5c7e9b1d3f5a7c";
    private static final String SMALL = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                        + "\"max_tokens\":40}";
    private static final String BUDGET = """
                                         budgets:
                                           - name: team-daily
                                             scope: [team]
                                             window: day
                                             tokens: 100000
                                         """;
    private static final String RESET = "/admin/budgets/team-daily/team=payments";
    /** Spellings of the reset that a lenient server might route to the same handler. */
    private static final List<String> PATH_GAMES = List.of(
            RESET,
            "/admin/../admin/budgets/team-daily/team=payments",
            "/health/../admin/budgets/team-daily/team=payments",
            "/metrics/../admin/budgets/team-daily/team=payments",
            "//admin/budgets/team-daily/team=payments",
            "/admin//budgets/team-daily/team=payments",
            "/./admin/budgets/team-daily/team=payments",
            "/admin/./budgets/team-daily/team=payments",
            "/ADMIN/budgets/team-daily/team=payments",
            "/Admin/Budgets/team-daily/team=payments",
            "/%61dmin/budgets/team-daily/team=payments",
            "/admin%2Fbudgets/team-daily/team=payments",
            "/admin/budgets%2Fteam-daily%2Fteam=payments",
            "/admin/budgets/team-daily/team%3Dpayments",
            "/admin/budgets/team-daily/team=payments/",
            "/admin;x=y/budgets/team-daily/team=payments",
            "/admin/budgets/team-daily/team=payments;x=y",
            "/admin/budgets/team-daily/team=payments?x=1",
            "/admin/budgets/team-daily/team=payments#frag",
            "/admin\\budgets\\team-daily\\team=payments",
            "/health%2F..%2Fadmin/budgets/team-daily/team=payments",
            "/%2e%2e/admin/budgets/team-daily/team=payments",
            "/health/%2e%2e/admin/budgets/team-daily/team=payments");

    private StubUpstream upstream;

    @BeforeEach
    void startUpstream() {
        upstream = StubUpstream.start();
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void withoutATokenTheAdminApiIsOffAndSaysHowToTurnItOn() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of("admin.token", ""))) {
            HttpResponse<String> response = sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/admin/budgets"))
                                                                 .GET().build());
            assertEquals(403, response.statusCode());
            JsonNode error = JSON.readTree(response.body()).get("error");
            assertEquals("permission_error", error.get("type").asText());
            assertEquals("admin_api_disabled", error.get("code").asText());
            assertTrue(error.get("message").asText().contains("SIDECAR_ADMIN_TOKEN_FILE"), error.toString());
            assertTrue(error.has("param"));
            // A presented token changes nothing when none is configured.
            assertEquals(403, sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/admin/policy"))
                                                   .header("Authorization", "Bearer anything").GET().build())
                    .statusCode());
            assertProbesAndMetricsStayOpen(sidecar);
        }
    }

    @Test
    void aWrongOrMissingTokenGets401WithABearerChallenge() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of("admin.token", TOKEN))) {
            for (String authorization : new String[] {null, "", "Bearer", "Bearer ", "Bearer wrong", "Basic " + TOKEN,
                                                      "Bearer " + TOKEN + "x", "Bearer " + TOKEN.substring(1),
                                                      TOKEN, "Bearer  " + TOKEN.toUpperCase()}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.adminUrl("/admin/budgets")).GET();
                if (authorization != null && !authorization.isEmpty()) {
                    b.header("Authorization", authorization);
                }
                HttpResponse<String> response = sidecar.send(b.build());
                assertEquals(401, response.statusCode(), String.valueOf(authorization));
                assertTrue(response.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
                JsonNode error = JSON.readTree(response.body()).get("error");
                assertEquals("invalid_admin_token", error.get("code").asText());
                assertEquals("authentication_error", error.get("type").asText());
                assertFalse(response.body().contains(TOKEN));
            }
            assertEquals(200, sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/admin/budgets"))
                                                   .header("Authorization", "bearer " + TOKEN).GET().build())
                    .statusCode(), "the scheme is case-insensitive");
            assertProbesAndMetricsStayOpen(sidecar);
        }
    }

    @Test
    void twoAuthorizationHeadersAreRefused() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of("admin.token", TOKEN))) {
            String reply = raw(sidecar.sidecar().adminPort(), "GET /admin/budgets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                    + "Authorization: Bearer wrong\r\nAuthorization: Bearer " + TOKEN
                                                    + "\r\nConnection: close\r\n\r\n");
            assertTrue(reply.startsWith("HTTP/1.1 401"), reply);
        }
    }

    @Test
    void noPathGameResetsABudgetWithoutTheToken() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, BUDGET, Map.of("admin.token", TOKEN,
                                                                               "identity.team", "payments"))) {
            long used = spend(sidecar);
            Map<String, Integer> statuses = new java.util.TreeMap<>();
            for (String method : List.of("DELETE", "GET", "POST", "PUT", "HEAD")) {
                for (String path : PATH_GAMES) {
                    String request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                                     + "Connection: close\r\n\r\n";
                    String reply = raw(sidecar.sidecar().adminPort(), request);
                    assertRefused(reply, method + " " + path);
                    statuses.merge(reply.isEmpty() ? "closed" : reply.substring(9, 12), 1, Integer::sum);
                }
                // Absolute-form targets and Host games.
                for (String target : List.of("http://127.0.0.1:" + sidecar.sidecar().adminPort() + RESET,
                                             "http://localhost" + RESET, "http://evil.example/health/.." + RESET)) {
                    String reply = raw(sidecar.sidecar().adminPort(), method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                           + "Content-Length: 0\r\nConnection: close\r\n\r\n");
                    assertRefused(reply, method + " " + target);
                }
            }
            assertEquals(used, usedTokens(sidecar), "no unauthenticated request reset the budget");
            // Helidon itself refuses some spellings with 400 before any route; the guard answers the rest with 401.
            assertTrue(statuses.keySet().stream().allMatch(s -> s.equals("400") || s.equals("401")), statuses.toString());
        }
    }

    @Test
    void withTheTokenOnlyTheCanonicalPathActs() throws Exception {
        try (TestSidecar sidecar = TestSidecar.start(upstream, BUDGET, Map.of("admin.token", TOKEN,
                                                                               "identity.team", "payments"))) {
            long used = spend(sidecar);
            for (String path : PATH_GAMES.subList(1, PATH_GAMES.size())) {
                if (path.contains("?") || path.contains("#")) {
                    continue; // a query string or a fragment is not another path
                }
                String reply = raw(sidecar.sidecar().adminPort(), "DELETE " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                       + "Authorization: Bearer " + TOKEN + "\r\n"
                                                       + "Connection: close\r\n\r\n");
                assertFalse(reply.startsWith("HTTP/1.1 2"), path + " -> " + reply);
            }
            assertEquals(used, usedTokens(sidecar), "no non-canonical spelling reset the budget");

            String reply = raw(sidecar.sidecar().adminPort(), "DELETE " + RESET + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                   + "Authorization: Bearer " + TOKEN + "\r\nConnection: close\r\n\r\n");
            assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
            assertEquals(0, usedTokens(sidecar));
        }
    }

    @Test
    void aRotatedTokenFileTakesEffectWithoutARestart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, TOKEN + "\n");
        try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of("admin.token-file", file.toString()))) {
            assertEquals(200, admin(sidecar, TOKEN).statusCode());

            String rotated = "f".repeat(40);
            Files.writeString(file, rotated);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

            assertEquals(401, admin(sidecar, TOKEN).statusCode(), "the old token stops working");
            assertEquals(200, admin(sidecar, rotated).statusCode());

            Files.writeString(file, "   \n");
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
            assertEquals(200, admin(sidecar, rotated).statusCode(), "an emptied file keeps the previous token");
        }
    }

    private static void assertRefused(String reply, String what) {
        String status = reply.isEmpty() ? "(connection closed)" : reply.substring(0, Math.min(12, reply.length()));
        assertTrue(reply.isEmpty() || reply.startsWith("HTTP/1.1 4"), what + " -> " + status);
        assertNotEquals("HTTP/1.1 200", status.strip(), what);
    }

    private static void assertProbesAndMetricsStayOpen(TestSidecar sidecar) {
        for (String path : List.of("/health", "/health/live", "/health/ready", "/metrics")) {
            HttpResponse<String> response = sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl(path)).GET().build());
            assertEquals(200, response.statusCode(), path + ": " + response.body());
        }
    }

    private static HttpResponse<String> admin(TestSidecar sidecar, String token) {
        return sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/admin/budgets"))
                                    .header("Authorization", "Bearer " + token).GET().build());
    }

    /** Spends some of team=payments' budget and returns the settled usage. */
    private static long spend(TestSidecar sidecar) throws Exception {
        assertEquals(200, sidecar.chat(SMALL).statusCode());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode row = row(sidecar);
            if (row != null && row.get("reserved_tokens").asLong() == 0 && row.get("used_tokens").asLong() > 0) {
                return row.get("used_tokens").asLong();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("usage never settled");
    }

    private static long usedTokens(TestSidecar sidecar) throws Exception {
        JsonNode row = row(sidecar);
        return row == null ? 0 : row.get("used_tokens").asLong();
    }

    private static JsonNode row(TestSidecar sidecar) throws Exception {
        HttpResponse<String> list = admin(sidecar, TOKEN);
        assertEquals(200, list.statusCode(), list.body());
        for (JsonNode row : JSON.readTree(list.body()).get("budgets")) {
            if (row.get("key").asText().equals("team=payments")) {
                return row;
            }
        }
        return null;
    }

    /**
     * Sends {@code request} as is and returns the response head and body: up to Content-Length, or (for HEAD and
     * bodiless answers) the head alone, or whatever arrived before the server closed the connection.
     */
    static String raw(int port, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    seen.write(buf, 0, n);
                    if (complete(seen.toString(StandardCharsets.ISO_8859_1), request.startsWith("HEAD "))) {
                        break;
                    }
                }
            } catch (java.net.SocketException e) {
                // reset by the server: what arrived is the answer
            }
            return seen.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean complete(String text, boolean head) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        if (head) {
            return true;
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)")
                .matcher(text.substring(0, end));
        return length.find() ? text.length() - end - 4 >= Integer.parseInt(length.group(1))
                : !text.substring(0, end).toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding");
    }
}
