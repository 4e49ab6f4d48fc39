package io.llmsidecar.proxy;

import io.helidon.webserver.http.ServerRequest;
import io.llmsidecar.openai.SidecarException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.OptionalLong;

/** Reads a request body once, refusing more than the configured limit with 413 before reading it all. */
final class RequestBodies {
    private final long limit;

    RequestBodies(long limit) {
        this.limit = limit;
    }

    byte[] read(ServerRequest req) {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            throw SidecarException.tooLarge(limit);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared.isPresent()) {
                return in.readNBytes((int) declared.getAsLong());
            }
            return readBounded(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] readBounded(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        int size = 0;
        int n;
        while ((n = in.read(buf, size, buf.length - size)) >= 0) {
            size += n;
            if (size > limit) {
                throw SidecarException.tooLarge(limit);
            }
            if (size == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(limit + 1, buf.length * 2L));
            }
        }
        return size == buf.length ? buf : Arrays.copyOf(buf, size);
    }
}
