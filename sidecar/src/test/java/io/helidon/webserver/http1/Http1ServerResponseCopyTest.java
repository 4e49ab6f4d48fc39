package io.helidon.webserver.http1;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataWriter;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.WebServer;
import io.llmsidecar.testing.HelidonCopies;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sidecar's copy of Helidon's {@link Http1ServerResponse}: the right version, in use, and a chunked response's
 * writes as the copy changed them, seen by the socket writer its output stream writes to (one entry per write).
 */
class Http1ServerResponseCopyTest {
    /** The Helidon release the copy was taken from. */
    private static final String COPIED_FROM = "4.4.0";

    @Test
    void theCopyMatchesTheHelidonOnTheClassPath() {
        HelidonCopies.assertHelidonRelease(WebServer.class, COPIED_FROM,
                                           "copy that release's "
                                           + "webserver/webserver/.../http1/Http1ServerResponse.java over "
                                           + "sidecar/src/main/java/io/helidon/webserver/http1/ and make its "
                                           + "BlockingOutputStream's changes again (marked \"LLM Policy Sidecar\")");
    }

    @Test
    void theCopyIsTheOneLoaded() {
        HelidonCopies.assertCopyLoaded(Http1ServerResponse.class);
    }

    @Test
    void aStreamMakesOneWritePerFlushAndItsCloseEndsTheBody() throws Exception {
        Response response = new Response(false);
        OutputStream out = response.stream;
        out.write(bytes("first"));
        out.flush();
        out.write(bytes("second"));
        out.flush();
        out.write(bytes("last"));
        out.close();

        // Headers with the first chunk (Helidon: two writes); the last data with the last chunk (Helidon: two
        // writes, the second only when the handler returns).
        assertEquals(3, response.writes.size(), response.writes.toString());
        String first = response.writes.get(0);
        assertTrue(first.startsWith("HTTP/1.1 200 OK\r\n"), first);
        assertTrue(first.toLowerCase().contains("transfer-encoding: chunked\r\n"), first);
        assertTrue(first.endsWith("\r\n\r\n5\r\nfirst\r\n"), first);
        assertEquals("6\r\nsecond\r\n", response.writes.get(1));
        assertEquals("4\r\nlast\r\n0\r\n\r\n", response.writes.get(2));
        assertEquals(0, response.sent.get(), "the response is sent when Helidon commits it, not at the close");

        response.commit();
        assertEquals(3, response.writes.size(), "the commit writes nothing more: " + response.writes);
        assertEquals(1, response.sent.get());
    }

    @Test
    void nothingCanBeWrittenOnceTheCloseHasEndedTheBody() throws Exception {
        Response response = new Response(false);
        response.stream.write(bytes("a"));
        response.stream.flush();
        response.stream.write(bytes("b"));
        response.stream.close();
        assertThrows(IOException.class, () -> response.bos.write(bytes("late"), 0, 4));
        assertEquals(2, response.writes.size(), response.writes.toString());
    }

    @Test
    void withTrailersTheBodyEndsAtTheCommitInOneWrite() throws Exception {
        Response response = new Response(true);
        response.stream.write(bytes("a"));
        response.stream.flush();
        response.stream.write(bytes("b"));
        response.stream.close();
        assertEquals(1, response.writes.size(), "the body must wait for its trailers: " + response.writes);

        response.commit();
        assertEquals(2, response.writes.size(), response.writes.toString());
        String last = response.writes.get(1);
        assertTrue(last.startsWith("1\r\nb\r\n0\r\n"), last);
        assertTrue(last.endsWith("\r\n\r\n"), last);
        assertTrue(last.toLowerCase().contains("stream-result: "), last);
    }

    @Test
    void aBodyWrittenAtOnceStillGetsItsLengthInOneWrite() throws Exception {
        Response response = new Response(false);
        response.stream.write(bytes("whole"));
        response.stream.close();
        assertEquals(1, response.writes.size(), response.writes.toString());
        String only = response.writes.get(0);
        assertTrue(only.toLowerCase().contains("content-length: 5\r\n"), only);
        assertTrue(only.endsWith("\r\n\r\nwhole"), only);
        response.commit();
        assertEquals(1, response.writes.size(), response.writes.toString());
    }

    @Test
    void aStreamNeverClosedEndsAtTheCommitAsBefore() throws Exception {
        Response response = new Response(false);
        response.stream.write(bytes("a"));
        response.stream.flush();
        response.stream.write(bytes("b"));
        response.commit();
        assertEquals(List.of("1\r\nb\r\n", "0\r\n\r\n"), response.writes.subList(1, 3));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** A response's output stream as Helidon builds it (4 KiB buffer in front), writing to a recording writer. */
    private static final class Response {
        final List<String> writes = new ArrayList<>();
        final AtomicInteger sent = new AtomicInteger();
        final Http1ServerResponse.BlockingOutputStream bos;
        final Http1ServerResponse.ClosingBufferedOutputStream stream;

        Response(boolean teTrailers) throws ReflectiveOperationException {
            WritableHeaders<?> requestHeaders = WritableHeaders.create();
            if (teTrailers) {
                requestHeaders.set(HeaderValues.TE_TRAILERS);
            }
            Http1ServerRequest request = Http1ServerRequest.create(null, null, null, requestHeaders, 1, null);
            Constructor<Http1ServerResponse.BlockingOutputStream> constructor =
                    Http1ServerResponse.BlockingOutputStream.class.getDeclaredConstructor(
                            ServerResponseHeaders.class, WritableHeaders.class, java.util.function.Consumer.class,
                            java.util.function.Supplier.class, java.util.function.Supplier.class, DataWriter.class,
                            Runnable.class, io.helidon.webserver.ConnectionContext.class,
                            Http1ConnectionListener.class, Http1ServerRequest.class, boolean.class, boolean.class,
                            boolean.class);
            constructor.setAccessible(true);
            java.util.function.Supplier<Status> ok = () -> Status.OK_200;
            java.util.function.Supplier<String> result = () -> "";
            Runnable onSent = sent::incrementAndGet;
            bos = constructor.newInstance(ServerResponseHeaders.create(), WritableHeaders.create(), null, ok, result,
                                          new Recorder(writes), onSent, null, Http1ConnectionListener.create(List.of()),
                                          request, true, false, false);
            bos.checkResponseHeaders();
            stream = new Http1ServerResponse.ClosingBufferedOutputStream(bos, 4096);
        }

        void commit() {
            stream.commit();
        }
    }

    /** Each write as the text it put on the wire. */
    private record Recorder(List<String> writes) implements DataWriter {
        @Override
        public void write(BufferData... buffers) {
            write(BufferData.create(buffers));
        }

        @Override
        public void write(BufferData buffer) {
            writes.add(buffer.readString(buffer.available(), StandardCharsets.US_ASCII));
        }

        @Override
        public void writeNow(BufferData... buffers) {
            write(buffers);
        }

        @Override
        public void writeNow(BufferData buffer) {
            write(buffer);
        }
    }
}
