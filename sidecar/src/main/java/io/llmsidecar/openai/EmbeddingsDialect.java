package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;

import java.io.IOException;
import java.util.Optional;

/** {@code POST /v1/embeddings}: usage {@code prompt_tokens}, nothing generated, never a stream. */
public final class EmbeddingsDialect implements Dialect {
    EmbeddingsDialect() {
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return EmbeddingsRequest.parse(body);
    }

    @Override
    public Optional<Usage> usage(byte[] answer) {
        return ChoiceChunks.topLevelUsage(answer);
    }

    @Override
    public String generatedText(byte[] answer) {
        return "";
    }

    /** Embeddings never stream: a gateway's event stream is read for nothing. */
    @Override
    public void readEvent(JsonParser p, StreamState state) throws IOException {
        p.skipChildren();
    }

    @Override
    public byte[] limitEnding(StreamState state, Usage usage, boolean usageWanted) {
        return new byte[0];
    }

    @Override
    public boolean streams() {
        return false;
    }

    @Override
    public WireFamily family() {
        return WireFamily.OPENAI;
    }
}
