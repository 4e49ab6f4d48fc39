package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.rego.RegoBuiltins;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * {@code llm-sidecar.jar replay}: evaluates the inputs of recorded decision-log events with a candidate policy and
 * reports what would change. The candidate is loaded and evaluated by the sidecar's own {@link PolicyLoader} on the
 * same Wasm host, so what replay says is what the sidecar would do with the same input.
 *
 * <p>Exit status: 0 when done (and nothing changed, under {@code --fail-on-change}), 1 when something changed and
 * {@code --fail-on-change} was given, 2 on a usage error or a policy that does not load.
 */
public final class Replay {
    static final String USAGE = "Usage: java -jar llm-sidecar.jar replay --decisions <file|dir> --policy <dir|bundle> "
                                + "[--data data.json] [--json] [--fail-on-change] [--examples N]";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** How one recorded decision compares with the candidate's. */
    enum Change {
        UNCHANGED("unchanged"), ALLOW_TO_DENY("allow_to_deny"), DENY_TO_ALLOW("deny_to_allow"),
        PATCH_CHANGED("patch_changed"), REASONS_CHANGED("reasons_changed"), CANDIDATE_ERROR("candidate_error");

        final String label;

        Change(String label) {
            this.label = label;
        }
    }

    /** One decision that changed, as shown in the report. */
    record Example(String decisionId, String requestId, String team, String model, String before, String after) {
    }

    /** What replay found; {@link #changed()} is what {@code --fail-on-change} tests. */
    record Report(String candidate, String revision, int files, int decisions, int skipped, int textless,
                  Map<Change, Integer> counts, Map<Change, List<Example>> examples, BigDecimal costBefore,
                  BigDecimal costAfter, int costEstimated) {
        int count(Change change) {
            return counts.getOrDefault(change, 0);
        }

        int changed() {
            return decisions - count(Change.UNCHANGED);
        }
    }

    private record Options(Path decisions, Path policy, Optional<Path> data, boolean json, boolean failOnChange,
                           int examples) {
    }

    private Replay() {
    }

