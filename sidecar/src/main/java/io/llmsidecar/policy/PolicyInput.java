package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.budget.BudgetStatus;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.Usd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The facts about one request that a policy sees as {@code input}, and their JSON document (described with an
 * example in policies/README.md). The document is written once with a streaming generator; the request's
 * {@code messages} are copied from the parsed tree without an intermediate map.
 */
public final class PolicyInput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String requestId;
    private final ChatRequest request;
    private final Subject subject;
    private final Estimate estimate;
    private final List<BudgetStatus> budgets;
    private final Instant now;
    private final byte[] json;
    /** Where {@code input.request.messages} sits in {@link #json}, for the decision log's hash of the prompt. */
    private final int messagesStart;
    private final int messagesEnd;

    private PolicyInput(String requestId, ChatRequest request, Subject subject, Estimate estimate,
                        List<BudgetStatus> budgets, Instant now) {
        this.requestId = requestId;
        this.request = request;
        this.subject = subject;
        this.estimate = estimate;
        this.budgets = List.copyOf(budgets);
        this.now = now;
        var out = new ByteArrayOutputStream(request.rawSize() + 1024);
        int[] range = write(out);
        this.json = out.toByteArray();
        this.messagesStart = range[0];
        this.messagesEnd = range[1];
    }

    /** The input for {@code request} as it is now, evaluated at the current time. */
    public static PolicyInput of(String requestId, ChatRequest request, Subject subject, Estimate estimate,
                                 List<BudgetStatus> budgets) {
        return of(requestId, request, subject, estimate, budgets, Instant.now());
    }

    public static PolicyInput of(String requestId, ChatRequest request, Subject subject, Estimate estimate,
                                 List<BudgetStatus> budgets, Instant now) {
        return new PolicyInput(requestId, request, subject, estimate, budgets, now);
    }

    public String requestId() {
        return requestId;
    }

    public ChatRequest request() {
        return request;
    }

    public Subject subject() {
        return subject;
    }

    public Instant now() {
        return now;
    }

    /** The whole {@code input} document. */
    public String json() {
        return new String(json, StandardCharsets.UTF_8);
    }

    /** The JSON text of {@code input.request.messages}: what the decision log hashes and, if allowed, copies. */
    byte[] messagesJson() {
        return java.util.Arrays.copyOfRange(json, messagesStart, messagesEnd);
    }

    long epochNanos() {
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private int[] write(ByteArrayOutputStream out) {
        int[] messages = new int[2];
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();

            g.writeObjectFieldStart("request");
            g.writeStringField("model", request.model());
            g.writeFieldName("messages");
            g.flush();
            messages[0] = out.size() + 1;               // the ':' is written with the value
            g.writeTree(request.messages());
            g.flush();
            messages[1] = out.size();
            if (request.maxTokens().isPresent()) {
                g.writeNumberField("max_tokens", request.maxTokens().getAsInt());
            } else {
                g.writeNullField("max_tokens");
            }
            if (request.temperature().isPresent()) {
                g.writeNumberField("temperature", request.temperature().getAsDouble());
            } else {
                g.writeNullField("temperature");
            }
            g.writeBooleanField("stream", request.stream());
            g.writeStringField("user", request.user().orElse(null));
            g.writeNumberField("tools_count", request.toolsCount());
            g.writeNumberField("raw_size", request.rawSize());
            g.writeEndObject();

            writeSubject(g, subject);

            g.writeObjectFieldStart("estimate");
            g.writeStringField("model", estimate.model().map(m -> m.name()).orElse(""));
            g.writeBooleanField("priced", estimate.priced());
            g.writeNumberField("prompt_tokens", estimate.promptTokens());
            g.writeNumberField("max_completion_tokens", estimate.maxCompletionTokens());
            g.writeFieldName("max_cost_usd");
            g.writeNumber(usd(estimate.maxCostNanos()));
            ModelPrice price = estimate.model().map(m -> m.price()).orElse(null);
            g.writeFieldName("input_usd_per_million");
            g.writeNumber(price == null ? "0" : perMillion(price.inputPico()));
            g.writeFieldName("output_usd_per_million");
            g.writeNumber(price == null ? "0" : perMillion(price.outputPico()));
            g.writeEndObject();

            g.writeArrayFieldStart("budgets");
            for (BudgetStatus budget : budgets) {
                writeBudget(g, budget);
            }
            g.writeEndArray();

            ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
            g.writeObjectFieldStart("time");
            g.writeStringField("rfc3339", now.toString());
            g.writeNumberField("unix_ns", epochNanos());
            g.writeStringField("weekday", utc.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
            g.writeNumberField("hour", utc.getHour());
            g.writeEndObject();

            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return messages;
    }

    /** {@code "subject": {...}}, as in the input and in decision log lines. */
    static void writeSubject(JsonGenerator g, Subject s) throws IOException {
        g.writeObjectFieldStart("subject");
        g.writeStringField("team", s.team());
        g.writeStringField("team_source", s.teamSource().inputValue());
        g.writeStringField("user", s.user());
        g.writeStringField("namespace", s.namespace());
        g.writeStringField("pod", s.pod().pod());
        g.writeStringField("service_account", s.pod().serviceAccount());
        g.writeStringField("app", s.app());
        g.writeEndObject();
    }

    private static void writeBudget(JsonGenerator g, BudgetStatus b) throws IOException {
        g.writeStartObject();
        g.writeStringField("budget", b.budget());
        g.writeStringField("key", b.key());
        g.writeStringField("window_start", b.windowStart().toString());
        g.writeStringField("window_end", b.windowEnd().toString());
        writeOptional(g, "limit_tokens", b.limitTokens());
        g.writeNumberField("used_tokens", b.usedTokens());
        g.writeNumberField("reserved_tokens", b.reservedTokens());
        writeOptional(g, "remaining_tokens", b.remainingTokens());
        g.writeFieldName("limit_usd");
        if (b.limitNanos().isPresent()) {
            g.writeNumber(usd(b.limitNanos().getAsLong()));
        } else {
            g.writeNull();
        }
        g.writeFieldName("used_usd");
        g.writeNumber(usd(b.usedNanos()));
        g.writeFieldName("reserved_usd");
        g.writeNumber(usd(b.reservedNanos()));
        g.writeFieldName("remaining_usd");
        if (b.remainingNanos().isPresent()) {
            g.writeNumber(usd(b.remainingNanos().getAsLong()));
        } else {
            g.writeNull();
        }
        // The larger share used of the token and the USD limit: one number a policy can compare with 0.8.
        double ratio = -1;
        if (b.limitTokens().isPresent() && b.limitTokens().getAsLong() > 0) {
            ratio = (b.usedTokens() + b.reservedTokens()) / (double) b.limitTokens().getAsLong();
        }
        if (b.limitNanos().isPresent() && b.limitNanos().getAsLong() > 0) {
            ratio = Math.max(ratio, (b.usedNanos() + b.reservedNanos()) / (double) b.limitNanos().getAsLong());
        }
        if (ratio >= 0) {
            g.writeNumberField("used_ratio", ratio);
        } else {
            g.writeNullField("used_ratio");
        }
        g.writeEndObject();
    }

    private static void writeOptional(JsonGenerator g, String field, OptionalLong value) throws IOException {
        if (value.isPresent()) {
            g.writeNumberField(field, value.getAsLong());
        } else {
            g.writeNullField(field);
        }
    }

    /** Plain decimal notation: "0.0000012", never "1.2E-6", which some JSON readers mishandle. */
    private static String usd(long nanos) {
        return Usd.toDecimal(nanos).toPlainString();
    }

    private static String perMillion(long picoPerToken) {
        return BigDecimal.valueOf(picoPerToken, 6).stripTrailingZeros().toPlainString();
    }
}
