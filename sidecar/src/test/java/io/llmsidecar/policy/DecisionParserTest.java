package io.llmsidecar.policy;

import io.llmsidecar.openai.RequestPatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecisionParserTest {
    @Test
    void readsAnAllowWithoutPatch() {
        Decision d = DecisionParser.parse("[{\"result\":{\"allow\":true,\"reasons\":[],\"patch\":{}}}]", "r1");
        assertEquals(new Decision.Allow(RequestPatch.NONE, "r1"), d);
    }

    @Test
    void readsAPatch() {
        Decision d = DecisionParser.parse(
                "[{\"result\":{\"allow\":true,\"patch\":{\"max_tokens\":4096,\"model\":\"gpt-4o-mini\"}}}]", "r1");
        Decision.Allow allow = assertInstanceOf(Decision.Allow.class, d);
        assertEquals(new RequestPatch(Optional.of("gpt-4o-mini"), OptionalInt.of(4096)), allow.patch());
        assertEquals("max_tokens,model", allow.patchedFields());
    }

    @Test
    void readsADenialWithItsReasons() {
        Decision d = DecisionParser.parse("[{\"result\":{\"allow\":false,\"reasons\":["
                                          + "{\"code\":\"secret_in_prompt\",\"message\":\"No secrets.\",\"policy\":\"secrets\"},"
                                          + "{\"code\":\"custom\"}]}}]", "r2");
        Decision.Deny deny = assertInstanceOf(Decision.Deny.class, d);
        assertEquals(List.of(new Decision.Reason("secret_in_prompt", "No secrets.", "secrets"),
                             new Decision.Reason("custom", "custom", "")), deny.reasons());
        var error = deny.toException();
        assertEquals(403, error.status());
        assertEquals("policy_denied", error.code());
        assertEquals("No secrets. custom", error.getMessage());
        assertEquals(List.of("secret_in_prompt", "custom"), error.listFields().get("reasons"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "undefined decision|[]|undefined",
            "not an object|[{\"result\":true}]|must be an object",
            "allow missing|[{\"result\":{\"reasons\":[]}}]|decision.allow",
            "allow not boolean|[{\"result\":{\"allow\":\"yes\"}}]|decision.allow",
            "reasons not a list|[{\"result\":{\"allow\":false,\"reasons\":\"no\"}}]|decision.reasons",
            "reason without code|[{\"result\":{\"allow\":false,\"reasons\":[{\"message\":\"x\"}]}}]|non-empty \"code\"",
            "message not a string|[{\"result\":{\"allow\":false,\"reasons\":[{\"code\":\"c\",\"message\":1}]}}]|reason.message",
            "patch of another field|[{\"result\":{\"allow\":true,\"patch\":{\"temperature\":0}}}]|patch.temperature cannot be patched",
            "max_tokens zero|[{\"result\":{\"allow\":true,\"patch\":{\"max_tokens\":0}}}]|patch.max_tokens",
            "max_tokens fraction|[{\"result\":{\"allow\":true,\"patch\":{\"max_tokens\":1.5}}}]|patch.max_tokens",
            "empty model|[{\"result\":{\"allow\":true,\"patch\":{\"model\":\"\"}}}]|patch.model",
            "patch not an object|[{\"result\":{\"allow\":true,\"patch\":[]}}]|decision.patch",
    })
    void refusesAResultOutsideTheContract(String name, String result, String message) {
        var e = assertThrows(DecisionParser.PolicyResultException.class, () -> DecisionParser.parse(result, "r"));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void failureBecomesA503PolicyError() {
        var error = new Decision.Failed("evaluation took longer than 250 ms", "r").toException();
        assertEquals(503, error.status());
        assertEquals("policy_error", error.code());
        assertTrue(error.getMessage().contains("evaluation took longer than 250 ms"));
    }
}
