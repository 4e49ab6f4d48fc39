package io.llmsidecar.proxy;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: the app's {@code x-request-id} when it sends a sane one, else a fresh random id. The id is returned
 * to the app, forwarded to the gateway and written to every log line about the request.
 */
final class RequestIds {
    static final HeaderName HEADER = HeaderNames.create("x-request-id");
    private static final int MAX_LENGTH = 128;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {
    }

    static String of(Headers headers) {
        if (headers.contains(HEADER)) {
            String id = headers.get(HEADER).get();
            if (!id.isEmpty() && id.length() <= MAX_LENGTH && id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                return id;
            }
        }
        return random();
    }

    private static String random() {
        long bits = ThreadLocalRandom.current().nextLong();
        char[] id = new char[16];
        for (int i = 15; i >= 0; i--) {
            id[i] = HEX[(int) (bits & 0xf)];
            bits >>>= 4;
        }
        return new String(id);
    }
}
