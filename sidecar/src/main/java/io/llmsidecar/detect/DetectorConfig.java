package io.llmsidecar.detect;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code policy.detectors} node. Every credential and card detector always runs (policies decide what to do
 * with findings, per kind, in {@code data.json}); personal data is looked for only when named here.
 *
 * @param pii the PII kinds to detect: {@code email}, {@code phone}; none by default
 *            ({@code SIDECAR_POLICY_DETECTORS_PII=email,phone})
 */
public record DetectorConfig(Set<FindingKind> pii) {
    public static final DetectorConfig DEFAULT = new DetectorConfig(Set.of());

    public DetectorConfig {
        for (FindingKind kind : pii) {
            if (!kind.pii()) {
                throw ConfigValues.invalid("policy.detectors.pii", kind.code(), "PII kinds only: email, phone");
            }
        }
        pii = pii.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(pii));
    }

    public static DetectorConfig create(Config node) {
        Config list = node.get("pii");
        List<String> names = new ArrayList<>();
        if (list.exists() && !list.isLeaf()) {
            list.asList(String.class).get().forEach(names::add);
        } else {
            ConfigValues.string(list).ifPresent(v -> names.addAll(List.of(v.split(","))));
        }
        EnumSet<FindingKind> kinds = EnumSet.noneOf(FindingKind.class);
        for (String name : names) {
            String code = name.strip().toLowerCase(Locale.ROOT);
            if (code.isEmpty() || code.equals("none")) {
                continue;
            }
            kinds.add(FindingKind.ofCode(code).filter(FindingKind::pii)
                              .orElseThrow(() -> ConfigValues.invalid(list, name, "a list of email, phone (or none)")));
        }
        return new DetectorConfig(kinds);
    }

    /** Every kind that is looked for. */
    Set<FindingKind> enabled() {
        EnumSet<FindingKind> kinds = EnumSet.noneOf(FindingKind.class);
        for (FindingKind kind : FindingKind.values()) {
            if (!kind.pii() || pii.contains(kind)) {
                kinds.add(kind);
            }
        }
        return kinds;
    }
}
