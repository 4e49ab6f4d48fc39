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

    /**
     * Sends {@code request} byte for byte (request line, headers, body: whatever an app could write to the socket)
     * and returns everything the server answers until it closes the connection or goes quiet for a second.
     */
    public static String exchange(int port, byte[] request) throws IOException {
        try (RawHttp http = new RawHttp(new Socket(InetAddress.getLoopbackAddress(), port))) {
            http.socket.getOutputStream().write(request);
            http.socket.getOutputStream().flush();
            http.socket.setSoTimeout(1_000);
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = http.in.read(buf)) >= 0) {
                    http.seen.write(buf, 0, n);
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // Quiet or reset after the answer: what arrived is the answer.
            }
            return http.text();
        }
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
