package io.llmsidecar.detect;

/** Decodes unpadded base64url into a caller's buffer, so checking a JWT header allocates nothing. */
final class Base64Url {
    private Base64Url() {
    }

    /** Decodes {@code text[from, to)} into {@code out}; -1 if it does not fit or is not base64url. */
    static int decode(String text, int from, int to, byte[] out) {
        int n = to - from;
        if (n % 4 == 1 || (long) n * 3 / 4 > out.length) {
            return -1;
        }
        int written = 0;
        int bits = 0;
        int buffer = 0;
        for (int i = from; i < to; i++) {
            int v = value(text.charAt(i));
            if (v < 0) {
                return -1;
            }
            buffer = buffer << 6 | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[written++] = (byte) (buffer >> bits);
                buffer &= (1 << bits) - 1;
            }
        }
        return written;
    }

    private static int value(char c) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        }
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    }
}
