package io.llmsidecar.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.PrometheusServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static io.llmsidecar.testing.StubUpstream.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proof that the dashboards match the metrics: traffic of every kind (allowed, streamed, denied by policy, denied by
 * budget, invalid, shadow would-deny) goes through a real sidecar while a real Prometheus scrapes it; then every
 * panel query of every dashboard in {@code dashboards/}, template variables substituted, runs through Prometheus'
 * HTTP API and must succeed with at least one series. The scrape output also passes {@code promtool check metrics}.
 */
class DashboardsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,\"messages\":[{\"role\":"
                                      + "\"user\",\"content\":\"Plan meals for the week.\"}]}";
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((\\w+),\\s*(\\w+)\\)");

    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private static PrometheusServer prometheus;

    @BeforeAll
    static void driveTrafficWhilePrometheusScrapes() throws Exception {
        upstream = StubUpstream.start();
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            if (request.bodyText().contains("\"stream\":true")) {
                StubUpstream.sse(events(cassette("chat-completion.sse")), Duration.ZERO).respond(exchange, request);
            } else {
                StubUpstream.json(200, cassette("chat-completion.json")).respond(exchange, request);
            }
        });
        Path dir = Files.createTempDirectory("dashboards-it");
        Path shadow = Files.createDirectories(dir.resolve("shadow"));
        Files.writeString(shadow.resolve("decision.rego"), """
                package sidecar

                decision := {"allow": count(input.request.messages) < 2, "reasons": reasons, "patch": {}}

                reasons contains {"code": "long_conversation", "message": "Too long.", "policy": "shadow_trial"} if {
                	count(input.request.messages) >= 2
                }
                """);
        Path config = dir.resolve("sidecar.yaml");
        Files.writeString(config, """
                budgets:
                  - name: team-daily
                    scope: [team]
                    window: day
                    tokens: 16500
                    usd: 50
                """);
        sidecar = TestSidecar.start(Map.of("upstream.url", upstream.baseUrl(), "upstream.api-key", TestSidecar.KEY,
                                           "server.port", "0", "admin.port", "0", "pricing.refresh-interval", "0",
                                           "policy.shadow-dir", shadow.toString()),
                                    Optional.of(config));
        prometheus = PrometheusServer.scraping(sidecar.sidecar().adminPort());
        prometheus.awaitSeries("up{job=\"llm-sidecar\"} == 1", Duration.ofSeconds(30));

        // Several rounds a few scrapes apart, so rates, increases and the budget burn (deriv) have data.
        for (int round = 0; round < 4; round++) {
            sidecar.chat(ASK, "x-llm-team", "payments");
            sidecar.chat(ASK.replace("{\"model\"", "{\"stream\":true,\"model\""), "x-llm-team", "search");
            sidecar.chat(ASK.replace("Plan meals", "My key is AKIAIOSFODNN7EXAMPLE"), "x-llm-team", "payments");
            // Each holds 16,000+ tokens while in flight and uses 260: the third no longer fits in 16,500.
            sidecar.chat(ASK.replace("\"max_tokens\":100", "\"max_tokens\":16000"), "x-llm-team", "greedy");
            sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[]}");       // invalid
            sidecar.chat("{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,\"messages\":[{\"role\":\"system\","
                         + "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]}",
                         "x-llm-team", "payments");                                // the shadow policy would deny
            Thread.sleep(2500);
        }
        prometheus.awaitSeries("llm_sidecar_requests_total{outcome=\"denied_budget\"}", Duration.ofSeconds(30));
        Thread.sleep(3000); // a few more scrapes after the last request
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (sidecar != null) {
            sidecar.close();
        }
        upstream.close();
    }

    @Test
    void everyPanelQueryOfEveryDashboardReturnsSeries() throws IOException {
        List<String> failures = new ArrayList<>();
        int queries = 0;
        for (Path file : dashboards()) {
            JsonNode board = JSON.readTree(file.toFile());
            for (JsonNode panel : board.path("panels")) {
                for (JsonNode target : panel.path("targets")) {
                    String expr = substitute(target.path("expr").asText());
                    queries++;
                    JsonNode result = prometheus.query(expr).path("result");
                    if (result.isEmpty()) {
                        failures.add(file.getFileName() + " / " + panel.path("title").asText() + ": " + expr);
                    }
                }
            }
            for (JsonNode variable : board.path("templating").path("list")) {
                Matcher m = LABEL_VALUES.matcher(variable.path("definition").asText());
                if (m.matches()) {
                    queries++;
                    if (prometheus.query("count by (" + m.group(2) + ") (" + m.group(1) + ")").path("result")
                            .isEmpty()) {
                        failures.add(file.getFileName() + " / variable " + variable.path("name").asText());
                    }
                }
            }
        }
        assertTrue(queries > 25, "the dashboards hold " + queries + " queries");
        assertEquals(List.of(), failures, "panel queries without series");
    }

    @Test
    void everyDashboardHasThePrometheusDatasourceAndTeamAndModelVariables() throws IOException {
        for (Path file : dashboards()) {
            JsonNode vars = JSON.readTree(file.toFile()).path("templating").path("list");
            List<String> names = new ArrayList<>();
            vars.forEach(v -> names.add(v.path("name").asText() + ":" + v.path("type").asText()));
            assertTrue(names.containsAll(List.of("datasource:datasource", "team:query", "model:query")),
                       file + " has " + names);
        }
    }

    @Test
    void theScrapePassesPromtool() throws Exception {
        String metrics = sidecar.metrics();
        Process promtool = new ProcessBuilder(PrometheusServer.find("promtool").toString(), "check", "metrics")
                .redirectErrorStream(true).start();
        promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String out = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, promtool.exitValue(), "promtool check metrics: " + out);
    }

    /** Grafana's variables as a dashboard with "All" selected and a 5-minute range would expand them. */
    static String substitute(String expr) {
        return expr.replace("$__rate_interval", "1m")
                .replace("$__range", "5m")
                .replace("$__interval", "15s")
                .replace("$team", ".*")
                .replace("$model", ".*");
    }

    private static List<Path> dashboards() throws IOException {
        try (Stream<Path> files = Files.list(Project.root().resolve("dashboards"))) {
            List<Path> boards = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
            assertEquals(3, boards.size(), "cost overview, budgets & policy, performance: " + boards);
            return boards;
        }
    }
}
