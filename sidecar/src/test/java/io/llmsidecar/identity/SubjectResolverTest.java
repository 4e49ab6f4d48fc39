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
        Subject subject = new SubjectResolver(POD).resolve(headers("x-llm-team", "someone-else"), bodyUser());
        assertEquals("payments", subject.team());
        assertEquals(TeamSource.POD, subject.teamSource());
    }

    @Test
    void aTrustedHeaderNamesTheTeamAndSaysSo() {
        Subject subject = new SubjectResolver(TRUSTING).resolve(headers("x-llm-team", " search "), bodyUser());
        assertEquals("search", subject.team());
        assertEquals(TeamSource.HEADER, subject.teamSource());
    }

    @Test
    void aBlankTrustedHeaderFallsBackToThePodsTeam() {
        Subject subject = new SubjectResolver(TRUSTING).resolve(headers("x-llm-team", "  "), bodyUser());
        assertEquals("payments", subject.team());
        assertEquals(TeamSource.POD, subject.teamSource());
    }

    @Test
    void theUserIsTheAppsAttributionFromTheHeaderElseTheBody() {
        assertEquals("alice", new SubjectResolver(POD).resolve(headers("x-llm-user", "alice"), bodyUser()).user());
        assertEquals("u-42", new SubjectResolver(POD).resolve(headers("x-other", "x"), bodyUser()).user());
    }

    @Test
    void refusesAnOverlongTrustedTeam() {
        assertThrows(SidecarException.class, () -> new SubjectResolver(TRUSTING)
                .resolve(headers("x-llm-team", "t".repeat(SubjectResolver.MAX_LENGTH + 1)), bodyUser()));
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

    /** The {@code user} of a parsed chat body, as the pipeline hands it to the resolver. */
    private static Optional<String> bodyUser() {
        return ChatRequest.parse(("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                  + "\"user\":\"u-42\"}").getBytes(StandardCharsets.UTF_8)).user();
    }
}
