package io.llmsidecar.logging;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A log written one line per request (the access log, the decision log). It goes through JUL like every other log
 * line, so handlers and levels configure it, but names its source itself: a {@code System.Logger} record makes JUL
 * walk the stack to find its caller when the formatter asks, which costs more than the rest of the line.
 */
public final class LineLog {
    private final Logger logger;
    private final String source;

    private LineLog(Logger logger, String source) {
        this.logger = logger;
        this.source = source;
    }

    /** The log named {@code name}, e.g. {@code io.llmsidecar.access}. */
    public static LineLog named(String name) {
        return new LineLog(Logger.getLogger(name), name);
    }

    public boolean enabled() {
        return logger.isLoggable(Level.INFO);
    }

    public void info(String line) {
        logger.logp(Level.INFO, source, "", line);
    }

    public void warning(String line) {
        logger.logp(Level.WARNING, source, "", line);
    }
}