    /** Runs the command; returns the exit status. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = options(args);
        } catch (IllegalArgumentException e) {
            err.println("llm-sidecar replay: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        Report report;
        try {
            report = replay(options);
        } catch (PolicyLoadException | IOException | UncheckedIOException e) {
            err.println("llm-sidecar replay: " + e.getMessage());
            return 2;
        }
        out.print(options.json() ? json(report) : text(report));
        out.flush();
        return options.failOnChange() && report.changed() > 0 ? 1 : 0;
    }

    private static Options options(List<String> args) {
        Path decisions = null;
        Path policy = null;
        Optional<Path> data = Optional.empty();
        boolean json = false;
        boolean failOnChange = false;
        int examples = 5;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--decisions" -> decisions = Path.of(value(args, ++i, arg));
                case "--policy" -> policy = Path.of(value(args, ++i, arg));
                case "--data" -> data = Optional.of(Path.of(value(args, ++i, arg)));
                case "--json" -> json = true;
                case "--fail-on-change" -> failOnChange = true;
                case "--examples" -> {
                    try {
                        examples = Integer.parseInt(value(args, ++i, arg));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--examples takes a number");
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
        }
        if (decisions == null || policy == null) {
            throw new IllegalArgumentException("--decisions and --policy are required");
        }
        return new Options(decisions, policy, data, json, failOnChange, Math.max(0, examples));
    }

    private static String value(List<String> args, int i, String name) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args.get(i);
    }

    static Report replay(Options options) throws PolicyLoadException, IOException {
        List<Path> files = files(options.decisions());
        ScheduledExecutorService loaderThread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("replay-loader").daemon(true).factory());
        EvaluationWatchdog watchdog = new EvaluationWatchdog(TIMEOUT);
        try {
            PolicyLoader candidate = new PolicyLoader("candidate", source(options), RegoBuiltins.create(), 1,
                                                      loaderThread, watchdog, new SidecarMetrics("replay"), TIMEOUT,
                                                      Clock.systemUTC());
            candidate.check();
            PolicyLoader.Status status = candidate.status();
            if (status.revision().isEmpty()) {
                throw new PolicyLoadException("the candidate policy does not load: " + status.lastError().orElse("?"));
            }
            return compare(files, candidate, status, options.examples());
        } finally {
            watchdog.close();
            loaderThread.shutdownNow();
        }
    }

    private static PolicySource source(Options options) throws IOException {
        Path policy = options.policy();
        PolicySource source = Files.isDirectory(policy)
                ? new PolicySource.Directory(policy, OpaCompiler.locate(Optional.empty()), Duration.ofDays(1))
                : new PolicySource.BundleFile(policy, Duration.ofDays(1));
        if (options.data().isPresent()) {
            Path data = options.data().get();
            String json = Files.readString(data);
            JSON.readTree(json);            // a broken data file is reported as such, not as a policy error
            source = new PolicySource.WithData(source, json, data.getFileName().toString());
        }
        return source;
    }

    private static Report compare(List<Path> files, PolicyLoader candidate, PolicyLoader.Status status,
                                  int maxExamples) throws IOException {
        List<JsonNode> decisions = new ArrayList<>();
        Map<String, BigDecimal> settled = new HashMap<>();
        int skipped = 0;
        for (Path file : files) {
            for (JsonNode event : events(file)) {
                switch (event.path("path").asText()) {
                    case DecisionEvents.DECISION_PATH -> {
                        if (event.path("input").isObject()) {
                            decisions.add(event);
                        } else {
                            skipped++;
                        }
                    }
                    case DecisionEvents.SETTLEMENT_PATH -> {
                        JsonNode cost = event.at("/result/cost_usd");
                        if (cost.isNumber()) {
                            settled.put(event.path("decision_id").asText(), cost.decimalValue());
                        }
                    }
                    default -> skipped++;
                }
            }
        }
        Map<Change, Integer> counts = new LinkedHashMap<>();
        Map<Change, List<Example>> examples = new LinkedHashMap<>();
        for (Change c : Change.values()) {
            counts.put(c, 0);
            examples.put(c, new ArrayList<>());
        }
        BigDecimal before = BigDecimal.ZERO;
        BigDecimal after = BigDecimal.ZERO;
        int estimated = 0;
        int textless = 0;
        for (JsonNode event : decisions) {
            JsonNode input = event.get("input");
            String inputJson = JSON.writeValueAsString(input);
            if (candidate.readsText() && !hasText(input)) {
                textless++;
            }
            Decision recorded = recorded(event);
            Decision now = candidate.evaluate(inputJson, epochNanos(event));
            boolean admittedBefore = recorded instanceof Decision.Allow
                                     || event.at("/custom/outcome").asText().equals("fail_open");
            Change change = change(recorded, now);
            counts.merge(change, 1, Integer::sum);
            List<Example> list = examples.get(change);
            if (change != Change.UNCHANGED && list.size() < maxExamples) {
                list.add(new Example(event.path("decision_id").asText(), event.at("/custom/request_id").asText(),
                                     input.at("/subject/team").asText(), input.at("/request/model").asText(),
                                     describe(recorded), describe(now)));
            }
            String id = event.path("decision_id").asText();
            BigDecimal cost = settled.get(id);
            if (cost == null) {
                JsonNode max = input.at("/estimate/max_cost_usd");
                cost = max.isNumber() ? max.decimalValue() : BigDecimal.ZERO;
                if (admittedBefore || now instanceof Decision.Allow) {
                    estimated++;
                }
            }
            if (admittedBefore) {
                before = before.add(cost);
            }
            if (now instanceof Decision.Allow) {
                after = after.add(cost);
            }
        }
        return new Report(status.source(), status.revision().orElse(""), files.size(), decisions.size(), skipped,
                          textless, counts, examples, before, after, estimated);
    }

    static Change change(Decision recorded, Decision now) {
        return switch (now) {
            case Decision.Failed f -> Change.CANDIDATE_ERROR;
            case Decision.Allow a when !(recorded instanceof Decision.Allow) -> Change.DENY_TO_ALLOW;
            case Decision.Allow a -> a.patch().equals(((Decision.Allow) recorded).patch()) ? Change.UNCHANGED
                                                                                          : Change.PATCH_CHANGED;
            case Decision.Deny d when recorded instanceof Decision.Allow -> Change.ALLOW_TO_DENY;
            case Decision.Deny d when recorded instanceof Decision.Deny r -> codes(r).equals(codes(d))
                    ? Change.UNCHANGED : Change.REASONS_CHANGED;
            case Decision.Deny d -> Change.ALLOW_TO_DENY;   // recorded as an error: the request was not admitted
        };
    }

    private static List<String> codes(Decision.Deny deny) {
        return deny.reasons().stream().map(Decision.Reason::code).sorted().toList();
    }

    /** The recorded decision: its {@code result} read back by the decision contract, or its {@code error}. */
    private static Decision recorded(JsonNode event) {
        String revision = event.at("/bundles/" + DecisionEvents.BUNDLE + "/revision").asText();
        if (event.path("result").isObject()) {
            try {
                return DecisionParser.parse("[{\"result\":" + event.get("result") + "}]", revision);
            } catch (DecisionParser.PolicyResultException e) {
                return new Decision.Failed("unreadable recorded result: " + e.getMessage(), revision);
            }
        }
        return new Decision.Failed(event.at("/error/message").asText("no result recorded"), revision);
    }

    private static long epochNanos(JsonNode event) {
        JsonNode unix = event.at("/input/time/unix_ns");
        if (unix.canConvertToLong()) {
            return unix.longValue();
        }
        Instant at = Instant.parse(event.path("timestamp").asText(Instant.EPOCH.toString()));
        return at.getEpochSecond() * 1_000_000_000L + at.getNano();
    }

