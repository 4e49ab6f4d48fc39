package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.budget.BudgetStatus;
import io.llmsidecar.detect.Findings;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.ApiRequest;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.PromptText;
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
 * {@code messages} are copied from the parsed tree without an intermediate map, and only when the policy reads
 * prompt text ({@code data.config.input.include_text}): otherwise each message is written as its {@code role}
 * alone, and policies decide on {@code input.findings}, so a long prompt costs the policy nothing.
 *
 * <p>{@code input.request} has the same shape for every API ({@code input.request.api} tells which): chat sends its
 * own {@code messages}; the other APIs send their prompt texts as messages ({@code role}, {@code content} and
 * {@code where}, the field the text came from), so a policy that reads messages sees every prompt of every API.
 */
public final class PolicyInput {
    /** The document's top-level fields, in the order written. */
    static final List<String> TOP_LEVEL_FIELDS = List.of("request", "findings", "subject", "estimate", "budgets",
                                                         "time");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String requestId;
    /** Names this decision in the decision log; the request id cannot, since the app may choose it. */
    private final String decisionId;
    private final ApiRequest request;
    private final int messageCount;
    private final Subject subject;
    private final Estimate estimate;
    private final List<BudgetStatus> budgets;
    private final Instant now;
    private final Findings findings;
    /** The document as last written, and whether it carries the prompt text; written on first use. */
    private byte[] json;
    private boolean jsonHasText;
    /** Where {@code input.request.messages} sits in {@link #json}, for the decision log's copy of the prompt. */
    private int messagesStart;
    private int messagesEnd;
    /** Where each of {@link #TOP_LEVEL_FIELDS} sits in {@link #json}: start and end offsets, name to value. */
    private final int[] fieldRanges = new int[2 * TOP_LEVEL_FIELDS.size()];

    private PolicyInput(String requestId, ApiRequest request, Subject subject, Estimate estimate,
                        List<BudgetStatus> budgets, Instant now, Findings findings) {
        this.requestId = requestId;
        this.decisionId = randomUuid();
        this.request = request;
        this.messageCount = request instanceof ChatRequest chat ? chat.messages().size()
                : request.promptTexts().size();
        this.subject = subject;
        this.estimate = estimate;
        this.budgets = List.copyOf(budgets);
        this.now = now;
        this.findings = findings;
    }

    /** The input for {@code request} as it is now, evaluated at the current time. */
    public static PolicyInput of(String requestId, ApiRequest request, Subject subject, Estimate estimate,
                                 List<BudgetStatus> budgets) {
        return of(requestId, request, subject, estimate, budgets, Instant.now());
    }

    public static PolicyInput of(String requestId, ApiRequest request, Subject subject, Estimate estimate,
                                 List<BudgetStatus> budgets, Instant now) {
        return of(requestId, request, subject, estimate, budgets, now, Findings.NONE);
    }

    public static PolicyInput of(String requestId, ApiRequest request, Subject subject, Estimate estimate,
                                 List<BudgetStatus> budgets, Instant now, Findings findings) {
        return new PolicyInput(requestId, request, subject, estimate, budgets, now, findings);
    }

    /** The input with what the detectors found in the request's prompt texts, as {@code input.findings}. */
    public static PolicyInput of(String requestId, ApiRequest request, Subject subject, Estimate estimate,
                                 List<BudgetStatus> budgets, Findings findings) {
        return new PolicyInput(requestId, request, subject, estimate, budgets, Instant.now(), findings);
    }

    public Findings findings() {
        return findings;
    }

    public String requestId() {
        return requestId;
    }

    /** A random UUID naming the decision made on this input: the decision log's {@code decision_id}. */
    public String decisionId() {
        return decisionId;
    }

