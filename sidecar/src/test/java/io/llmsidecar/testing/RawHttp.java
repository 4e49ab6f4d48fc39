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
     * and returns the one response it gets: head and body (by Content-Length, chunked, or until the server closes),
     * or what arrived before the server closed the connection.
     */
    public static String exchange(int port, byte[] request) throws IOException {
        boolean head = new String(request, 0, Math.min(5, request.length), StandardCharsets.US_ASCII)
                .equals("HEAD ");
        try (RawHttp http = new RawHttp(new Socket(InetAddress.getLoopbackAddress(), port))) {
            http.socket.setSoTimeout(60_000);
            http.socket.getOutputStream().write(request);
            http.socket.getOutputStream().flush();
            byte[] buf = new byte[4096];
            try {
                int n;
                while (!http.complete(head) && (n = http.in.read(buf)) >= 0) {
                    http.seen.write(buf, 0, n);
                }
            } catch (java.net.SocketException e) {
                // Reset after the answer: what arrived is the answer.
            }
            return http.text();
        }
    }

    /** Whether {@link #seen} holds a whole response. */
    private boolean complete(boolean head) {
        String text = seen.toString(StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        if (head) {
            return true;
        }
        String headers = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("\r\ncontent-length: *(\\d+)")
                .matcher(headers);
        if (length.find()) {
            return text.length() - end - 4 >= Integer.parseInt(length.group(1));
        }
        if (headers.contains("\r\ntransfer-encoding: chunked")) {
            return text.endsWith("\r\n0\r\n\r\n");
        }
        return false;
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
