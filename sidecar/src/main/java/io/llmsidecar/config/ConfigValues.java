package io.llmsidecar.config;

import io.helidon.config.Config;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values from a configuration node and fails with a message that names the key, the environment
 * variable behind it and a valid example. Every config record reads through here so the messages stay uniform.
 */
public final class ConfigValues {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib)?");

    private ConfigValues() {
    }

    public static Optional<String> string(Config node) {
        if (!node.exists()) {
            return Optional.empty();
        }
        if (!node.isLeaf()) {
            throw invalid(node, "a nested section", "a plain value");
        }
        return node.asString().asOptional().map(String::strip).filter(s -> !s.isEmpty());
    }

    public static String string(Config node, String defaultValue) {
        return string(node).orElse(defaultValue);
    }

    public static boolean bool(Config node, boolean defaultValue) {
        return string(node).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw invalid(node, v, "true or false");
        }).orElse(defaultValue);
    }

    public static int integer(Config node, int defaultValue, int min, int max) {
        return string(node).map(v -> {
            try {
                int parsed = Integer.parseInt(v);
                if (parsed < min || parsed > max) {
                    throw invalid(node, v, "an integer from " + min + " to " + max);
                }
                return parsed;
            } catch (NumberFormatException e) {
                throw invalid(node, v, "an integer from " + min + " to " + max);
            }
        }).orElse(defaultValue);
    }

    public static long longValue(Config node, long defaultValue, long min, long max) {
        return string(node).map(v -> {
            try {
                long parsed = Long.parseLong(v);
                if (parsed < min || parsed > max) {
                    throw invalid(node, v, "an integer from " + min + " to " + max);
                }
                return parsed;
            } catch (NumberFormatException e) {
                throw invalid(node, v, "an integer from " + min + " to " + max);
            }
        }).orElse(defaultValue);
    }

    public static Optional<BigDecimal> decimal(Config node) {
        return string(node).map(v -> {
            try {
                return new BigDecimal(v);
            } catch (NumberFormatException e) {
                throw invalid(node, v, "a decimal number such as 12.50");
            }
        });
    }

    public static int port(Config node, int defaultValue) {
        return integer(node, defaultValue, 0, 65535);
    }

    /** Accepts {@code 0}, {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d} and ISO-8601 such as {@code PT5S}. */
    public static Duration duration(Config node, Duration defaultValue) {
        return string(node).map(v -> parseDuration(node, v)).orElse(defaultValue);
    }

    /** Accepts a byte count with an optional unit: {@code 4194304}, {@code 512KiB}, {@code 4MiB}, {@code 1GB}. */
    public static long byteSize(Config node, long defaultValue) {
        return string(node).map(v -> {
            Matcher m = SIZE.matcher(v.toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw invalid(node, v, "a size such as 4MiB, 512KiB or 1048576");
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            long factor = switch (unit) {
                case "kb" -> 1000L;
                case "kib" -> 1024L;
                case "mb" -> 1000L * 1000;
                case "mib" -> 1024L * 1024;
                case "gb" -> 1000L * 1000 * 1000;
                case "gib" -> 1024L * 1024 * 1024;
                default -> 1L;
            };
            return Math.multiplyExact(n, factor);
        }).orElse(defaultValue);
    }

    /** An absolute http(s) URI without a trailing slash. */
    public static Optional<URI> httpUri(Config node) {
        return string(node).map(v -> {
            try {
                URI uri = new URI(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                    throw invalid(node, v, "an absolute http:// or https:// URL such as https://api.getunbound.ai/v1");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw invalid(node, v, "an absolute http:// or https:// URL such as https://api.getunbound.ai/v1");
            }
        });
    }

    public static Optional<Path> path(Config node) {
        return string(node).map(Path::of);
    }

    /** The error every reader throws; public so records can report their own cross-field rules the same way. */
    public static ConfigException invalid(Config node, String value, String expected) {
        return invalid(node.key().toString(), value, expected);
    }

    public static ConfigException invalid(String key, String value, String expected) {
        String via = SidecarEnvironment.variableFor(key).map(v -> " (environment variable " + v + ")").orElse("");
        return new ConfigException("Invalid configuration '" + key + "'" + via + ": got '" + value
                                   + "', expected " + expected + ".");
    }

    private static Duration parseDuration(Config node, String v) {
        String lower = v.toLowerCase(Locale.ROOT);
        if (lower.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(lower);
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } else {
            try {
                d = Duration.parse(v.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw invalid(node, v, "a duration such as 500ms, 30s, 5m or PT30S");
            }
        }
        if (d.isNegative()) {
            throw invalid(node, v, "a positive duration");
        }
        return d;
    }
}
