package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WireFamilyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anthropicErrorsHaveAnthropicsShapeWithOurCodeInside() throws Exception {
        SidecarException denied = new SidecarException(ErrorKind.POLICY_DENIED, 403, ErrorTypes.PERMISSION,
                                                       "policy_denied", null, "Denied: secret_in_prompt.")
                .withListField("reasons", List.of("secret_in_prompt"));
        JsonNode body = JSON.readTree(WireFamily.ANTHROPIC.errorBody(denied, "req-1"));
        assertEquals("error", body.get("type").asText());
        assertEquals("permission_error", body.get("error").get("type").asText());
        assertEquals("Denied: secret_in_prompt.", body.get("error").get("message").asText());
        assertEquals("policy_denied", body.get("error").get("code").asText());
        assertEquals("secret_in_prompt", body.get("error").get("reasons").get(0).asText());
        assertEquals("req-1", body.get("request_id").asText());
    }

    @Test
    void anthropicErrorTypesFollowTheStatus() {
        assertEquals("invalid_request_error", WireFamily.anthropicType(400));
        assertEquals("invalid_request_error", WireFamily.anthropicType(415));
        assertEquals("authentication_error", WireFamily.anthropicType(401));
        assertEquals("permission_error", WireFamily.anthropicType(403));
        assertEquals("not_found_error", WireFamily.anthropicType(404));
        assertEquals("request_too_large", WireFamily.anthropicType(413));
        assertEquals("rate_limit_error", WireFamily.anthropicType(429));
        assertEquals("api_error", WireFamily.anthropicType(502));
        assertEquals("overloaded_error", WireFamily.anthropicType(503));
    }

    @Test
    void streamErrorsAreEventsOfTheFamily() {
        SidecarException cut = SidecarException.upstreamInterrupted();
        String anthropic = new String(WireFamily.ANTHROPIC.streamErrorEvent(cut, "r"), StandardCharsets.UTF_8);
        assertTrue(anthropic.startsWith("event: error\ndata: {\"type\":\"error\""), anthropic);
        assertTrue(anthropic.endsWith("\n\n"));
        String openai = new String(WireFamily.OPENAI.streamErrorEvent(cut, "r"), StandardCharsets.UTF_8);
        assertTrue(openai.startsWith("data: {\"error\":{"), openai);
    }
}
