package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;

/**
 * Anthropic's Messages API, {@code POST /v1/messages} and its free {@code /v1/messages/count_tokens}.
 *
 * <p>Usage: {@code input_tokens} (input neither read from nor written to the prompt cache),
 * {@code cache_creation_input_tokens}, {@code cache_read_input_tokens} and {@code output_tokens}; the sidecar adds
 * the three inputs into {@link Usage#promptTokens()} so every API's usage means the same. A stream reports the input
 * in {@code message_start} and the cumulative usage in each {@code message_delta} (whose fields replace those seen
 * before), and ends with {@code message_stop}. Text arrives as {@code text_delta}, {@code thinking_delta} and
 * {@code input_json_delta} (tool calls) in {@code content_block_delta} events.
 */
public final class MessagesDialect implements Dialect {
    private final boolean counting;

    /** @param counting {@code /count_tokens}: checked like a call, but free and never streamed */
    MessagesDialect(boolean counting) {
        this.counting = counting;
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return counting ? MessagesRequest.parseCountTokens(body) : MessagesRequest.parse(body);
    }

    /** A count costs nothing: zero, as the gateway's answer (which holds only {@code input_tokens}) means. */
    @Override
    public Optional<Usage> usage(byte[] answer) {
        if (counting) {
            return Optional.of(new Usage(0, 0, 0, Usage.Source.GATEWAY));
        }
        return AnswerUsage.find(answer, p -> readUsage(p, null));
    }

    /** Text, thinking and tool calls (their {@code input} as JSON) of the answer's content blocks. */
    @Override
    public String generatedText(byte[] answer) {
        StringBuilder text = new StringBuilder();
        for (JsonNode block : AnswerTree.read(answer).path("content")) {
            AnswerTree.append(text, block.get("text"));
            AnswerTree.append(text, block.get("thinking"));
            JsonNode input = block.get("input");
            if (input != null && !input.isNull()) {
                text.append(input);
            }
        }
        return text.toString();
    }

    @Override
    public void readEvent(JsonParser p, StreamState s) throws IOException {
        String type = "";
        int index = -1;
        Usage usage = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "type" -> type = value == JsonToken.VALUE_STRING ? p.getText() : "";
                case "index" -> index = value == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
                case "message" -> {
                    if (value == JsonToken.START_OBJECT) {
                        message(p, s);
                    } else {
                        p.skipChildren();
                    }
                }
                case "delta" -> {
                    if (value == JsonToken.START_OBJECT) {
                        delta(p, s);
                    } else {
                        p.skipChildren();
                    }
                }
                case "usage" -> {
                    if (value == JsonToken.START_OBJECT) {
                        usage = readUsage(p, s.partialUsage());
                    } else {
                        p.skipChildren();
                    }
                }
                case "error" -> {
                    s.upstreamError();
                    p.skipChildren();
                }
                default -> p.skipChildren();
            }
        }
        switch (type) {
            case "content_block_start" -> s.blockStarted(index);
            case "content_block_stop" -> s.blockStopped(index);
            case "message_delta" -> {
                if (usage != null) {
                    // Cumulative: the latest delta is the stream's usage so far, the final one its total.
                    s.partialUsage(usage);
                    s.usage(usage);
                }
            }
            case "message_stop" -> s.done();
            case "error" -> s.upstreamError();
            default -> {
            }
        }
    }

    /** {@code message_start}'s message: its id and model, and the usage of its input. */
    private static void message(JsonParser p, StreamState s) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "usage" -> {
                    if (value == JsonToken.START_OBJECT) {
                        s.partialUsage(readUsage(p, null));
                    } else {
                        p.skipChildren();
                    }
                }
                default -> {
                    if (!s.identity(name, value, p)) {
                        p.skipChildren();
                    }
                }
            }
        }
    }

    /**
     * A {@code content_block_delta}'s delta: the text of a text, thinking or tool-input fragment; or
     * {@code message_delta}'s, with the {@code stop_reason}.
     */
    private static void delta(JsonParser p, StreamState s) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "text", "thinking", "partial_json" -> {
                    if (value == JsonToken.VALUE_STRING) {
                        s.text(p);
                    }
                }
                case "stop_reason" -> {
                    // message_delta's delta: why the message ended.
                    if (value == JsonToken.VALUE_STRING) {
                        s.finishReason(p);
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    /**
     * An Anthropic {@code usage} object, each field replacing the one in {@code before} (a stream's usage so far)
     * when present.
     */
    static Usage readUsage(JsonParser p, Usage before) throws IOException {
        long input = before == null ? 0 : before.uncachedPromptTokens();
        long cacheWrite = before == null ? 0 : before.cacheWriteTokens();
        long cacheRead = before == null ? 0 : before.cachedPromptTokens();
        long output = before == null ? 0 : before.completionTokens();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value != JsonToken.VALUE_NUMBER_INT) {
                p.skipChildren();
                continue;
            }
            long n = Math.max(0, p.getLongValue());
            switch (name) {
                case "input_tokens" -> input = n;
                case "cache_creation_input_tokens" -> cacheWrite = n;
                case "cache_read_input_tokens" -> cacheRead = n;
                case "output_tokens" -> output = n;
                default -> {
                }
            }
        }
        return new Usage(input + cacheWrite + cacheRead, output, cacheRead, cacheWrite, Usage.Source.GATEWAY);
    }

    /**
     * As Anthropic ends a message whose {@code max_tokens} ran out: the open content block closed, a
     * {@code message_delta} with {@code stop_reason: "max_tokens"} and the sidecar's count as usage, then
     * {@code message_stop}. Every Messages stream carries its usage, so it is always written.
     */
    @Override
    public byte[] limitEnding(StreamState s, Usage usage, boolean usageWanted) {
        var out = new ByteArrayOutputStream(384);
        if (s.openBlock() >= 0) {
            event(out, "content_block_stop", g -> g.writeNumberField("index", s.openBlock()));
        }
        event(out, "message_delta", g -> {
            g.writeObjectFieldStart("delta");
            g.writeStringField("stop_reason", "max_tokens");
            g.writeNullField("stop_sequence");
            g.writeEndObject();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", usage.uncachedPromptTokens());
            g.writeNumberField("cache_creation_input_tokens", usage.cacheWriteTokens());
            g.writeNumberField("cache_read_input_tokens", usage.cachedPromptTokens());
            g.writeNumberField("output_tokens", usage.completionTokens());
            g.writeEndObject();
        });
        event(out, "message_stop", g -> {
        });
        return out.toByteArray();
    }

    private static void event(ByteArrayOutputStream out, String type, SseEvent.Members members) {
        SseEvent.write(out, type, g -> {
            g.writeStringField("type", type);
            members.write(g);
        });
    }

    @Override
    public boolean streams() {
        return !counting;
    }

    @Override
    public boolean billable() {
        return !counting;
    }

    @Override
    public WireFamily family() {
        return WireFamily.ANTHROPIC;
    }
}
