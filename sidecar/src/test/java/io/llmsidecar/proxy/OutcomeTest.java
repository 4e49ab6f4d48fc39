package io.llmsidecar.proxy;

import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.SidecarException;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OutcomeTest {
    @Test
    void eachErrorIsCountedUnderTheOutcomeOfItsKindWhateverItsStatus() {
        Map<SidecarException, String> labels = Map.ofEntries(
                Map.entry(SidecarException.invalidRequest("invalid_json", null, "x"), "invalid"),
                Map.entry(SidecarException.notFound("/v1/files"), "invalid"),
                Map.entry(SidecarException.tooLarge(10), "invalid"),
                Map.entry(SidecarException.unsupportedContentEncoding(), "invalid"),
                Map.entry(SidecarException.upstreamUnreachable("refused"), "upstream_error"),
                Map.entry(SidecarException.upstreamTimeout("slow"), "upstream_error"),
                Map.entry(SidecarException.upstreamErrorNotJson(404, "text/html", 10), "upstream_error"),
                Map.entry(SidecarException.upstreamErrorNotJson(502, "text/html", 10), "upstream_error"),
                Map.entry(SidecarException.upstreamInvalidResponse(200, "JSON", "text/html", 10),
                          "upstream_invalid_response"),
                Map.entry(SidecarException.upstreamCutOff(10, ""), "upstream_interrupted"),
                Map.entry(SidecarException.upstreamInterrupted(), "upstream_interrupted"),
                Map.entry(SidecarException.shuttingDown(), "error"),
                Map.entry(SidecarException.internal("bug"), "error"));

        labels.forEach((e, label) -> assertEquals(label, Outcome.of(e).label(), e.code()));
    }

    @Test
    void everyOutcomeOfARefusedOrFailedRequestIsSomeErrorKinds() {
        EnumSet<Outcome> reached = EnumSet.noneOf(Outcome.class);
        for (ErrorKind kind : ErrorKind.values()) {
            reached.add(Outcome.of(new SidecarException(kind, 400, "t", "c", null, "m")));
        }
        assertEquals(EnumSet.complementOf(EnumSet.of(Outcome.ALLOWED, Outcome.PASSTHROUGH)), reached,
                     "every outcome but the two of forwarded requests is some kind's");
    }
}