    private static boolean hasText(JsonNode input) {
        for (JsonNode message : input.at("/request/messages")) {
            if (message.has("content")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Decision decision) {
        return switch (decision) {
            case Decision.Allow a -> a.patch().isEmpty() ? "allow" : "allow, patch " + patch(a);
            case Decision.Deny d -> "deny " + codes(d);
            case Decision.Failed f -> "error: " + f.error();
        };
    }

    private static String patch(Decision.Allow allow) {
        List<String> parts = new ArrayList<>();
        allow.patch().model().ifPresent(m -> parts.add("model=" + m));
        allow.patch().maxTokens().ifPresent(t -> parts.add("max_tokens=" + t));
        return String.join(",", parts);
    }

    /** A file, or every regular file in a directory (not recursive), in name order. */
    private static List<Path> files(Path decisions) throws IOException {
        if (Files.isRegularFile(decisions)) {
            return List.of(decisions);
        }
        if (!Files.isDirectory(decisions)) {
            throw new IOException("--decisions " + decisions + " is neither a file nor a directory");
        }
        try (Stream<Path> paths = Files.list(decisions)) {
            List<Path> files = paths.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw new IOException("--decisions " + decisions + " holds no files");
            }
            return files;
        }
    }

    /**
     * The events in one file: JSON lines (a file sink, or stdout with the log line's prefix before the first
     * {@code {}}), or JSON arrays as a decision-log service receives them; gzipped or not.
     */
    static List<JsonNode> events(Path file) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = gunzipIfNeeded(raw);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                int start = firstOf(line);
                if (start < 0) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line.substring(start));
                } catch (IOException e) {
                    continue;                          // other log lines in a captured stdout
                }
                if (node.isArray()) {
                    node.forEach(events::add);
                } else if (node.isObject()) {
                    events.add(node);
                }
            }
        }
        return events;
    }

    private static int firstOf(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '{' || (c == '[' && i == 0)) {
                return i;
            }
        }
        return -1;
    }

    private static InputStream gunzipIfNeeded(InputStream raw) throws IOException {
        var buffered = new java.io.BufferedInputStream(raw);
        buffered.mark(2);
        int b1 = buffered.read();
        int b2 = buffered.read();
        buffered.reset();
        return b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(buffered) : buffered;
    }

    static String text(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("Replayed ").append(r.decisions()).append(" decisions from ").append(r.files())
                .append(r.files() == 1 ? " file" : " files").append(" against ").append(r.candidate())
                .append(" (revision ").append(r.revision()).append(")\n");
        b.append(String.format("  %-16s %d%n", "unchanged", r.count(Change.UNCHANGED)));
        for (Change c : Change.values()) {
            if (c == Change.UNCHANGED) {
                continue;
            }
            b.append(String.format("  %-16s %d%n", c.label, r.count(c)));
            for (Example e : r.examples().get(c)) {
                b.append("      decision ").append(e.decisionId()).append(" request ").append(e.requestId())
                        .append(" team ").append(e.team()).append(" model ").append(e.model()).append(": ")
                        .append(e.before()).append(" -> ").append(e.after()).append('\n');
            }
        }
        b.append("  cost admitted    before ").append(r.costBefore().stripTrailingZeros().toPlainString())
                .append(" USD, after ")
                .append(r.costAfter().stripTrailingZeros().toPlainString()).append(" USD");
        if (r.costEstimated() > 0) {
            b.append(" (").append(r.costEstimated()).append(" without a settlement priced at their estimated maximum)");
        }
        b.append('\n');
        if (r.textless() > 0) {
            b.append("  WARNING: the candidate reads prompt text (config.input.include_text) but ").append(r.textless())
                    .append(" recorded inputs hold none; its decisions on text may differ in production\n");
        }
        if (r.skipped() > 0) {
            b.append("  skipped ").append(r.skipped()).append(" events that are not decisions with an input\n");
        }
        b.append(r.changed() == 0 ? "No decision changes.\n" : r.changed() + " decisions change.\n");
        return b.toString();
    }

    static String json(Report r) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("candidate", r.candidate());
            g.writeStringField("revision", r.revision());
            g.writeNumberField("files", r.files());
            g.writeNumberField("decisions", r.decisions());
            g.writeNumberField("changed", r.changed());
            g.writeNumberField("skipped_events", r.skipped());
            g.writeNumberField("inputs_without_text", r.textless());
            for (Change c : Change.values()) {
                if (c == Change.UNCHANGED) {
                    g.writeNumberField("unchanged", r.count(c));
                    continue;
                }
                g.writeObjectFieldStart(c.label);
                g.writeNumberField("count", r.count(c));
                g.writeArrayFieldStart("examples");
                for (Example e : r.examples().get(c)) {
                    g.writeStartObject();
                    g.writeStringField("decision_id", e.decisionId());
                    g.writeStringField("request_id", e.requestId());
                    g.writeStringField("team", e.team());
                    g.writeStringField("model", e.model());
                    g.writeStringField("before", e.before());
                    g.writeStringField("after", e.after());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeObjectFieldStart("cost_admitted_usd");
            g.writeFieldName("before");
            g.writeNumber(r.costBefore().stripTrailingZeros().toPlainString());
            g.writeFieldName("after");
            g.writeNumber(r.costAfter().stripTrailingZeros().toPlainString());
            g.writeNumberField("estimated", r.costEstimated());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out + "\n";
    }
}
