package io.llmsidecar.lifecycle;

import sun.misc.Signal;

import java.lang.System.Logger.Level;

/**
 * Runs a drain when the process is asked to stop, then exits 0.
 *
 * <p>SIGTERM (what Kubernetes sends) and SIGINT (Ctrl-C) are handled directly rather than through a shutdown hook:
 * shutdown hooks run concurrently with the JDK's own, which resets {@code java.util.logging} (the drain's log lines
 * would be lost), and a JVM stopped by a signal exits 143, not 0. A shutdown hook remains as the fallback for any
 * other way the JVM stops ({@code System.exit}, or signals the JVM does not let us handle, e.g. with {@code -Xrs}).
 */
public final class TerminationSignals {
    private static final System.Logger LOG = System.getLogger(TerminationSignals.class.getName());

    private TerminationSignals() {
    }

    /** On SIGTERM or SIGINT runs {@code drain} and exits 0; on any other JVM shutdown runs it from a hook. */
    public static void drainOnTermination(Runnable drain) {
        Thread hook = Thread.ofPlatform().name("sidecar-shutdown-hook").unstarted(drain);
        Runtime.getRuntime().addShutdownHook(hook);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                // The JVM's signal-handler thread is a daemon: once the server's threads end, the JVM would exit
                // under it, mid-drain. The drain gets a thread that keeps the JVM up until it calls exit.
                Signal.handle(new Signal(name), signal -> Thread.ofPlatform().name("sidecar-drain").daemon(false)
                        .start(() -> {
                            drain.run();
                            System.exit(0);
                        }));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.log(Level.WARNING, "Cannot handle SIG" + name + " (" + e.getMessage() + "); the drain runs as a "
                                       + "shutdown hook instead, and its last log lines may be lost");
            }
        }
    }
}
