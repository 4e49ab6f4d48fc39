package io.llmsidecar.rego;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The Rego builtins the sidecar implements on the host, by name: what an OPA Wasm module calls through its
 * {@code opa_builtin*} imports for the functions its compiler does not implement inside the module. Semantics
 * follow OPA's Go implementation (Go's {@code regexp} on RE2/J, Go's {@code fmt} for {@code sprintf}).
 *
 * <p>Thread-safe; one table serves every policy instance and revision. Compiled regular expressions are shared
 * through a bounded cache.
 */
public final class RegoBuiltins {
    private final Map<String, Builtin> table;

    private RegoBuiltins(Map<String, Builtin> table) {
        this.table = Collections.unmodifiableMap(table);
    }

    /** Every builtin the sidecar provides, with a regular expression cache of the default size. */
    public static RegoBuiltins create() {
        Map<String, Builtin> table = new HashMap<>();
        TextBuiltins.register(table);
        TimeBuiltins.register(table);
        new RegexBuiltins(new PatternCache(PatternCache.DEFAULT_CAPACITY)).register(table);
        new DocumentBuiltins().register(table);
        return new RegoBuiltins(table);
    }

    /** The builtin called {@code name} (as OPA spells it, e.g. {@code regex.find_n}). */
    public Optional<Builtin> find(String name) {
        return Optional.ofNullable(table.get(name));
    }

    /** The names of every builtin provided, sorted (for {@code GET /admin/policy} and the docs). */
    public SortedSet<String> names() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(table.keySet()));
    }
}
