package io.llmsidecar.proxy;

import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.tokens.TokenCounter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The sidecar's own cost per relayed SSE event: {@link SseRelay} with its {@link StreamInspector} over the golden
 * stream {@code cassettes/chat-completion.sse} (24 events, usage chunk hidden as for an app that did not ask for it),
 * from memory to a discarding sink, so no socket is measured. Scores are per event.
 *
 * <p>In package {@code io.llmsidecar.proxy} because the relay is package-private; run it like the others with
 * {@code scripts/jmh.sh SseRelayBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SseRelayBenchmark {
    static final int EVENTS = 24;

    private final List<String> events = StubUpstream.events(StubUpstream.cassette("chat-completion.sse"));
    private final EventReads perEvent = new EventReads(events);
    private final EventReads whole = new EventReads(List.of(String.join("", events)));
    private final OutputStream sink = OutputStream.nullOutputStream();
    private final TokenCounter tokens = TokenCounter.create();
    private final byte[][] eventBytes = events.stream().map(e -> e.getBytes(StandardCharsets.UTF_8))
            .toArray(byte[][]::new);

    public SseRelayBenchmark() {
        if (events.size() != EVENTS) {
            throw new IllegalStateException("the cassette has " + events.size() + " events; update EVENTS");
        }
    }

    /** As from a gateway that flushes each token: one event per read, each written and flushed on its own. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public SseRelay.End relayEventPerRead() {
        return SseRelay.relay(perEvent.rewind(), sink, new StreamInspector(), false);
    }

    /**
     * As {@link #relayEventPerRead} for a request whose budget reservation caps the completion: every delta is also
     * counted with the tokenizer (repeated deltas come from its cache, as common tokens do in real streams).
     */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public SseRelay.End relayEventPerReadCountingTokens() {
        StreamInspector inspector = new StreamInspector(1_000_000, tokens::textTokens);
        return SseRelay.relay(perEvent.rewind(), sink, inspector, false);
    }

    /** The whole stream in one read: the fewest writes and flushes, so this is mostly the inspection. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public SseRelay.End relayWholeStreamAtOnce() {
        return SseRelay.relay(whole.rewind(), sink, new StreamInspector(), false);
    }

    /** The inspector alone: find the data line, parse the chunk, keep the text and the usage. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public int inspectOnly() {
        StreamInspector inspector = new StreamInspector();
        for (byte[] e : eventBytes) {
            inspector.inspect(e, 0, e.length);
        }
        return inspector.generatedChars();
    }

    /** Hands out at most one chunk per read, like a socket receiving one flushed event at a time; rewound per stream. */
    static final class EventReads extends InputStream {
        private final byte[][] chunks;
        private int next;
        private int pos;

        EventReads(List<String> chunks) {
            this.chunks = chunks.stream().map(c -> c.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        }

        EventReads rewind() {
            next = 0;
            pos = 0;
            return this;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException("the relay reads into its buffer");
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (next == chunks.length) {
                return -1;
            }
            byte[] chunk = chunks[next];
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            if (pos == chunk.length) {
                next++;
                pos = 0;
            }
            return n;
        }
    }
}