    /** A version 4 UUID from a thread-local generator: unique enough for ids, without SecureRandom's lock. */
    private static String randomUuid() {
        var random = java.util.concurrent.ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xf000L) | 0x4000L;
        long low = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new java.util.UUID(high, low).toString();
    }

    public ApiRequest request() {
        return request;
    }

    /** How many messages {@code input.request.messages} holds. */
    int messageCount() {
        return messageCount;
    }

    public Subject subject() {
        return subject;
    }

    public Instant now() {
        return now;
    }

    /** The whole {@code input} document, prompt text included. */
    public String json() {
        return json(true);
    }

    /**
     * The {@code input} document; without text, {@code input.request.messages} holds each message's {@code role}
     * only. Written once per variant asked for (the engine asks for one).
     */
    synchronized String json(boolean withText) {
        return new String(jsonBytes(withText), StandardCharsets.UTF_8);
    }

    /** {@link #json(boolean)} in UTF-8, as written. Not to be modified: it is the document itself. */
    synchronized byte[] jsonBytes(boolean withText) {
        written(withText);
        return json;
    }

    /**
     * The document in UTF-8 as a policy that reads only {@code fields} gets it: the other top-level fields left out
     * (see {@link InputFields}). Not to be modified: it may be the document itself.
     */
    synchronized byte[] jsonFor(boolean withText, InputFields fields) {
        byte[] whole = jsonBytes(withText);
        if (fields instanceof InputFields.Every) {
            return whole;
        }
        int length = 1;                                 // '{', then each field with the ',' or '}' after it
        for (int i = 0; i < TOP_LEVEL_FIELDS.size(); i++) {
            if (fields.includes(TOP_LEVEL_FIELDS.get(i))) {
                length += fieldRanges[2 * i + 1] - fieldRanges[2 * i] + 1;
            }
        }
        byte[] only = new byte[Math.max(length, 2)];   // '{}' when no field is read
        int at = 0;
        only[at++] = '{';
        for (int i = 0; i < TOP_LEVEL_FIELDS.size(); i++) {
            if (fields.includes(TOP_LEVEL_FIELDS.get(i))) {
                if (at > 1) {
                    only[at++] = ',';
                }
                int start = fieldRanges[2 * i];
                int end = fieldRanges[2 * i + 1];
                System.arraycopy(whole, start, only, at, end - start);
                at += end - start;
            }
        }
        only[at] = '}';
        return only;
    }

    private void written(boolean withText) {
        if (json == null || jsonHasText != withText) {
            var out = new ByteArrayOutputStream((withText ? request.rawSize() : 0) + 1024);
            int[] range = write(out, withText);
            json = out.toByteArray();
            jsonHasText = withText;
            messagesStart = range[0];
            messagesEnd = range[1];
        }
    }

    /** The JSON text of {@code input.request.messages}: what the decision log copies when allowed to. */
    synchronized byte[] messagesJson() {
        if (json != null && jsonHasText) {
            return java.util.Arrays.copyOfRange(json, messagesStart, messagesEnd);
        }
        var out = new ByteArrayOutputStream(request.rawSize() + 64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writeMessages(g, request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    long epochNanos() {
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private int[] write(ByteArrayOutputStream out, boolean withText) {
        int[] messages = new int[2];
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();

            int field = 0;
            fieldStart(g, out, field);
            g.writeObjectFieldStart("request");
            g.writeStringField("api", request.api().label());
            g.writeStringField("model", request.model());
            g.writeFieldName("messages");
            g.flush();
            messages[0] = out.size() + 1;               // the ':' is written with the value
            if (withText) {
                writeMessages(g, request);
            } else {
                writeRoles(g, request);
            }
            g.flush();
            messages[1] = out.size();
            if (request.maxTokens().isPresent()) {
                g.writeNumberField("max_tokens", request.maxTokens().getAsInt());
            } else {
                g.writeNullField("max_tokens");
            }
            g.writeStringField("limit_field", request.limitField().orElse(null));
            g.writeNumberField("n", request.choices());
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
            fieldEnd(g, out, field++);

            fieldStart(g, out, field);
            g.writeFieldName("findings");
            findings.write(g);
            fieldEnd(g, out, field++);

            fieldStart(g, out, field);
            writeSubject(g, subject);
            fieldEnd(g, out, field++);

            fieldStart(g, out, field);
            g.writeObjectFieldStart("estimate");
            g.writeStringField("model", estimate.model().map(m -> m.name()).orElse(""));
            g.writeBooleanField("priced", estimate.priced());
            g.writeNumberField("prompt_tokens", estimate.promptTokens());
            g.writeNumberField("max_completion_tokens", estimate.maxCompletionTokens());
            g.writeNumberField("choices", estimate.choices());
            g.writeFieldName("max_cost_usd");
            g.writeNumber(usd(estimate.maxCostNanos()));
            ModelPrice price = estimate.model().map(m -> m.price()).orElse(null);
            g.writeFieldName("input_usd_per_million");
            g.writeNumber(price == null ? "0" : perMillion(price.inputPico()));
            g.writeFieldName("output_usd_per_million");
            g.writeNumber(price == null ? "0" : perMillion(price.outputPico()));
            g.writeEndObject();
            fieldEnd(g, out, field++);

            fieldStart(g, out, field);
            g.writeArrayFieldStart("budgets");
            for (BudgetStatus budget : budgets) {
                writeBudget(g, budget);
            }
            g.writeEndArray();
            fieldEnd(g, out, field++);

            ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
            fieldStart(g, out, field);
            g.writeObjectFieldStart("time");
            g.writeStringField("rfc3339", now.toString());
            g.writeNumberField("unix_ns", epochNanos());
            g.writeStringField("weekday", utc.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
            g.writeNumberField("hour", utc.getHour());
            g.writeEndObject();
            fieldEnd(g, out, field);

            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return messages;
    }

    /** Marks where top-level field {@code index} begins: after the comma the generator writes before its name. */
    private void fieldStart(JsonGenerator g, ByteArrayOutputStream out, int index) throws IOException {
        g.flush();
        fieldRanges[2 * index] = out.size() + (index == 0 ? 0 : 1);
    }

    private void fieldEnd(JsonGenerator g, ByteArrayOutputStream out, int index) throws IOException {
        g.flush();
        fieldRanges[2 * index + 1] = out.size();
    }

    /** Without text: each chat message's {@code role}; for other APIs each prompt text's role and {@code where}. */
    private static void writeRoles(JsonGenerator g, ApiRequest request) throws IOException {
        g.writeStartArray();
        if (request instanceof ChatRequest chat) {
            for (var message : chat.messages()) {
                g.writeStartObject();
                var role = message.get("role");
                g.writeStringField("role", role != null && role.isTextual() ? role.textValue() : "");
                g.writeEndObject();
            }
        } else {
            for (PromptText text : request.promptTexts()) {
                g.writeStartObject();
                g.writeStringField("role", role(text.where()));
                g.writeStringField("where", text.where());
                g.writeEndObject();
            }
        }
        g.writeEndArray();
    }

    /** Chat's own messages; for other APIs one message per prompt text. */
    private static void writeMessages(JsonGenerator g, ApiRequest request) throws IOException {
        if (request instanceof ChatRequest chat) {
            g.writeTree(chat.messages());
            return;
        }
        g.writeStartArray();
        for (PromptText text : request.promptTexts()) {
            g.writeStartObject();
            g.writeStringField("role", role(text.where()));
            g.writeStringField("content", text.text());
            g.writeStringField("where", text.where());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** {@code instructions} act as a system prompt, tool outputs as tool messages; the rest is the caller's. */
    private static String role(String where) {
        if (where.equals("instructions")) {
            return "system";
        }
        return where.endsWith(".output") || where.contains(".output[") ? "tool" : "user";
    }

    /** {@code "subject": {...}}, as in the input and in decision log lines. */
    static void writeSubject(JsonGenerator g, Subject s) throws IOException {
        g.writeObjectFieldStart("subject");
        g.writeStringField("team", s.team());
        g.writeStringField("team_source", s.teamSource().inputValue());
        g.writeStringField("user", s.user());
        g.writeStringField("session", s.session());
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
