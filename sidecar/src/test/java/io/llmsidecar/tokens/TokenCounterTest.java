package io.llmsidecar.tokens;

import io.llmsidecar.openai.ChatRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenCounterTest {
    private static TokenCounter counter;

    @BeforeAll
    static void load() {
        counter = TokenCounter.create();
    }

    private static ChatRequest request(String body) {
        return ChatRequest.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void countsPlainTextWithO200k() {
        assertEquals(2, counter.textTokens("Hello world"));
        assertEquals(0, counter.textTokens(""));
        // o200k merges more than cl100k: a long common word is one token.
        assertEquals(1, counter.textTokens(" consequently"));
    }

    @Test
    void countsChatFramingLikeOpenAi() {
        // OpenAI cookbook: "Hello world" as one user message to gpt-4o costs 3 (message) + 1 (role) + 2 + 3 = 9
        // prompt tokens, matching what the API reports.
        assertEquals(9, counter.promptTokens(request(
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello world\"}]}")));
    }

    @Test
    void countsTextPartsAndChargesImagesConservatively() {
        long withImage = counter.promptTokens(request(
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Hello world\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:...\"}}]}]}"));
        assertEquals(9 + TokenCounter.IMAGE_PART_TOKENS, withImage);
    }

    @Test
    void toolDefinitionsAndSpecialTokensInTextAreCounted() {
        long plain = counter.promptTokens(request(
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
        long withTools = counter.promptTokens(request(
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
                + "\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{}}}]}"));
        assertTrue(withTools > plain + 5);
        // Text that spells a special token is ordinary text to the sidecar, never an error.
        assertTrue(counter.textTokens("<|endoftext|>") > 1);
    }
}
