package io.llmsidecar.budget;

import io.lettuce.core.codec.RedisCodec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The budget store's keys, script arguments and replies as UTF-8 strings, each encoded into a byte array that Lettuce
 * copies into Netty's buffer in one piece. The bytes on the wire are {@code StringCodec.UTF8}'s.
 *
 * <p>Why not {@code StringCodec.UTF8}: its UTF-8 length is an estimate, so Lettuce encodes each argument into a
 * pooled buffer of its own and then copies it over; and Netty without {@code sun.misc.Unsafe}
 * ({@link RedisConnector#configureNetty()}) writes each character into its direct buffers through the checked
 * {@code ByteBuffer} accessors. A reservation sends some twenty arguments: that encoding was a third of Netty's event
 * loop in Redis mode, 7% of the sidecar's CPU per request (docs/BENCHMARKS.md, issue 19, tenth pass).
 * {@code String.getBytes} is a vectorised copy for the ASCII text the keys and numbers are.
 */
final class Utf8ArrayCodec implements RedisCodec<String, String> {
    @Override
    public String decodeKey(ByteBuffer bytes) {
        return decode(bytes);
    }

    @Override
    public String decodeValue(ByteBuffer bytes) {
        return decode(bytes);
    }

    @Override
    public ByteBuffer encodeKey(String key) {
        return encode(key);
    }

    @Override
    public ByteBuffer encodeValue(String value) {
        return encode(value);
    }

    private static ByteBuffer encode(String text) {
        // StringCodec sends null as an empty string; so does this.
        return ByteBuffer.wrap(text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8));
    }

    /** Leaves the buffer's position where it was, as StringCodec does. */
    private static String decode(ByteBuffer bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.hasArray()) {
            return new String(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining(),
                              StandardCharsets.UTF_8);
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(bytes.position(), copy);
        return new String(copy, StandardCharsets.UTF_8);
    }
}
