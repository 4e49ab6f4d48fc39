package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Rego's {@code sprintf} with Go's {@code fmt} semantics, which policies written for OPA rely on: {@code %v},
 * {@code %d} of integers only, {@code %q}, exact decimal rounding, {@code %!d(string=x)} for a mismatched
 * argument. The Wasm SDK's own version passes the format to {@code String.format}, which rejects {@code %v}.
 *
 * <p>Arguments are converted as OPA does before calling Go: numbers written as integers become {@code int}
 * ({@code *big.Int} beyond 64 bits), other numbers {@code float64} ({@code 2.0} included), strings stay strings,
 * and anything else becomes its Rego text ({@code ["a", 1]}).
 */
final class GoSprintf {
    private GoSprintf() {
    }

    static String format(String format, JsonNode args) {
        List<Object> values = new ArrayList<>();
        if (args != null && args.isArray()) {
            args.forEach(a -> values.add(goValue(a)));
        }
        return new Formatter(format, values).run();
    }

    /** The Go value OPA's sprintf hands to fmt for a Rego value. */
    static Object goValue(JsonNode v) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? (Object) v.longValue() : v.bigIntegerValue();
        }
        if (v.isBigDecimal() && v.decimalValue().scale() == 0) {
            return v.bigIntegerValue();                 // an integer too large for int64 still prints exactly
        }
        if (v.isNumber()) {
            return v.doubleValue();                     // "2.0" is a float to OPA, as its text says
        }
        return regoText(v);
    }

    /** How Rego prints a value: strings quoted, collections with {@code ", "}, object keys sorted. */
    static String regoText(JsonNode v) {
        StringBuilder b = new StringBuilder();
        appendRego(b, v);
        return b.toString();
    }

    private static void appendRego(StringBuilder b, JsonNode v) {
        if (v.isTextual()) {
            b.append(quote(v.asText()));
        } else if (v.isArray()) {
            b.append('[');
            for (int i = 0; i < v.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                appendRego(b, v.get(i));
            }
            b.append(']');
        } else if (v.isObject()) {
            List<String> keys = new ArrayList<>();
            v.fieldNames().forEachRemaining(keys::add);
            keys.sort(null);
            b.append('{');
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                b.append(quote(keys.get(i))).append(": ");
                appendRego(b, v.get(keys.get(i)));
            }
            b.append('}');
        } else {
            b.append(v.toString());
        }
    }

    private static final class Formatter {
        private final String format;
        private final List<Object> args;
        private final StringBuilder out = new StringBuilder();
        private int argNum;
        private boolean reordered;
        private boolean badIndex;

        Formatter(String format, List<Object> args) {
            this.format = format;
            this.args = args;
        }

        String run() {
            int i = 0;
            int n = format.length();
            while (i < n) {
                char c = format.charAt(i);
                if (c != '%') {
                    out.append(c);
                    i++;
                    continue;
                }
                i++;
                Spec spec = new Spec();
                badIndex = false;
                // Flags.
                for (; i < n; i++) {
                    char f = format.charAt(i);
                    if (f == '-') {
                        spec.minus = true;
                        spec.zero = false;
                    } else if (f == '+') {
                        spec.plus = true;
                    } else if (f == '#') {
                        spec.sharp = true;
                    } else if (f == ' ') {
                        spec.space = true;
                    } else if (f == '0') {
                        spec.zero = !spec.minus;
                    } else {
                        break;
                    }
                }
                i = argIndex(i);
                // Width.
                if (i < n && format.charAt(i) == '*') {
                    i++;
                    spec.width = intArg(spec);
                    if (spec.width < 0) {
                        spec.minus = true;
                        spec.width = -spec.width;
                    }
                    i = argIndex(i);
                } else {
                    int start = i;
                    while (i < n && Character.isDigit(format.charAt(i))) {
                        i++;
                    }
                    spec.width = start == i ? -1 : Integer.parseInt(format.substring(start, i));
                }
                // Precision.
                if (i < n && format.charAt(i) == '.') {
                    i++;
                    i = argIndex(i);
                    if (i < n && format.charAt(i) == '*') {
                        i++;
                        spec.precision = Math.max(intArg(spec), -1);
                    } else {
                        int start = i;
                        while (i < n && Character.isDigit(format.charAt(i))) {
                            i++;
                        }
                        spec.precision = start == i ? 0 : Integer.parseInt(format.substring(start, i));
                    }
                    i = argIndex(i);
                }
                if (i >= n) {
                    out.append("%!(NOVERB)");
                    break;
                }
                char verb = format.charAt(i++);
                if (verb == '%') {
                    out.append('%');
                    continue;
                }
                if (badIndex) {
                    out.append("%!").append(verb).append("(BADINDEX)");
                    continue;
                }
                if (argNum >= args.size()) {
                    out.append("%!").append(verb).append("(MISSING)");
                    continue;
                }
                Object arg = args.get(argNum++);
                pad(spec, render(spec, verb, arg));
            }
            if (!reordered && argNum < args.size()) {
                out.append("%!(EXTRA ");
                for (int a = argNum; a < args.size(); a++) {
                    if (a > argNum) {
                        out.append(", ");
                    }
                    out.append(typeName(args.get(a))).append('=').append(plain(args.get(a)));
                }
                out.append(')');
            }
            return out.toString();
        }

        /** Go's explicit argument index, {@code %[2]d}. */
        private int argIndex(int i) {
            if (i >= format.length() || format.charAt(i) != '[') {
                return i;
            }
            int close = format.indexOf(']', i);
            reordered = true;
            if (close < 0) {
                return i;
            }
            try {
                int index = Integer.parseInt(format.substring(i + 1, close));
                if (index >= 1 && index <= args.size()) {
                    argNum = index - 1;
                    return close + 1;
                }
            } catch (NumberFormatException ignored) {
                // Falls through to BADINDEX, as Go does.
            }
            badIndex = true;
            return close + 1;
        }

        private int intArg(Spec spec) {
            if (argNum < args.size() && args.get(argNum) instanceof Long l && Math.abs(l) <= 1_000_000) {
                argNum++;
                return l.intValue();
            }
            argNum++;
            spec.badWidth = true;
            return -1;
        }

        /** The argument formatted for {@code verb}, before width padding; {@code null} pads nothing. */
        private String render(Spec spec, char verb, Object arg) {
            if (spec.badWidth) {
                out.append("%!(BADWIDTH)");
            }
            return switch (arg) {
                case String s -> string(spec, verb, s);
                case Long l -> integer(spec, verb, BigInteger.valueOf(l), arg);
                case BigInteger b -> integer(spec, verb, b, arg);
                case Double d -> floating(spec, verb, d);
                default -> bad(verb, arg);
            };
        }

        private String string(Spec spec, char verb, String s) {
            return switch (verb) {
                case 'v', 's' -> spec.precision >= 0 ? truncate(s, spec.precision) : s;
                case 'q' -> quote(spec.precision >= 0 ? truncate(s, spec.precision) : s);
                case 'x', 'X' -> {
                    String hex = HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
                    yield verb == 'X' ? hex.toUpperCase(java.util.Locale.ROOT) : hex;
                }
                default -> bad(verb, s);
            };
        }

        private String integer(Spec spec, char verb, BigInteger v, Object original) {
            String digits = switch (verb) {
                case 'v', 'd' -> v.abs().toString();
                case 'b' -> v.abs().toString(2);
                case 'o', 'O' -> v.abs().toString(8);
                case 'x' -> v.abs().toString(16);
                case 'X' -> v.abs().toString(16).toUpperCase(java.util.Locale.ROOT);
                case 'c' -> new String(Character.toChars(v.intValue()));
                case 'q' -> "'" + new String(Character.toChars(v.intValue())) + "'";
                case 'U' -> String.format("U+%04X", v.intValue());
                default -> null;
            };
            if (digits == null) {
                return bad(verb, original);
            }
            if (verb == 'c' || verb == 'q' || verb == 'U') {
                return digits;
            }
            if (spec.precision >= 0) {
                spec.zero = false;
                while (digits.length() < spec.precision) {
                    digits = "0" + digits;
                }
            }
            String prefix = "";
            if (spec.sharp) {
                prefix = switch (verb) {
                    case 'b' -> "0b";
                    case 'o' -> "0";
                    case 'x' -> "0x";
                    case 'X' -> "0X";
                    default -> "";
                };
            }
            if (verb == 'O') {
                prefix = "0o";
            }
            return sign(spec, v.signum() < 0) + prefix + digits;
        }

        private String floating(Spec spec, char verb, double d) {
            String body = switch (verb) {
                case 'v' -> goFloat(Math.abs(d), 'g', spec.precision);   // Go: %v is %g, precision included
                case 'e', 'E', 'f', 'F', 'g', 'G' -> {
                    char lower = Character.toLowerCase(verb);
                    String s = goFloat(Math.abs(d), lower == 'f' ? 'f' : lower, spec.precision >= 0
                            ? spec.precision : lower == 'g' ? -1 : 6);
                    yield Character.isUpperCase(verb) ? s.toUpperCase(java.util.Locale.ROOT) : s;
                }
                default -> null;
            };
            if (body == null) {
                return bad(verb, d);
            }
            return sign(spec, d < 0 || (d == 0 && 1 / d < 0)) + body;
        }

        private String sign(Spec spec, boolean negative) {
            if (negative) {
                return "-";
            }
            return spec.plus ? "+" : spec.space ? " " : "";
        }

        private void pad(Spec spec, String s) {
            int width = spec.width;
            int length = s.codePointCount(0, s.length());
            if (width <= length) {
                out.append(s);
                return;
            }
            String fill = " ".repeat(width - length);
            if (spec.minus) {
                out.append(s).append(fill);
            } else if (spec.zero) {
                int signLength = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+' || s.charAt(0) == ' ') ? 1 : 0;
                out.append(s, 0, signLength).append("0".repeat(width - length)).append(s.substring(signLength));
            } else {
                out.append(fill).append(s);
            }
        }

        private String bad(char verb, Object arg) {
            return "%!" + verb + "(" + typeName(arg) + "=" + plain(arg) + ")";
        }
    }

    private static final class Spec {
        boolean minus;
        boolean plus;
        boolean sharp;
        boolean space;
        boolean zero;
        boolean badWidth;
        int width = -1;
        int precision = -1;
    }

    private static String typeName(Object arg) {
        return switch (arg) {
            case Long l -> "int";
            case BigInteger b -> "*big.Int";
            case Double d -> "float64";
            default -> "string";
        };
    }

    /** {@code %v} of a value, as used inside Go's error annotations. */
    private static String plain(Object arg) {
        return arg instanceof Double d ? goFloat(Math.abs(d), 'g', -1).transform(s -> d < 0 ? "-" + s : s)
                                       : String.valueOf(arg);
    }

    private static String truncate(String s, int runes) {
        return s.codePointCount(0, s.length()) <= runes ? s : s.substring(0, s.offsetByCodePoints(0, runes));
    }

    /** Go's {@code strconv.Quote}: printable characters kept, the rest escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 7 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case 11 -> b.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) {
                        b.append(String.format("\\x%02x", cp));
                    } else if (Character.isISOControl(cp) || !Character.isDefined(cp)
                               || Character.getType(cp) == Character.FORMAT) {
                        b.append(cp > 0xffff ? String.format("\\U%08x", cp) : String.format("\\u%04x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    /**
     * Go's {@code strconv.FormatFloat(v, fmt, prec, 64)} for a non-negative finite {@code v}: {@code prec} -1 means
     * the shortest representation that reads back exactly. Rounds the exact binary value half-to-even, like Go.
     */
    static String goFloat(double v, char fmt, int prec) {
        boolean shortest = prec < 0;
        // Digits d1d2...dn with the decimal point after 'dp' digits: v = 0.d1d2...dn * 10^dp.
        String digits;
        int dp;
        if (v == 0) {
            digits = "";
            dp = 0;
        } else {
            BigDecimal exact = shortest ? new BigDecimal(Double.toString(v)) : new BigDecimal(v);
            if (!shortest) {
                int significant = switch (fmt) {
                    case 'e' -> prec + 1;
                    case 'g' -> Math.max(prec, 1);
                    default -> -1;
                };
                if (significant > 0) {
                    exact = exact.round(new MathContext(significant, RoundingMode.HALF_EVEN));
                } else {
                    exact = exact.setScale(prec, RoundingMode.HALF_EVEN);
                }
            }
            exact = exact.stripTrailingZeros();
            digits = exact.unscaledValue().toString();
            dp = digits.length() - exact.scale();
            if (exact.signum() == 0) {
                digits = "";
                dp = 0;
            }
        }
        int nd = digits.length();
        switch (fmt) {
            case 'e':
                return fmtE(digits, dp, shortest ? Math.max(nd - 1, 0) : prec);
            case 'f':
                return fmtF(digits, dp, shortest ? Math.max(nd - dp, 0) : prec);
            default: {
                int p = shortest ? nd : Math.max(prec, 1);
                int eprec = p;
                if (eprec > nd && nd >= dp) {
                    eprec = nd;
                }
                if (shortest) {
                    eprec = 6;
                }
                int exp = dp - 1;
                if (nd > 0 && (exp < -4 || exp >= eprec)) {
                    return fmtE(digits, dp, Math.min(p, Math.max(nd, 1)) - 1);
                }
                if (p > dp) {
                    p = nd;
                }
                return fmtF(digits, dp, Math.max(p - dp, 0));
            }
        }
    }

    private static String fmtE(String digits, int dp, int prec) {
        StringBuilder b = new StringBuilder();
        b.append(digits.isEmpty() ? '0' : digits.charAt(0));
        if (prec > 0) {
            b.append('.');
            for (int i = 1; i <= prec; i++) {
                b.append(i < digits.length() ? digits.charAt(i) : '0');
            }
        }
        int exp = digits.isEmpty() ? 0 : dp - 1;
        b.append('e').append(exp < 0 ? '-' : '+');
        int abs = Math.abs(exp);
        if (abs < 10) {
            b.append('0');
        }
        return b.append(abs).toString();
    }

    private static String fmtF(String digits, int dp, int prec) {
        StringBuilder b = new StringBuilder();
        if (dp > 0) {
            for (int i = 0; i < dp; i++) {
                b.append(i < digits.length() ? digits.charAt(i) : '0');
            }
        } else {
            b.append('0');
        }
        if (prec > 0) {
            b.append('.');
            for (int i = 0; i < prec; i++) {
                int j = dp + i;
                b.append(j >= 0 && j < digits.length() ? digits.charAt(j) : '0');
            }
        }
        return b.toString();
    }
}
