package io.llmsidecar.tokens;

/**
 * UTF-8 of a range of a string without allocating a substring, with {@link String#getBytes}'s treatment of a lone
 * surrogate (one {@code '?'}), so the bytes BPE sees are the ones tiktoken and jtokkit see.
 */
final class Utf8 {
    private static final byte REPLACEMENT = '?';

    private Utf8() {
    }

    /** Writes the UTF-8 of {@code text[start, end)} to {@code out} (room for 3 bytes per char) and returns its length. */
    static int encode(CharSequence text, int start, int end, byte[] out) {
        int n = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | c >> 6);
                out[n++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, text.charAt(++i));
                    out[n++] = (byte) (0xF0 | cp >> 18);
                    out[n++] = (byte) (0x80 | cp >> 12 & 0x3F);
                    out[n++] = (byte) (0x80 | cp >> 6 & 0x3F);
                    out[n++] = (byte) (0x80 | cp & 0x3F);
                } else {
                    out[n++] = REPLACEMENT;
                }
            } else {
                out[n++] = (byte) (0xE0 | c >> 12);
                out[n++] = (byte) (0x80 | c >> 6 & 0x3F);
                out[n++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return n;
    }

    /** The length {@link #encode} would return. */
    static int length(CharSequence text, int start, int end) {
        int n = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    n += 4;
                } else {
                    n++;
                }
            } else {
                n += 3;
            }
        }
        return n;
    }
}
