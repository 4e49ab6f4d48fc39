package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The stream format chat and legacy completions share: {@code data:} chunks with {@code choices}, an optional final
 * chunk with empty {@code choices} and the {@code usage} (when asked with {@code stream_options.include_usage}),
 * then {@code data: [DONE]}. Chat carries text in {@code choices[].delta}, legacy completions in
 * {@code choices[].text}.
 */
abstract sealed class ChoiceChunks implements Dialect permits ChatDialect, CompletionsDialect {
    /** Whether text is in {@code choices[].delta} (chat) rather than {@code choices[].text}. */
    private final boolean chat;

    ChoiceChunks(boolean chat) {
        this.chat = chat;
    }

    @Override
    public Optional<Usage> usage(byte[] answer) {
        return topLevelUsage(answer);
    }

    @Override
    public void readEvent(JsonParser p, StreamState state) throws IOException {
        readEvent(p, state, chat);
    }

    @Override
    public byte[] limitEnding(StreamState state, Usage usage, boolean usageWanted) {
        return limitEnding(state, usage, usageWanted, chat);
    }

    @Override
    public byte[] failureEnding(StreamState state, Usage usage, boolean usageWanted, SidecarException failure,
                                String requestId) {
        return failureEnding(state, usage, usageWanted, chat, family().streamErrorEvent(failure, requestId));
    }

    /** A stream reports its usage only when asked with {@code stream_options.include_usage}. */
    @Override
    public boolean streamUsageOnRequest() {
        return true;
    }

    @Override
    public WireFamily family() {
        return WireFamily.OPENAI;
    }

    /** The top-level {@code usage} of an OpenAI answer. */
    static Optional<Usage> topLevelUsage(byte[] body) {
        return AnswerUsage.find(body, Usage::read);
    }

    private static void readEvent(JsonParser p, StreamState s, boolean chat) throws IOException {
        boolean sawUsage = false;
        int choices = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "usage" -> {
                    if (value == JsonToken.START_OBJECT) {
                        s.usage(Usage.read(p));
                        sawUsage = true;
                    } else {
                        p.skipChildren();
                    }
                }
                case "choices" -> choices = choices(p, value, s, chat);
                case "error" -> {
                    s.upstreamError();
                    p.skipChildren();
                }
                default -> {
                    if (!s.identity(name, value, p)) {
                        p.skipChildren();
                    }
                }
            }
        }
        s.choices(choices);
        if (sawUsage && choices == 0) {
            s.usageOnlyEvent();
        }
    }

    /** Walks {@code choices[]}, keeping generated text; returns the number of choices. */
    private static int choices(JsonParser p, JsonToken value, StreamState s, boolean chat) throws IOException {
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
                if (chat && name.equals("delta") && v == JsonToken.START_OBJECT) {
                    delta(p, s);
                } else if (!chat && name.equals("text") && v == JsonToken.VALUE_STRING) {
                    s.text(p);
                } else if (name.equals("finish_reason") && v == JsonToken.VALUE_STRING) {
                    s.finishReason(p);
                } else {
                    p.skipChildren();
                }
            }
        }
        return count;
    }

    private static void delta(JsonParser p, StreamState s) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "content", "reasoning_content", "refusal" -> {
                    if (v == JsonToken.VALUE_STRING) {
                        s.text(p);
                    }
                }
                case "tool_calls" -> allStrings(p, v, s);
                default -> p.skipChildren();
            }
        }
    }

    /** Keeps every string below a structure (a tool-call delta's function names and argument fragments). */
    static void allStrings(JsonParser p, JsonToken start, StreamState s) throws IOException {
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
                case VALUE_STRING -> s.text(p);
                default -> {
                }
            }
        }
    }

    /**
     * A final chunk per choice with {@code finish_reason: "length"}, the usage chunk when the app asked for it, then
     * {@code [DONE]}.
     */
    private static byte[] limitEnding(StreamState s, Usage usage, boolean usageWanted, boolean chat) {
        var out = new ByteArrayOutputStream(256);
        for (int i = 0; i < s.choiceCount(); i++) {
            int index = i;
            chunk(out, s, chat, g -> {
                g.writeArrayFieldStart("choices");
                g.writeStartObject();
                g.writeNumberField("index", index);
                if (chat) {
                    g.writeObjectFieldStart("delta");
                    g.writeEndObject();
                } else {
                    g.writeStringField("text", "");
                }
                g.writeStringField("finish_reason", "length");
                g.writeEndObject();
                g.writeEndArray();
            });
        }
        if (usageWanted) {
            usageChunk(out, s, usage, chat);
        }
        out.writeBytes("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** The usage chunk (when the app asked for it) before the error event of a failed stream. */
    private static byte[] failureEnding(StreamState s, Usage usage, boolean usageWanted, boolean chat,
                                        byte[] errorEvent) {
        var out = new ByteArrayOutputStream(256);
        if (usageWanted) {
            usageChunk(out, s, usage, chat);
        }
        out.writeBytes(errorEvent);
        return out.toByteArray();
    }

    /** The chunk a gateway sends last when asked for usage: empty {@code choices} and the {@code usage}. */
    private static void usageChunk(ByteArrayOutputStream out, StreamState s, Usage usage, boolean chat) {
        chunk(out, s, chat, g -> {
            g.writeArrayFieldStart("choices");
            g.writeEndArray();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", usage.promptTokens());
            g.writeNumberField("completion_tokens", usage.completionTokens());
            g.writeNumberField("total_tokens", usage.totalTokens());
            g.writeEndObject();
        });
    }

    private static void chunk(ByteArrayOutputStream out, StreamState s, boolean chat, SseEvent.Members members) {
        SseEvent.write(out, null, g -> {
            if (s.id() != null) {
                g.writeStringField("id", s.id());
            }
            g.writeStringField("object", chat ? "chat.completion.chunk" : "text_completion");
            if (s.created() > 0) {
                g.writeNumberField("created", s.created());
            }
            if (s.model() != null) {
                g.writeStringField("model", s.model());
            }
            members.write(g);
        });
    }
}
