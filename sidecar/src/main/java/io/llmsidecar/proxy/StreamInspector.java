package io.llmsidecar.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.Usage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.ToLongFunction;

/**
 * Reads each server-sent event of a stream as it passes: the usage (chat and legacy completions: the final usage
 * chunk; responses: {@code response.usage} of the {@code response.completed} event), the generated text (chat
 * {@code choices[].delta}, completions {@code choices[].text}, responses {@code delta} of the
 * {@code response.*.delta} events; counted by the tokenizer only if the gateway never sends usage), when the first
 * token arrived, and whether the stream ended with {@code [DONE]}. One pass of a streaming JSON parser per event;
 * nothing is kept but the text.
 */
final class StreamInspector {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * What the relay should do with an event. {@code OVER_LIMIT}: the event takes the generated text past the
     * completion limit (what the budget reservation covers); end the stream instead of relaying it.
     */
    enum Verdict { FORWARD, USAGE_ONLY, OVER_LIMIT }

    private final Api api;
    private final StringBuilder generated = new StringBuilder();
    private final long completionLimit;
    private final ToLongFunction<String> tokenCounter;
    private long generatedTokens;
    private String id;
    private String model;
    private long created;
    private int choiceCount = 1;
    private Usage usage;
    private boolean done;
    private boolean upstreamError;
    private long firstTokenNanos;

    StreamInspector() {
        this(Api.CHAT_COMPLETIONS);
    }

    StreamInspector(Api api) {
        this(api, Long.MAX_VALUE, null);
    }

    /**
     * An inspector that also counts generated tokens, delta by delta with {@code tokenCounter} (a sum of parts,
     * which errs high rather than low), and reports {@link Verdict#OVER_LIMIT} past {@code completionLimit}.
     */
    StreamInspector(long completionLimit, ToLongFunction<String> tokenCounter) {
        this(Api.CHAT_COMPLETIONS, completionLimit, tokenCounter);
    }

    StreamInspector(Api api, long completionLimit, ToLongFunction<String> tokenCounter) {
        this.api = api;
        this.completionLimit = completionLimit;
        this.tokenCounter = tokenCounter;
    }

    /**
     * Inspects one complete event ({@code buf[from..to)}, delimiter included). Returns {@link Verdict#USAGE_ONLY}
     * for the chunk that carries only usage (empty {@code choices}), which the relay hides from apps that did not ask
     * for it.
     */
    Verdict inspect(byte[] buf, int from, int to) {
        int data = dataStart(buf, from, to);
        if (data < 0) {
            return Verdict.FORWARD;
        }
        int end = lineEnd(buf, data, to);
        if (end - data == 6 && buf[data] == '[' && buf[data + 1] == 'D' && buf[data + 5] == ']') {
            done = true;
            return Verdict.FORWARD;
        }
        try {
            return chunk(buf, data, end - data);
        } catch (IOException | RuntimeException e) {
            // A chunk we cannot read is still relayed; usage falls back to the tokenizer.
            return Verdict.FORWARD;
        }
    }

    Usage usage() {
        return usage;
    }

    String generatedText() {
        return generated.toString();
    }

    int generatedChars() {
        return generated.length();
    }

    boolean done() {
        return done;
    }

    /**
     * Whether the stream reached an end the gateway meant: {@code [DONE]}, the final usage chunk (some gateways
     * close right after it), the Responses API's terminal event, or the gateway's own error event.
     */
    boolean finished() {
        return done || usage != null || upstreamError;
    }

    boolean upstreamError() {
        return upstreamError;
    }

    long firstTokenNanos() {
        return firstTokenNanos;
    }

    /**
     * The end of a stream cut off at its completion limit, as a gateway would have ended it: a final chunk per
     * choice with {@code finish_reason: "length"}, then {@code [DONE]}.
     */
    byte[] cutOffEnding() {
        return api == Api.RESPONSES ? responseIncomplete() : chunkEnding();
    }

