package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.Project;
import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.pricing.Estimate;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void matchesTheGoldenExample() throws Exception {
        JsonNode expected;
        try (InputStream in = PolicyInputTest.class.getResourceAsStream("/policy/input-example.json")) {
            expected = JSON.readTree(in);
        }
        assertEquals(expected, JSON.readTree(PolicyFixtures.exampleInput().json()));
    }

    @Test
    void theReadmeShowsTheGoldenExample() throws Exception {
        String readme = Files.readString(Project.root().resolve("policies/README.md"));
        String example;
        try (InputStream in = PolicyInputTest.class.getResourceAsStream("/policy/input-example.json")) {
            example = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        assertTrue(readme.contains(example), "policies/README.md must show src/test/resources/policy/"
                                             + "input-example.json verbatim");
    }

    @Test
    void writesNullsForWhatTheRequestLeavesOutAndZeroPricesWhenUnpriced() throws Exception {
        PolicyInput input = PolicyInput.of("r", PolicyFixtures.request(
                                                   "{\"model\":\"mystery\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                                           new Subject("", "", new PodIdentity("", "", "", "", "", true)),
                                           new Estimate(1, 4096, 0, Optional.empty()), List.of(),
                                           PolicyFixtures.NOW);
        JsonNode json = JSON.readTree(input.json());
        assertTrue(json.at("/request/max_tokens").isNull());
        assertTrue(json.at("/request/temperature").isNull());
        assertTrue(json.at("/request/user").isNull());
        assertEquals(false, json.at("/estimate/priced").booleanValue());
        assertEquals("", json.at("/estimate/model").asText());
        assertEquals(0, json.at("/estimate/output_usd_per_million").intValue());
    }

    @Test
    void leavesThePromptTextOutUnlessThePolicyAsksForIt() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        JsonNode without = JSON.readTree(input.json(false));
        assertEquals(JSON.readTree("[{\"role\":\"system\"},{\"role\":\"user\"}]"), without.at("/request/messages"));
        assertEquals(JSON.readTree(input.json(true)).get("findings"), without.get("findings"),
                     "the findings are there with or without the text");
        assertEquals("low", without.at("/findings/payment_card/confidence").asText());
        assertEquals(JSON.readTree(input.json(true)).at("/request/messages"),
                     JSON.readTree(new String(input.messagesJson(), StandardCharsets.UTF_8)));
        input.json(false);
        assertEquals(JSON.readTree(input.json(true)).at("/request/messages"),
                     JSON.readTree(new String(input.messagesJson(), StandardCharsets.UTF_8)),
                     "the decision log hashes the same messages either way");
    }

    @Test
    void locatesTheMessagesForTheDecisionLog() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        assertEquals(JSON.readTree(input.json()).at("/request/messages"),
                     JSON.readTree(new String(input.messagesJson(), StandardCharsets.UTF_8)));
    }

}
