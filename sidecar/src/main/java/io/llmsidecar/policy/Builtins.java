package io.llmsidecar.policy;

import com.dylibso.chicory.runtime.Memory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import com.styra.opa.wasm.builtins.Provided;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The builtins OPA's Wasm compiler leaves to the host, implemented in Java: one set per policy instance, so the
 * regex cache and the evaluation's clock need no locking.
 *
 * <p>Semantics follow OPA's Go implementation: a builtin error makes the calling expression undefined (OPA's
 * default, non-strict mode), {@code time.now_ns} is fixed for the whole evaluation, and regular expressions use
 * RE2 syntax translated to {@code java.util.regex} ({@code (?P<name>...)}, POSIX classes). A plain alternation of
 * literals such as {@code AKIA|sk-|xox} is searched with {@code String.indexOf}, not a regex, which makes
 * the default secret scan cheap.
 */
final class Builtins {
    /** Reads numbers as their exact text ("2.0" stays a float), which Go's sprintf and OPA tell apart. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // opa_value type tags and number representations, from value.h in OPA's Wasm runtime.
    private static final byte OPA_NULL = 1;
    private static final byte OPA_BOOLEAN = 2;
    private static final byte OPA_NUMBER = 3;
    private static final byte OPA_STRING = 4;
    private static final byte OPA_STRING_INTERNED = 8;
    private static final byte OPA_BOOLEAN_INTERNED = 9;
    private static final byte OPA_NUMBER_REPR_INT = 1;
    private static final byte OPA_NUMBER_REPR_REF = 2;
    private static final int MAX_CACHED_PATTERNS = 256;
    private static final Object NOT_LITERAL = new Object();
    private static final Pattern POSIX_CLASS = Pattern.compile("\\[:(\\^?)([a-z]+):]");
    /** The name of every builtin the host provides (ours and the SDK's), for the admin API. */
    static final List<String> HOST = Arrays.stream(new Builtins().all()).map(OpaBuiltin.Builtin::name).toList();

    private final Map<String, Pattern> patterns = new HashMap<>();
    /** Per pattern: its {@link LiteralSet}, or {@link #NOT_LITERAL}. */
    private final Map<String, Object> literals = new HashMap<>();
    private long evaluationNanos;
    /**
     * The address of an empty array already written into the module during this evaluation, or 0. Most calls
     * (a secret scan of a clean prompt) answer {@code []}; writing it once per evaluation saves three calls into
     * the module per builtin call. Safe because compiled Rego never mutates a builtin's result, and the heap is
     * only reset between evaluations.
     */
    private int emptyArray;

    /** Fixes the time every {@code time.now_ns} call of the next evaluation returns. */
    void startEvaluation(long epochNanos) {
        this.evaluationNanos = epochNanos;
        this.emptyArray = 0;
    }

