package io.llmsidecar.policy;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The top-level {@code input} fields a policy can read, so that the document its Wasm module parses leaves out the
 * others. Why: OPA's module parses the whole input on every evaluation, and that parse was half of the policy's CPU
 * in a full-pipeline request (docs/BENCHMARKS.md, issue 19); {@code input.budgets} alone is half of the document
 * and the default policy never reads it. A field the policy cannot name cannot change its decision, so leaving it
 * out changes nothing but the cost. The decision log still records the whole document, for {@code replay} with a
 * policy that does read it.
 *
 * <p>Found from the bundle's Rego sources, erring towards keeping fields: every {@code input} in code that is not
 * {@code input.name} or {@code input["name"]} (the whole document passed on, iterated, walked, {@code with input as
 * ...}, or a key computed at run time) keeps every field; a bundle without Rego sources (a module built elsewhere)
 * keeps every field. In case the sources are not the ones the module was built from, a field whose name appears
 * in the module's bytes as a string constant is kept too: OPA's compiler stores the keys a policy looks up as
 * NUL-terminated strings ({@code estimate\0}); a name inside another, such as {@code time} in
 * {@code opa_runtime_error}, is not one.
 */
sealed interface InputFields {
    /** Every field: nothing is left out. */
    InputFields EVERY = new Every();

    /** Whether the policy may read {@code input.<field>}. */
    boolean includes(String field);

    record Every() implements InputFields {
        @Override
        public boolean includes(String field) {
            return true;
        }
    }

    /** Only these fields (of those the sidecar writes) may be read; the others are left out. */
    record Only(Set<String> fields) implements InputFields {
        public Only {
            fields = Set.copyOf(fields);
        }

        @Override
        public boolean includes(String field) {
            return fields.contains(field);
        }
    }

    /**
     * The fields among {@code written} that a policy built from {@code regoSources} into {@code wasm} may read.
     *
     * @param written the top-level fields the sidecar writes ({@link PolicyInput#TOP_LEVEL_FIELDS})
     */
    static InputFields readBy(Collection<String> regoSources, byte[] wasm, Collection<String> written) {
        if (regoSources.isEmpty()) {
            return EVERY;
        }
        Set<String> named = new LinkedHashSet<>();
        for (String source : regoSources) {
            if (!RegoInputRefs.collect(source, named)) {
                return EVERY;
            }
        }
        Set<String> kept = new LinkedHashSet<>();
        for (String field : written) {
            if (named.contains(field) || contains(wasm, (field + '\0').getBytes(StandardCharsets.UTF_8))) {
                kept.add(field);
            }
        }
        return kept.size() == written.size() ? EVERY : new Only(kept);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
