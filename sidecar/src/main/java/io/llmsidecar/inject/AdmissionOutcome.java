package io.llmsidecar.inject;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What one admission review came to: the {@code outcome} label of {@code llm_sidecar_injector_admissions_total}. */
enum AdmissionOutcome {
    /** The sidecar was added. */
    INJECTED,
    /** Left unchanged on purpose: opted out, not opted in, hostNetwork, a volume name clash. */
    SKIPPED,
    /** The pod had the sidecar already; at most app containers added since were pointed at it. */
    ALREADY_INJECTED,
    /** A review the injector could not read or a pod it could not handle; allowed unchanged. */
    ERROR;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static List<String> labels() {
        return Arrays.stream(values()).map(AdmissionOutcome::label).toList();
    }
}
