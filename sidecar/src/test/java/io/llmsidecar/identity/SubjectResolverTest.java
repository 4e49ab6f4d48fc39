package io.llmsidecar.identity;

import io.helidon.http.HeaderNames;
import io.helidon.http.WritableHeaders;
import io.llmsidecar.SidecarConfig;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectResolverTest {
    private static final PodIdentity POD = new PodIdentity("shop", "checkout-1", "checkout", "checkout", "payments",
                                                           false);
    private static final PodIdentity TRUSTING = new PodIdentity("shop", "checkout-1", "checkout", "checkout",
                                                                "payments", true);

    @Test
    void theBundledDefaultsDoNotTrustTheHeader() {
        SidecarConfig config = SidecarConfig.create(ConfigLoader.load(Map.of(), Optional.empty()));
        assertFalse(config.identity().trustTeamHeader());
        assertFalse(PodIdentity.DEFAULT_TRUST_TEAM_HEADER);
    }

    @Test
    void ignoresTheTeamHeaderByDefault() {
        Subject subject = new SubjectResolver(POD).resolve(headers("x-llm-team", "someone-else"), request());
        assertEquals("payments", subject.team());
        assertEquals(TeamSource.POD, subject.teamSource());
    }

    @Test
    void aTrustedHeaderNamesTheTeamAndSaysSo() {
        Subject subject = new SubjectResolver(TRUSTING).resolve(headers("x-llm-team", " search "), request());
        assertEquals("search", subject.team());
        assertEquals(TeamSource.HEADER, subject.teamSource());
    }

    @Test
    void aBlankTrustedHeaderFallsBackToThePodsTeam() {
        Subject subject = new SubjectResolver(TRUSTING).resolve(headers("x-llm-team", "  "), request());
        assertEquals("payments", subject.team());
        assertEquals(TeamSource.POD, subject.teamSource());
    }

    @Test
    void theUserIsTheAppsAttributionFromTheHeaderElseTheBody() {
        assertEquals("alice", new SubjectResolver(POD).resolve(headers("x-llm-user", "alice"), request()).user());
        assertEquals("u-42", new SubjectResolver(POD).resolve(headers("x-other", "x"), request()).user());
    }

    @Test
    void refusesAnOverlongTrustedTeam() {
        assertThrows(SidecarException.class, () -> new SubjectResolver(TRUSTING)
                .resolve(headers("x-llm-team", "t".repeat(SubjectResolver.MAX_LENGTH + 1)), request()));
    }

    @Test
    void warnsAtStartupOnlyWhenTheHeaderIsTrusted() {
        try (LogCapture logs = LogCapture.start()) {
            SubjectResolver.create(POD);
            assertFalse(logs.all().contains("trust-team-header"));
            SubjectResolver.create(TRUSTING);
            assertTrue(logs.all().contains("WARNING"), logs.all());
            assertTrue(logs.all().contains("identity.trust-team-header (SIDECAR_TRUST_TEAM_HEADER) is on"),
                       logs.all());
        }
    }

    private static WritableHeaders<?> headers(String name, String value) {
        WritableHeaders<?> headers = WritableHeaders.create();
        headers.add(HeaderNames.create(name), value);
        return headers;
    }

    private static ChatRequest request() {
        return ChatRequest.parse(("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                  + "\"user\":\"u-42\"}").getBytes(StandardCharsets.UTF_8));
    }
}
