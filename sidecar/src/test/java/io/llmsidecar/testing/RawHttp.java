package io.llmsidecar.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A bare HTTP/1.1 client over a socket, for what java.net.http hides: reading a response as it trickles in and
 * hanging up in the middle of a stream.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.socket.setSoTimeout(10_000);
        this.in = socket.getInputStream();
    }

    public static RawHttp post(int port, String path, String json) throws IOException {
        RawHttp http = new RawHttp(new Socket(InetAddress.getLoopbackAddress(), port));
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      + "Content-Length: " + body.length + "\r\n\r\n";
        http.socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        http.socket.getOutputStream().write(body);
        http.socket.getOutputStream().flush();
        return http;
    }

    /** Reads until everything received so far contains {@code marker}; returns all received text. */
    public String readUntil(String marker) throws IOException {
        byte[] buf = new byte[4096];
        while (!text().contains(marker)) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("connection closed before '" + marker + "' arrived; got: " + text());
            }
            seen.write(buf, 0, n);
        }
        return text();
    }

    public String text() {
        return seen.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
