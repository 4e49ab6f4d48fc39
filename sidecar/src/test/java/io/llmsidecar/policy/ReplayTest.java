package io.llmsidecar.policy;

import io.llmsidecar.openai.RequestPatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReplayTest {
    private static final Decision ALLOW = new Decision.Allow(RequestPatch.NONE, "r");
    private static final Decision PATCHED = new Decision.Allow(new RequestPatch(Optional.empty(), OptionalInt.of(10)),
                                                               "r");
    private static final Decision DENY_A = new Decision.Deny(List.of(new Decision.Reason("a", "A", "p")), "r");
    private static final Decision DENY_B = new Decision.Deny(List.of(new Decision.Reason("b", "B", "p")), "r");
    private static final Decision FAILED = new Decision.Failed("boom", "r");

    @Test
    void classifiesEveryPairOfDecisions() {
        assertEquals(Replay.Change.UNCHANGED, Replay.change(ALLOW, ALLOW));
        assertEquals(Replay.Change.UNCHANGED, Replay.change(DENY_A, new Decision.Deny(
                List.of(new Decision.Reason("a", "another message", "q")), "s")), "codes decide, not messages");
        assertEquals(Replay.Change.ALLOW_TO_DENY, Replay.change(ALLOW, DENY_A));
        assertEquals(Replay.Change.DENY_TO_ALLOW, Replay.change(DENY_A, ALLOW));
        assertEquals(Replay.Change.DENY_TO_ALLOW, Replay.change(FAILED, ALLOW), "a failure refused the request");
        assertEquals(Replay.Change.PATCH_CHANGED, Replay.change(ALLOW, PATCHED));
        assertEquals(Replay.Change.REASONS_CHANGED, Replay.change(DENY_A, DENY_B));
        assertEquals(Replay.Change.CANDIDATE_ERROR, Replay.change(ALLOW, FAILED));
    }

    @Test
    void readsJsonLinesCapturedStdoutAndArraysSkippingOtherLines(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("mixed.log"), String.join("\n",
                "2026-01-05T12:30:00.412Z INFO io.llmsidecar.decision: "
                + "{\"decision_id\":\"1\",\"path\":\"sidecar/decision\"}",
                "2026-01-05T12:30:00.413Z INFO io.llmsidecar.access: request_id=x status=200",
                "{\"decision_id\":\"2\",\"path\":\"sidecar/settlement\"}",
                "[{\"decision_id\":\"3\"},{\"decision_id\":\"4\"}]",
                "not json {",
                ""));
        assertEquals(List.of("1", "2", "3", "4"),
                     Replay.events(file).stream().map(e -> e.get("decision_id").asText()).toList());
    }
}
