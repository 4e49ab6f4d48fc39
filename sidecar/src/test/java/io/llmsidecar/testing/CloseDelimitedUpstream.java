package io.llmsidecar.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gateway whose answers end by closing the connection: HTTP/1.1 with neither {@code Content-Length} nor chunked
 * encoding, a framing every HTTP/1.1 client must read (RFC 9112, section 6.3, the last rule) and what Python's
 * {@code http.server} and other simple servers send for a stream. The JDK server behind {@link StubUpstream} always
 * frames its bodies, hence this one on a bare socket.
 */
public final class CloseDelimitedUpstream implements AutoCloseable {
    private final ServerSocket server;
    private final String contentType;
    private final byte[] body;
    private final AtomicInteger requests = new AtomicInteger();

    private CloseDelimitedUpstream(ServerSocket server, String contentType, String body) {
        this.server = server;
        this.contentType = contentType;
        this.body = body.getBytes(StandardCharsets.UTF_8);
    }

    /** Answers every request with status 200, {@code contentType} and {@code body}, then closes the connection. */
    public static CloseDelimitedUpstream start(String contentType, String body) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            CloseDelimitedUpstream upstream = new CloseDelimitedUpstream(server, contentType, body);
            Thread.ofVirtual().start(upstream::serve);
            return upstream;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL to configure as {@code upstream.url}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
    }

    public int requestCount() {
        return requests.get();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                readRequest(socket.getInputStream());
                requests.incrementAndGet();
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nConnection: close\r\n\r\n")
                                  .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // closed by close(), or the sidecar hung up
            }
        }
    }

    /** Reads the head and a {@code Content-Length} body: all the sidecar sends. */
    private static void readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended in its head");
            }
            head.write(b);
        }
        long length = 0;
        for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring("content-length:".length()).strip());
            }
        }
        in.readNBytes((int) length);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