    /** The host builtins plus the SDK's own, minus the SDK's {@code sprintf}, which lacks Go's verbs. */
    OpaBuiltin.Builtin[] all() {
        List<OpaBuiltin.Builtin> all = new ArrayList<>(List.of(
                host("sprintf", a -> TextNode.valueOf(GoSprintf.format(string(a[0]), a[1]))),
                host("time.now_ns", a -> LongNode.valueOf(evaluationNanos)),
                host("time.parse_rfc3339_ns", a -> nanos(OffsetDateTime.parse(string(a[0])).toInstant())),
                host("time.date", a -> {
                    ZonedDateTime t = zoned(a[0]);
                    return NODES.arrayNode().add(t.getYear()).add(t.getMonthValue()).add(t.getDayOfMonth());
                }),
                host("time.clock", a -> {
                    ZonedDateTime t = zoned(a[0]);
                    return NODES.arrayNode().add(t.getHour()).add(t.getMinute()).add(t.getSecond());
                }),
                host("time.weekday", a -> TextNode.valueOf(
                        zoned(a[0]).getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH))),
                host("object.keys", a -> {
                    List<JsonNode> keys = new ArrayList<>();
                    a[0].fieldNames().forEachRemaining(k -> keys.add(TextNode.valueOf(k)));
                    return new RegoSet(keys);
                }),
                host("regex.replace", a -> TextNode.valueOf(replace(string(a[0]), string(a[1]), string(a[2])))),
                host("regex.split", a -> split(string(a[0]), string(a[1]))),
                host("regex.find_n", a -> findN(string(a[0]), string(a[1]), a[2].asInt())),
                host("strings.count", a -> LongNode.valueOf(countOf(string(a[0]), string(a[1])))),
                host("indexof_n", a -> indicesOf(string(a[0]), string(a[1]))),
                host("crypto.sha256", a -> TextNode.valueOf(digest("SHA-256", string(a[0])))),
                host("crypto.sha1", a -> TextNode.valueOf(digest("SHA-1", string(a[0])))),
                host("crypto.md5", a -> TextNode.valueOf(digest("MD5", string(a[0]))))));
        Arrays.stream(Provided.all()).filter(b -> !b.name().equals("sprintf")).forEach(all::add);
        return all.toArray(OpaBuiltin.Builtin[]::new);
    }

    // ---- regular expressions ----

    ArrayNode findN(String pattern, String text, int n) {
        ArrayNode out = NODES.arrayNode();
        if (literals.size() >= MAX_CACHED_PATTERNS) {
            literals.clear();                           // patterns built from input must not grow the cache
        }
        Object literal = literals.computeIfAbsent(pattern, p -> {
            LiteralSet set = literalAlternatives(p);
            return set == null ? NOT_LITERAL : set;
        });
        if (literal instanceof LiteralSet set) {
            set.find(text, n, out);
            return out;
        }
        Matcher m = compile(pattern).matcher(text);
        while ((n < 0 || out.size() < n) && m.find()) {
            out.add(m.group());
        }
        return out;
    }

    String replace(String text, String pattern, String template) {
        Matcher m = compile(pattern).matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(expand(template, m)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Go's {@code regexp.Split(s, -1)}, which differs from Java's in how it treats empty matches. */
    ArrayNode split(String pattern, String text) {
        ArrayNode out = NODES.arrayNode();
        if (text.isEmpty()) {
            return out.add("");
        }
        Matcher m = compile(pattern).matcher(text);
        int begin = 0;
        int end = 0;
        while (m.find()) {
            end = m.start();
            if (m.end() != 0) {
                out.add(text.substring(begin, end));
            }
            begin = m.end();
        }
        if (end != text.length()) {
            out.add(text.substring(begin));
        }
        return out;
    }

    private Pattern compile(String re2) {
        Pattern p = patterns.get(re2);
        if (p == null) {
            if (patterns.size() >= MAX_CACHED_PATTERNS) {
                patterns.clear();
            }
            p = Pattern.compile(translate(re2));
            patterns.put(re2, p);
        }
        return p;
    }

    /** RE2 syntax that {@code java.util.regex} spells differently. */
    static String translate(String re2) {
        String named = re2.replace("(?P<", "(?<");
        return POSIX_CLASS.matcher(named).replaceAll(m -> Matcher.quoteReplacement(
                (m.group(1).isEmpty() ? "\\p{" : "\\P{") + switch (m.group(2)) {
                    case "alnum" -> "Alnum";
                    case "alpha" -> "Alpha";
                    case "ascii" -> "ASCII";
                    case "blank" -> "Blank";
                    case "cntrl" -> "Cntrl";
                    case "digit" -> "Digit";
                    case "graph" -> "Graph";
                    case "lower" -> "Lower";
                    case "print" -> "Print";
                    case "punct" -> "Punct";
                    case "space" -> "Space";
                    case "upper" -> "Upper";
                    case "xdigit" -> "XDigit";
                    default -> "IsWord_" + m.group(2);   // invalid on purpose: RE2 rejects it too
                } + "}"));
    }

    /**
     * The alternatives of a pattern made only of literals and {@code |} (escaped punctuation allowed), or
     * {@code null} when the pattern needs a real regex.
     */
    static LiteralSet literalAlternatives(String pattern) {
        List<String> alternatives = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                if (i + 1 >= pattern.length() || Character.isLetterOrDigit(pattern.charAt(i + 1))) {
                    return null;
                }
                current.append(pattern.charAt(++i));
            } else if (c == '|') {
                alternatives.add(current.toString());
                current.setLength(0);
            } else if (".+*?()[]{}^$".indexOf(c) >= 0) {
                return null;
            } else {
                current.append(c);
            }
        }
        alternatives.add(current.toString());
        return alternatives.stream().anyMatch(String::isEmpty) ? null : new LiteralSet(alternatives);
    }

    /**
     * Literal alternatives, each located with {@code String.indexOf} (vectorised by the JVM, several times faster
     * than a character loop): the match is the leftmost occurrence of any alternative, the first in pattern
     * order on a tie, which is RE2's leftmost-first rule.
     */
    static final class LiteralSet {
        private final String[] alternatives;

        LiteralSet(List<String> alternatives) {
            this.alternatives = alternatives.toArray(String[]::new);
        }

        void find(String text, int n, ArrayNode out) {
            int[] next = new int[alternatives.length];
            Arrays.fill(next, -2);                      // -2: not searched yet, -1: not in the rest of the text
            int from = 0;
            while (n < 0 || out.size() < n) {
                int best = -1;
                int which = -1;
                for (int a = 0; a < alternatives.length; a++) {
                    if (next[a] != -1 && next[a] < from) {
                        next[a] = text.indexOf(alternatives[a], from);
                    }
                    if (next[a] >= 0 && (best < 0 || next[a] < best)) {
                        best = next[a];
                        which = a;
                    }
                }
                if (which < 0) {
                    return;
                }
                out.add(alternatives[which]);
                from = best + alternatives[which].length();
            }
        }
    }

    /** Go's template expansion: {@code $1}, {@code ${1}}, {@code $name}, {@code ${name}}, {@code $$}. */
    private static String expand(String template, Matcher m) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c != '$' || i + 1 >= template.length()) {
                b.append(c);
                continue;
            }
            char next = template.charAt(i + 1);
            if (next == '$') {
                b.append('$');
                i++;
                continue;
            }
            String name;
            int end;
            if (next == '{') {
                int close = template.indexOf('}', i + 2);
                if (close < 0) {
                    b.append(c);
                    continue;
                }
                name = template.substring(i + 2, close);
                end = close;
            } else {
                int j = i + 1;
                while (j < template.length() && (Character.isLetterOrDigit(template.charAt(j))
                                                 || template.charAt(j) == '_')) {
                    j++;
                }
                if (j == i + 1) {
                    b.append(c);
                    continue;
                }
                name = template.substring(i + 1, j);
                end = j - 1;
            }
            b.append(group(m, name));
            i = end;
        }
        return b.toString();
    }

    private static String group(Matcher m, String name) {
        try {
            String value = name.chars().allMatch(Character::isDigit)
                    ? (Integer.parseInt(name) <= m.groupCount() ? m.group(Integer.parseInt(name)) : null)
                    : m.group(name);
            return value == null ? "" : value;
        } catch (IllegalArgumentException e) {
            return "";                                  // Go expands unknown groups to nothing
        }
    }

    // ---- strings ----

    /** Non-overlapping occurrences, as Go's {@code strings.Count}; an empty substring counts characters + 1. */
    static long countOf(String text, String search) {
        if (search.isEmpty()) {
            return text.codePointCount(0, text.length()) + 1L;
        }
        long count = 0;
        for (int i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + search.length())) {
            count++;
        }
        return count;
    }

    /** Every (possibly overlapping) occurrence, as character indices like OPA's {@code indexof}. */
    static ArrayNode indicesOf(String text, String search) {
        if (search.isEmpty()) {
            throw new IllegalArgumentException("empty search string");   // undefined, as in OPA
        }
        ArrayNode out = NODES.arrayNode();
        for (int i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + 1)) {
            out.add(text.codePointCount(0, i));
        }
        return out;
    }

    // ---- time and digests ----

    private static LongNode nanos(Instant t) {
        return LongNode.valueOf(t.getEpochSecond() * 1_000_000_000L + t.getNano());
    }

    /** A {@code time.*} argument: nanoseconds since the epoch (UTC), or {@code [ns, "Zone/Name"]}. */
    private static ZonedDateTime zoned(JsonNode arg) {
        JsonNode ns = arg.isArray() ? arg.get(0) : arg;
        ZoneId zone = arg.isArray() && arg.size() > 1 && !string(arg.get(1)).isEmpty()
                      && !string(arg.get(1)).equals("UTC")
                ? ZoneId.of(string(arg.get(1)).equals("Local") ? ZoneId.systemDefault().getId() : string(arg.get(1)))
                : ZoneOffset.UTC;
        BigInteger[] parts = ns.bigIntegerValue().divideAndRemainder(BigInteger.valueOf(1_000_000_000L));
        long seconds = parts[0].longValueExact();
        long nano = parts[1].longValueExact();
        if (nano < 0) {
            seconds--;
            nano += 1_000_000_000L;
        }
        return Instant.ofEpochSecond(seconds, nano).atZone(zone);
    }

    private static String digest(String algorithm, String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm)
                                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }

    // ---- the bridge to the Wasm module ----

    private static String string(JsonNode node) {
        if (!node.isTextual()) {
            throw new IllegalArgumentException("operand must be a string, got " + node.getNodeType());
        }
        return node.asText();
    }

    private OpaBuiltin.Builtin host(String name, Function<JsonNode[], Object> fn) {
        return new HostBuiltin(name, fn);
    }

    /** A set result: JSON has no sets, so it is handed to the module in Rego syntax. */
    record RegoSet(List<JsonNode> elements) {
        String regoText() throws JsonProcessingException {
            if (elements.isEmpty()) {
                return "set()";
            }
            StringBuilder b = new StringBuilder("{");
            for (JsonNode e : elements) {
                b.append(b.length() > 1 ? "," : "").append(JSON.writeValueAsString(e));
            }
            return b.append('}').toString();
        }
    }

    /**
     * Reads arguments straight from the module's memory and writes the result back, answering undefined (a null
     * pointer) when the builtin fails, as OPA does outside strict mode. Scalars, by far the most common
     * arguments and the largest (prompt text), are copied out directly instead of being serialised to JSON
     * inside Wasm and parsed again here.
     */
    private final class HostBuiltin implements OpaBuiltin.Builtin {
        private final String name;
        private final Function<JsonNode[], Object> fn;

        HostBuiltin(String name, Function<JsonNode[], Object> fn) {
            this.name = name;
            this.fn = fn;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int asBuiltin0(OpaWasm wasm) {
            return call(wasm);
        }

        @Override
        public int asBuiltin1(OpaWasm wasm, int a) {
            return call(wasm, a);
        }

        @Override
        public int asBuiltin2(OpaWasm wasm, int a, int b) {
            return call(wasm, a, b);
        }

        @Override
        public int asBuiltin3(OpaWasm wasm, int a, int b, int c) {
            return call(wasm, a, b, c);
        }

        @Override
        public int asBuiltin4(OpaWasm wasm, int a, int b, int c, int d) {
            return call(wasm, a, b, c, d);
        }

        private int call(OpaWasm wasm, int... addresses) {
            Object result;
            try {
                JsonNode[] args = new JsonNode[addresses.length];
                for (int i = 0; i < addresses.length; i++) {
                    args[i] = read(wasm, addresses[i]);
                }
                result = fn.apply(args);
            } catch (RuntimeException e) {
                if (e instanceof com.dylibso.chicory.runtime.ChicoryInterruptedException) {
                    throw e;
                }
                return 0;
            }
            if (result instanceof ArrayNode array && array.isEmpty()) {
                if (emptyArray == 0) {
                    emptyArray = wasm.writeResult("[]");
                }
                return emptyArray;
            }
            try {
                return result instanceof RegoSet set ? writeValue(wasm, set.regoText())
                                                     : wasm.writeResult(JSON.writeValueAsString(result));
            } catch (JsonProcessingException e) {
                return 0;
            }
        }

        /** Like the SDK's writeResult, but parsing Rego value syntax, which has sets. */
        private static int writeValue(OpaWasm wasm, String rego) {
            byte[] bytes = rego.getBytes(StandardCharsets.UTF_8);
            int address = wasm.exports().opaMalloc(bytes.length);
            wasm.memory().write(address, bytes);
            int value = wasm.exports().opaValueParse(address, bytes.length);
            wasm.exports().opaFree(address);
            return value;
        }

        /**
         * Scalars are read straight from the module's memory using the layouts of OPA's value.h (wasm32):
         * strings {@code {u8 type; u8 free; u32 len; char* v}}, numbers {@code {u8 type; u8 repr; i64 i}} or a
         * reference to their text, booleans {@code {u8 type; bool v}}. Collections are rare and small, and take
         * the SDK's JSON route.
         */
        private static JsonNode read(OpaWasm wasm, int address) {
            Memory memory = wasm.memory();
            switch (memory.read(address)) {
                case OPA_NULL -> {
                    return NullNode.instance;
                }
                case OPA_BOOLEAN, OPA_BOOLEAN_INTERNED -> {
                    return BooleanNode.valueOf(memory.read(address + 1) != 0);
                }
                case OPA_STRING, OPA_STRING_INTERNED -> {
                    int length = memory.readInt(address + 4);
                    return TextNode.valueOf(memory.readString(memory.readInt(address + 8), length,
                                                              StandardCharsets.UTF_8));
                }
                case OPA_NUMBER -> {
                    byte repr = memory.read(address + 1);
                    if (repr == OPA_NUMBER_REPR_INT) {
                        return LongNode.valueOf(memory.readLong(address + 8));
                    }
                    if (repr == OPA_NUMBER_REPR_REF) {
                        String text = memory.readString(memory.readInt(address + 8), memory.readInt(address + 12),
                                                        StandardCharsets.US_ASCII);
                        return DecimalNode.valueOf(new BigDecimal(text));
                    }
                }
                default -> {
                    // Arrays, objects, sets: below.
                }
            }
            try {
                return JSON.readTree(wasm.readString(address));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("the policy passed a value that is not JSON", e);
            }
        }
    }
}
