package io.llmsidecar.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import io.llmsidecar.tokens.TokenCounter;

import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

/**
 * Heap retained by the tokenizer and the time to load it, for docs/BENCHMARKS.md: the live bytes of a class histogram
 * (what {@code jcmd <pid> GC.class_histogram} prints, after a full GC) before and after loading. Run one tokenizer per
 * JVM:
 * <pre>
 * java -XX:+UseSerialGC -cp "$cp" io.llmsidecar.bench.TokenizerFootprint sidecar|jtokkit
 * </pre>
 */
public final class TokenizerFootprint {
    private TokenizerFootprint() {
    }

    public static void main(String[] args) {
        String which = args.length == 0 ? "sidecar" : args[0];
        Supplier<Object> load = switch (which) {
            case "sidecar" -> TokenCounter::create;
            case "jtokkit" -> () -> Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
            default -> throw new IllegalArgumentException("sidecar or jtokkit, not " + which);
        };
        long before = liveHeapBytes();
        // CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
        var threads = ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long startCpu = threads.getCurrentThreadCpuTime();
        Object tokenizer = load.get();
        long loadNanos = System.nanoTime() - start;
        long loadCpuNanos = threads.getCurrentThreadCpuTime() - startCpu;
        long after = liveHeapBytes();
        System.out.printf("%s: retained %.1f MB, first load %.0f ms (%.0f ms CPU on this thread)%n", which,
                (after - before) / 1e6, loadNanos / 1e6, loadCpuNanos / 1e6);
        java.lang.ref.Reference.reachabilityFence(tokenizer);
    }

    /** The bytes of a live-object histogram, which forces a full GC first. */
    private static long liveHeapBytes() {
        try {
            String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            // G1 pads around humongous arrays with filler objects; they are not anyone's live data.
            return histogram.lines().filter(line -> line.matches("\\s*\\d+:.*") && !line.contains("Filler"))
                    .mapToLong(line -> Long.parseLong(line.trim().split("\\s+")[2])).sum();
        } catch (JMException e) {
            throw new IllegalStateException("needs the DiagnosticCommand MBean (a HotSpot JVM)", e);
        }
    }
}
