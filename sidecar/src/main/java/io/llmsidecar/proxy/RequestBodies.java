package io.llmsidecar.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.http.ServerRequest;
import io.llmsidecar.openai.SidecarException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Reads a governed request's body once, refusing what the sidecar could not check: more than the configured limit
 * (413, before reading it all, also for chunked bodies, which are read as they come and governed the same), any
 * {@code Content-Encoding} (415: a compressed body would be forwarded unread), and a
 * {@code Content-Type} other than JSON (415). A missing Content-Type is accepted: the body must parse as a JSON
 * object either way.
 *
 * <p>The bytes are taken from the request's {@link BodyBudget.Lease} before they are read: the announced length at
 * once, a chunked body as its buffer grows. A body with no room in the budget in time gets 503 unread.
 */
final class RequestBodies {
    private final long limit;

    RequestBodies(long limit) {
        this.limit = limit;
    }

    byte[] read(ServerRequest req, BodyBudget.Lease lease) {
        Headers headers = req.headers();
        requireNoEncoding(headers);
        requireJson(headers);
        OptionalLong declared = headers.contentLength();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            throw SidecarException.tooLarge(limit);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        if (declared.isPresent()) {
            lease.take(declared.getAsLong(), BodyBudget.Part.REQUEST);
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared.isPresent()) {
                return in.readNBytes((int) declared.getAsLong());
            }
            return readBounded(in, lease);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Helidon refuses these before routing already (see {@link TransportErrors}); kept so no change there opens it. */
    private static void requireNoEncoding(Headers headers) {
        if (headers.contains(HeaderNames.CONTENT_ENCODING)) {
            throw SidecarException.unsupportedContentEncoding();
        }
    }

    private static void requireJson(Headers headers) {
        if (!headers.contains(HeaderNames.CONTENT_TYPE)) {
            return;
        }
        String value = headers.get(HeaderNames.CONTENT_TYPE).values();
        String[] parts = value.split(";");
        String type = parts[0].strip().toLowerCase(Locale.ROOT);
        boolean json = type.equals("application/json");
        for (int i = 1; i < parts.length && json; i++) {
            String[] param = parts[i].strip().split("=", 2);
            if (param[0].strip().equalsIgnoreCase("charset")) {
                String charset = param.length < 2 ? "" : param[1].strip().replace("\"", "");
                json = charset.equalsIgnoreCase("utf-8") || charset.equalsIgnoreCase("utf8");
            }
        }
        if (!json) {
            throw SidecarException.unsupportedMediaType(RequestTarget.printable(value));
        }
    }

    /** A chunked body: each growth of its buffer is taken from the budget first, so what it holds is bounded. */
    private byte[] readBounded(InputStream in, BodyBudget.Lease lease) throws IOException {
        lease.take(8192, BodyBudget.Part.REQUEST);
        byte[] buf = new byte[8192];
        int size = 0;
        int n;
        while ((n = in.read(buf, size, buf.length - size)) >= 0) {
            size += n;
            if (size > limit) {
                throw SidecarException.tooLarge(limit);
            }
            if (size == buf.length) {
                int grown = (int) Math.min(limit + 1, buf.length * 2L);
                lease.take(grown - buf.length, BodyBudget.Part.REQUEST);
                buf = Arrays.copyOf(buf, grown);
            }
        }
        return size == buf.length ? buf : Arrays.copyOf(buf, size);
    }
}
