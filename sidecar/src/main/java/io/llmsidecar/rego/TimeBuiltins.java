package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.Map;

import static io.llmsidecar.rego.Operands.string;

/** {@code time.*}: the evaluation's fixed clock and calendar arithmetic in UTC or a named zone. */
final class TimeBuiltins {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BigInteger BILLION = BigInteger.valueOf(1_000_000_000L);

    private TimeBuiltins() {
    }

    static void register(Map<String, Builtin> table) {
        table.put("time.now_ns", (e, a) -> LongNode.valueOf(e.epochNanos()));
        table.put("time.parse_rfc3339_ns", (e, a) -> nanos(OffsetDateTime.parse(string(a[0])).toInstant()));
        table.put("time.date", (e, a) -> {
            ZonedDateTime t = zoned(a[0]);
            return NODES.arrayNode().add(t.getYear()).add(t.getMonthValue()).add(t.getDayOfMonth());
        });
        table.put("time.clock", (e, a) -> {
            ZonedDateTime t = zoned(a[0]);
            return NODES.arrayNode().add(t.getHour()).add(t.getMinute()).add(t.getSecond());
        });
        table.put("time.weekday", (e, a) -> TextNode.valueOf(
                zoned(a[0]).getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH)));
    }

    private static LongNode nanos(Instant t) {
        return LongNode.valueOf(t.getEpochSecond() * 1_000_000_000L + t.getNano());
    }

    /** A {@code time.*} argument: nanoseconds since the epoch (UTC), or {@code [ns, "Zone/Name"]}. */
    private static ZonedDateTime zoned(JsonNode arg) {
        JsonNode ns = arg.isArray() ? arg.get(0) : arg;
        String zoneName = arg.isArray() && arg.size() > 1 ? string(arg.get(1)) : "";
        ZoneId zone = zoneName.isEmpty() || zoneName.equals("UTC") ? ZoneOffset.UTC
                : zoneName.equals("Local") ? ZoneId.systemDefault() : ZoneId.of(zoneName);
        BigInteger[] parts = ns.bigIntegerValue().divideAndRemainder(BILLION);
        long seconds = parts[0].longValueExact();
        long nano = parts[1].longValueExact();
        if (nano < 0) {
            seconds--;
            nano += 1_000_000_000L;
        }
        return Instant.ofEpochSecond(seconds, nano).atZone(zone);
    }
}
