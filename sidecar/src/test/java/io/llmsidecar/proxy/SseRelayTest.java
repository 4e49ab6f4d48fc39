package io.llmsidecar.proxy;

import io.llmsidecar.openai.Usage;
import io.llmsidecar.testing.BrokenPipe;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseRelayTest {
    private static final String STREAM = StubUpstream.cassette("chat-completion.sse");

    /** Hands out at most {@code step} bytes per read, so events straddle reads. */
    private static InputStream trickle(String text, int step) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, step));
            }
        };
    }

    /** Records what was flushed, as the app would see it arrive. */
    private static class FlushLog extends OutputStream {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        final java.util.ArrayList<String> flushes = new java.util.ArrayList<>();

        @Override
        public void write(int b) {
            pending.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes.add(pending.toString(StandardCharsets.UTF_8));
            all.writeBytes(pending.toByteArray());
            pending.reset();
        }

        String text() {
            return all.toString(StandardCharsets.UTF_8) + pending.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void relaysTheStreamUnchangedWhenTheAppAskedForUsage() {
        for (int step : new int[] {1, 7, 100, 65536}) {
            FlushLog app = new FlushLog();
            StreamInspector inspector = new StreamInspector();
            assertEquals(SseRelay.End.COMPLETE, SseRelay.relay(trickle(STREAM, step), app, inspector, true));
            assertEquals(STREAM, app.text(), "step " + step);
            assertEquals(new Usage(17, 20, 0, Usage.Source.GATEWAY), inspector.usage());
            assertTrue(inspector.done());
        }
    }

    @Test
    void hidesTheUsageChunkFromAnAppThatDidNotAskForIt() {
        FlushLog app = new FlushLog();
        StreamInspector inspector = new StreamInspector();
        SseRelay.relay(trickle(STREAM, 13), app, inspector, false);

        List<String> expected = StubUpstream.events(STREAM).stream()
                .filter(e -> !e.contains("\"choices\":[]")).toList();
        assertEquals(String.join("", expected), app.text());
        assertEquals(37, inspector.usage().totalTokens(), "the sidecar still bills the hidden usage");
    }

    @Test
    void neverFlushesHalfAnEventAndFlushesEachCompleteOneAtOnce() {
        FlushLog app = new FlushLog();
        SseRelay.relay(trickle(STREAM, 10), app, new StreamInspector(), true); // 10 < every event's length
        for (String flushed : app.flushes) {
            assertTrue(flushed.endsWith("\n\n"), "flushed a partial event: " + flushed);
        }
        assertEquals(StubUpstream.events(STREAM).size(), app.flushes.size(),
                     "with reads smaller than an event, every event is flushed as soon as it is complete");
    }

    /** Counts the writes and flushes the app's response gets, and what it was sent. */
    private static final class WriteLog extends OutputStream {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        int writes;
        int flushes;

        @Override
        public void write(int b) {
            writes++;
            all.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes++;
            all.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }

    @Test
    void aBurstIsReadAtOnceAndLeavesInOneWriteWithTheHiddenUsageChunkCutOut() {
        for (boolean usageWanted : new boolean[] {true, false}) {
            WriteLog app = new WriteLog();
            StreamInspector inspector = new StreamInspector();
            // Longer than the relay's first buffer: what has arrived (available()) sizes the read.
            String burst = STREAM.replace("data: [DONE]\n\n", "").repeat(3) + "data: [DONE]\n\n";
            assertTrue(burst.length() > 8 * 1024);
            InputStream whole = new ByteArrayInputStream(burst.getBytes(StandardCharsets.UTF_8));
            assertEquals(SseRelay.End.COMPLETE, SseRelay.relay(whole, app, inspector, usageWanted));
            List<String> expected = StubUpstream.events(burst).stream()
                    .filter(e -> usageWanted || !e.contains("\"choices\":[]")).toList();
            assertEquals(String.join("", expected), app.all.toString(StandardCharsets.UTF_8));
            assertEquals(1, app.writes, "one write for the burst (usage wanted: " + usageWanted + ")");
            assertEquals(1, app.flushes);
        }
    }

    @Test
    void eventsArrivingApartAreFlushedAsTheyCome() throws Exception {
        java.io.PipedOutputStream gateway = new java.io.PipedOutputStream();
        java.io.PipedInputStream body = new java.io.PipedInputStream(gateway, 64 * 1024);
        List<String> events = StubUpstream.events(STREAM);
        WriteLog app = new WriteLog();
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                for (String event : events) {
                    gateway.write(event.getBytes(StandardCharsets.UTF_8));
                    gateway.flush();
                    Thread.sleep(50);
                }
                gateway.close();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try (ReadAhead ahead = ReadAhead.start(body)) {
            assertEquals(SseRelay.End.COMPLETE, SseRelay.relay(ahead, app, new StreamInspector(), true));
        }
        sender.join();
        assertEquals(String.join("", events), app.all.toString(StandardCharsets.UTF_8));
        assertTrue(app.flushes >= events.size() / 2, "events 50 ms apart are flushed as they come ("
                                                     + app.flushes + " flushes for " + events.size() + " events)");
    }

    @Test
    void theLastEventsAreLeftForTheCloseOnceTheGatewaysBodyHasEnded() throws Exception {
        byte[] stream = STREAM.getBytes(StandardCharsets.UTF_8);
        try (ReadAhead ahead = ReadAhead.start(new ByteArrayInputStream(stream))) {
            // The write of the final event waits until the reader has seen the body's end, as it usually has when a
            // gateway sends its last event and last chunk together.
            FlushLog app = new FlushLog() {
                @Override
                public void write(byte[] b, int off, int len) {
                    super.write(b, off, len);
                    if (new String(b, off, len, StandardCharsets.UTF_8).contains("[DONE]")) {
                        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
                        while (!ahead.ended() && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                    }
                }
            };
            assertEquals(SseRelay.End.COMPLETE, SseRelay.relay(ahead, app, new StreamInspector(), true));
            assertEquals(STREAM, app.text());
            assertTrue(app.pending.toString(StandardCharsets.UTF_8).endsWith("data: [DONE]\n\n"),
                       "the final events wait for the response's close: " + app.flushes);
        }
    }

    @Test
    void theLastEventsAreFlushedWhileTheGatewaysBodyIsOpen() {
        // Not a read-ahead: nothing tells the relay the body has ended, so every event is flushed as it is relayed.
        FlushLog app = new FlushLog();
        SseRelay.relay(new ByteArrayInputStream(STREAM.getBytes(StandardCharsets.UTF_8)), app, new StreamInspector(),
                       true);
        assertEquals(0, app.pending.size());
        assertEquals(STREAM, app.text());
    }

    @Test
    void collectsGeneratedTextForEstimatesAndTheFirstTokenTime() {
        StreamInspector inspector = new StreamInspector();
        SseRelay.relay(trickle(StubUpstream.cassette("chat-completion-no-usage.sse"), 64), new FlushLog(), inspector,
                       false);
        assertNull(inspector.usage());
        assertTrue(inspector.generatedText().startsWith("Here's a Python function"), inspector.generatedText());
        assertTrue(inspector.firstTokenNanos() > 0);
    }

    @Test
    void understandsCrlfDelimitedEvents() {
        String crlf = STREAM.replace("\n", "\r\n");
        FlushLog app = new FlushLog();
        StreamInspector inspector = new StreamInspector();
        SseRelay.relay(trickle(crlf, 9), app, inspector, true);
        assertEquals(crlf, app.text());
        assertEquals(37, inspector.usage().totalTokens());
    }

    @Test
    void reportsAnAppThatWentAway() {
        OutputStream gone = new BrokenPipe();
        assertEquals(SseRelay.End.CLIENT_GONE, SseRelay.relay(trickle(STREAM, 100), gone, new StreamInspector(), true));
    }

    @Test
    void reportsAGatewayThatFailedMidStream() {
        InputStream failing = new InputStream() {
            private int calls;

            @Override
            public int read() {
                return -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (calls++ == 0) {
                    byte[] first = StubUpstream.events(STREAM).getFirst().getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(first, 0, b, off, first.length);
                    return first.length;
                }
                throw new java.net.SocketTimeoutException("Read timed out");
            }
        };
        FlushLog app = new FlushLog();
        assertEquals(SseRelay.End.UPSTREAM_FAILED, SseRelay.relay(failing, app, new StreamInspector(), true));
        assertEquals(StubUpstream.events(STREAM).getFirst(), app.text());
    }

    @Test
    void passesOnATrailingEventWithoutItsBlankLine() {
        FlushLog app = new FlushLog();
        StreamInspector inspector = new StreamInspector();
        SseRelay.relay(trickle("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]", 4), app,
                       inspector, true);
        assertTrue(app.text().endsWith("data: [DONE]"));
        assertTrue(inspector.done());
        assertFalse(inspector.upstreamError());
    }

    @Test
    void aStreamClosedBeforeItsEndIsAFailureNotACompletion() {
        List<String> events = StubUpstream.events(STREAM);
        String cut = String.join("", events.subList(0, 5));
        FlushLog app = new FlushLog();
        StreamInspector inspector = new StreamInspector();
        assertEquals(SseRelay.End.UPSTREAM_FAILED, SseRelay.relay(trickle(cut, 7), app, inspector, true));
        assertEquals(cut, app.text());
        assertFalse(inspector.finished());
    }

    @Test
    void halfAnEventBeforeTheCloseIsDropped() {
        List<String> events = StubUpstream.events(STREAM);
        String whole = String.join("", events.subList(0, 2));
        FlushLog app = new FlushLog();
        assertEquals(SseRelay.End.UPSTREAM_FAILED,
                     SseRelay.relay(trickle(whole + events.get(2).substring(0, 40), 5), app, new StreamInspector(),
                                    true));
        assertEquals(whole, app.text());
    }

    @Test
    void aStreamEndingWithItsUsageChunkButNoDoneIsComplete() {
        List<String> events = StubUpstream.events(STREAM);
        String withoutDone = String.join("", events.subList(0, events.size() - 1));
        FlushLog app = new FlushLog();
        StreamInspector inspector = new StreamInspector();
        assertEquals(SseRelay.End.COMPLETE, SseRelay.relay(trickle(withoutDone, 11), app, inspector, true));
        assertEquals(new Usage(17, 20, 0, Usage.Source.GATEWAY), inspector.usage());
    }

    @Test
    void aResponsesStreamEndsAtItsTerminalEventAndNotBefore() {
        String sse = StubUpstream.cassette("responses.sse");
        List<String> events = StubUpstream.events(sse);
        assertEquals(SseRelay.End.COMPLETE, SseRelay.relay(trickle(sse, 9), new FlushLog(),
                                                           new StreamInspector(io.llmsidecar.openai.Api.RESPONSES),
                                                           true));
        String cut = String.join("", events.subList(0, events.size() - 1));
        assertEquals(SseRelay.End.UPSTREAM_FAILED, SseRelay.relay(trickle(cut, 9), new FlushLog(),
                                                                  new StreamInspector(
                                                                          io.llmsidecar.openai.Api.RESPONSES),
                                                                  true));
    }
}
