package io.llmsidecar.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Captures every log record in the JVM (message, parameters, stack traces) so tests can look for leaks. */
public final class LogCapture extends Handler implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();
    private final Logger root = Logger.getLogger("");
    private final Level previous;
    private final Map<Handler, Level> quieted = new HashMap<>();

    private LogCapture() {
        // Helidon configures JUL (replacing the root handlers) the first time its logging class loads, which is the
        // first server start. Load it now, or a capture attached before that start would silently see nothing.
        io.helidon.logging.common.LogConfig.initClass();
        setLevel(Level.ALL);
        previous = root.getLevel();
        // Capture every level, but keep the console at INFO: a client library's debug output is not test output.
        for (Handler h : root.getHandlers()) {
            if (h.getLevel().intValue() < Level.INFO.intValue()) {
                quieted.put(h, h.getLevel());
                h.setLevel(Level.INFO);
            }
        }
        root.setLevel(Level.ALL);
        root.addHandler(this);
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    @Override
    public void publish(LogRecord record) {
        StringBuilder b = new StringBuilder(formatter.format(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            b.append(trace);
        }
        lines.add(b.toString());
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    public String all() {
        return String.join("", lines);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
        root.setLevel(previous);
        quieted.forEach(Handler::setLevel);
    }
}
