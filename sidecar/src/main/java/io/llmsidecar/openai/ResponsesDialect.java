package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code POST /v1/responses}: usage {@code input_tokens} / {@code output_tokens}; a stream carries it in the
 * {@code response} of its terminal event ({@code response.completed}, {@code .incomplete}, {@code .failed}), and
 * has no {@code [DONE]}. Text arrives in the {@code delta} of the {@code response.*.delta} events.
 */
public final class ResponsesDialect implements Dialect {
    ResponsesDialect() {
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return ResponsesRequest.parse(body);
    }

    @Override
    public Optional<Usage> usage(byte[] answer) {
        return ChoiceChunks.topLevelUsage(answer);
    }

    @Override
    public String generatedText(byte[] answer) {
        StringBuilder text = new StringBuilder();
        for (JsonNode item : AnswerTree.read(answer).path("output")) {
            for (JsonNode part : item.path("content")) {
                AnswerTree.append(text, part.get("text"));
                AnswerTree.append(text, part.get("refusal"));
            }
            AnswerTree.append(text, item.get("arguments"));
            for (JsonNode part : item.path("summary")) {
                AnswerTree.append(text, part.get("text"));
            }
        }
        return text.toString();
    }

    @Override
    public void readEvent(JsonParser p, StreamState s) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "delta" -> {
                    if (value == JsonToken.VALUE_STRING) {
                        s.text(p);
                    } else {
                        p.skipChildren();
                    }
                }
                case "response" -> {
                    if (value == JsonToken.START_OBJECT) {
                        response(p, s);
                    } else {
                        p.skipChildren();
                    }
                }
                case "error" -> {
                    s.upstreamError();
                    p.skipChildren();
                }
                case "type" -> {
                    if (value == JsonToken.VALUE_STRING) {
                        switch (p.getText()) {
                            case "response.completed", "response.incomplete", "response.failed" -> s.done();
                            case "error" -> s.upstreamError();
                            default -> {
                            }
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    /** The {@code response} object of an event: its id and model, and its usage once it has one. */
    private static void response(JsonParser p, StreamState s) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "usage" -> {
                    if (value == JsonToken.START_OBJECT) {
                        s.usage(Usage.read(p));
                    } else {
                        p.skipChildren();
                    }
                }
                case "status" -> {
                    // Only a terminal status says why the response ended (completed, incomplete, failed).
                    if (value == JsonToken.VALUE_STRING && !p.getText().equals("in_progress")
                        && !p.getText().equals("queued")) {
                        s.finishReason(p);
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
     * The {@code response.incomplete} event a gateway sends when {@code max_output_tokens} runs out, with the
     * sidecar's count as its usage (a Responses stream always ends with one).
     */
    @Override
    public byte[] limitEnding(StreamState s, Usage usage, boolean usageWanted) {
        var out = new ByteArrayOutputStream(256);
        SseEvent.write(out, "response.incomplete", g -> {
            g.writeStringField("type", "response.incomplete");
            g.writeObjectFieldStart("response");
            if (s.id() != null) {
                g.writeStringField("id", s.id());
            }
            g.writeStringField("object", "response");
            if (s.created() > 0) {
                g.writeNumberField("created_at", s.created());
            }
            if (s.model() != null) {
                g.writeStringField("model", s.model());
            }
            g.writeStringField("status", "incomplete");
            g.writeObjectFieldStart("incomplete_details");
            g.writeStringField("reason", "max_output_tokens");
            g.writeEndObject();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", usage.promptTokens());
            g.writeNumberField("output_tokens", usage.completionTokens());
            g.writeNumberField("total_tokens", usage.totalTokens());
            g.writeEndObject();
            g.writeEndObject();
        });
        return out.toByteArray();
    }

    @Override
    public WireFamily family() {
        return WireFamily.OPENAI;
    }
}