    /** Chat and legacy completions: a final chunk per choice with {@code finish_reason: "length"}, then [DONE]. */
    private byte[] chunkEnding() {
        boolean chat = api == Api.CHAT_COMPLETIONS;
        var out = new ByteArrayOutputStream(256);
        for (int i = 0; i < choiceCount; i++) {
            out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                if (id != null) {
                    g.writeStringField("id", id);
                }
                g.writeStringField("object", chat ? "chat.completion.chunk" : "text_completion");
                if (created > 0) {
                    g.writeNumberField("created", created);
                }
                if (model != null) {
                    g.writeStringField("model", model);
                }
                g.writeArrayFieldStart("choices");
                g.writeStartObject();
                g.writeNumberField("index", i);
                if (chat) {
                    g.writeObjectFieldStart("delta");
                    g.writeEndObject();
                } else {
                    g.writeStringField("text", "");
                }
                g.writeStringField("finish_reason", "length");
                g.writeEndObject();
                g.writeEndArray();
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * Responses: the {@code response.incomplete} event a gateway sends when {@code max_output_tokens} runs out. The
     * Responses API has no {@code [DONE]}.
     */
    private byte[] responseIncomplete() {
        var out = new ByteArrayOutputStream(256);
        out.writeBytes("event: response.incomplete\ndata: ".getBytes(StandardCharsets.US_ASCII));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "response.incomplete");
            g.writeObjectFieldStart("response");
            if (id != null) {
                g.writeStringField("id", id);
            }
            g.writeStringField("object", "response");
            if (created > 0) {
                g.writeNumberField("created_at", created);
            }
            if (model != null) {
                g.writeStringField("model", model);
            }
            g.writeStringField("status", "incomplete");
            g.writeObjectFieldStart("incomplete_details");
            g.writeStringField("reason", "max_output_tokens");
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private Verdict chunk(byte[] buf, int offset, int length) throws IOException {
        boolean sawUsage = false;
        int choices = -1;
        try (JsonParser p = JSON.createParser(buf, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Verdict.FORWARD;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "usage" -> {
                        if (value == JsonToken.START_OBJECT) {
                            usage = Usage.read(p);
                            sawUsage = true;
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "choices" -> choices = choices(p, value);
                    case "delta" -> {
                        // Responses: response.output_text.delta, response.function_call_arguments.delta...
                        if (api == Api.RESPONSES && value == JsonToken.VALUE_STRING) {
                            text(p);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "response" -> {
                        if (api == Api.RESPONSES && value == JsonToken.START_OBJECT) {
                            response(p);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "error" -> {
                        upstreamError = true;
                        p.skipChildren();
                    }
                    case "type" -> {
                        // Responses: a terminal event ends the stream (there is no [DONE]); "error" is the
                        // gateway's error event.
                        if (api == Api.RESPONSES && value == JsonToken.VALUE_STRING) {
                            switch (p.getText()) {
                                case "response.completed", "response.incomplete", "response.failed" -> done = true;
                                case "error" -> upstreamError = true;
                                default -> {
                                }
                            }
                        }
                    }
                    case "id" -> id = id == null && value == JsonToken.VALUE_STRING ? p.getText() : id;
                    case "model" -> model = model == null && value == JsonToken.VALUE_STRING ? p.getText() : model;
                    case "created" -> created = created == 0 && value == JsonToken.VALUE_NUMBER_INT
                            ? p.getLongValue() : created;
                    default -> p.skipChildren();
                }
            }
        }
        choiceCount = Math.max(choiceCount, choices);
        if (generatedTokens > completionLimit) {
            return Verdict.OVER_LIMIT;
        }
        return sawUsage && choices == 0 ? Verdict.USAGE_ONLY : Verdict.FORWARD;
    }

    /** The {@code response} object of a Responses event: its id and model, and its usage once it has one. */
    private void response(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "usage" -> {
                    if (value == JsonToken.START_OBJECT) {
                        usage = Usage.read(p);
                    } else {
                        p.skipChildren();
                    }
                }
                case "id" -> id = id == null && value == JsonToken.VALUE_STRING ? p.getText() : id;
                case "model" -> model = model == null && value == JsonToken.VALUE_STRING ? p.getText() : model;
                case "created_at" -> created = created == 0 && value == JsonToken.VALUE_NUMBER_INT
                        ? p.getLongValue() : created;
                default -> p.skipChildren();
            }
        }
    }

    /**
     * Walks {@code choices[].delta} (chat) and {@code choices[].text} (legacy completions), keeping generated text;
     * returns the number of choices.
     */
    private int choices(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            p.skipChildren();
            return -1;
        }
        int count = 0;
        while (p.nextToken() == JsonToken.START_OBJECT) {
            count++;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("delta") && v == JsonToken.START_OBJECT) {
                    delta(p);
                } else if (name.equals("text") && v == JsonToken.VALUE_STRING && api == Api.COMPLETIONS) {
                    text(p);
                } else {
                    p.skipChildren();
                }
            }
        }
        return count;
    }

    private void delta(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "content", "reasoning_content", "refusal" -> {
                    if (v == JsonToken.VALUE_STRING) {
                        text(p);
                    }
                }
                case "tool_calls" -> texts(p, v);
                default -> p.skipChildren();
            }
        }
    }

    /** Collects every string below a tool-call delta (function names and argument fragments). */
    private void texts(JsonParser p, JsonToken start) throws IOException {
        if (start != JsonToken.START_ARRAY && start != JsonToken.START_OBJECT) {
            return;
        }
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return;
            }
            switch (t) {
                case START_ARRAY, START_OBJECT -> depth++;
                case END_ARRAY, END_OBJECT -> depth--;
                case VALUE_STRING -> text(p);
                default -> {
                }
            }
        }
    }

    private void text(JsonParser p) throws IOException {
        int before = generated.length();
        generated.append(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        if (tokenCounter != null && generated.length() > before) {
            generatedTokens += tokenCounter.applyAsLong(generated.substring(before));
        }
        if (firstTokenNanos == 0 && generated.length() > before) {
            firstTokenNanos = System.nanoTime();
        }
    }

    /** Index of the payload of the event's first {@code data:} line, or -1. */
    private static int dataStart(byte[] buf, int from, int to) {
        int line = from;
        while (line < to) {
            if (to - line >= 5 && buf[line] == 'd' && buf[line + 1] == 'a' && buf[line + 2] == 't'
                && buf[line + 3] == 'a' && buf[line + 4] == ':') {
                int start = line + 5;
                return start < to && buf[start] == ' ' ? start + 1 : start;
            }
            line = lineEnd(buf, line, to);
            while (line < to && (buf[line] == '\n' || buf[line] == '\r')) {
                line++;
            }
        }
        return -1;
    }

    private static int lineEnd(byte[] buf, int from, int to) {
        int i = from;
        while (i < to && buf[i] != '\n' && buf[i] != '\r') {
            i++;
        }
        return i;
    }
}
