package io.llmsidecar.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code 2026-11-21T22:55:43.382Z INFO io.llmsidecar.access: message}, plus the stack trace if there is one. Built
 * with a {@link StringBuilder}: {@code SimpleFormatter}'s format string runs {@link java.util.Formatter} on every
 * record, which costs more than the line itself when the sidecar logs one per request. Messages with JUL
 * parameters ({@code {0}}) are formatted as JUL does.
 */
public final class OneLineFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
        String message = record.getParameters() == null ? record.getMessage() : formatMessage(record);
        // Sized for the whole line: a decision event is a few KB, and growing from a small buffer copied it 4 times.
        StringBuilder b = new StringBuilder((message == null ? 4 : message.length()) + 96);
        DateTimeFormatter.ISO_INSTANT.formatTo(record.getInstant().truncatedTo(ChronoUnit.MILLIS), b);
        b.append(' ').append(record.getLevel().getName())
                .append(' ').append(record.getLoggerName())
                .append(": ").append(message)
                .append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            b.append(trace);
        }
        return b.toString();
    }
}
