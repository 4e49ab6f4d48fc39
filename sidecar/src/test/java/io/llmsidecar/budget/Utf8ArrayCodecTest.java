package io.llmsidecar.budget;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The store's codec sends and reads exactly what Lettuce's {@code StringCodec.UTF8} does. */
class Utf8ArrayCodecTest {
    private static final Utf8ArrayCodec CODEC = new Utf8ArrayCodec();

    @Test
    void aCommandsArgumentsAreTheBytesStringCodecWouldSend() {
        Random random = new Random(19);
        for (int round = 0; round < 2_000; round++) {
            List<String> keys = strings(random, 1 + random.nextInt(6));
            List<String> values = strings(random, random.nextInt(12));
            assertEquals(wire(StringCodec.UTF8, keys, values), wire(CODEC, keys, values),
                         "round " + round + ": " + keys + " " + values);
        }
    }

    @Test
    void theStoresOwnKeysAndNumbersGoOutAsRespBulkStrings() {
        // é is two bytes (shown here one character per byte): the length counts bytes, not characters.
        assertEquals("$9\r\n{t}c:a:\u00c3\u00a9\r\n$2\r\n42\r\n$0\r\n\r\n",
                     wire(CODEC, List.of("{t}c:a:\u00e9"), List.of("42", "")));
    }

    /**
     * The one difference: for a lone high surrogate Netty's encoder writes '?' and then the next character as a single
     * raw byte, which is not UTF-8; the JDK's encoder writes '?' and the character. No key the store builds has one.
     */
    @Test
    void aLoneSurrogateGoesOutAsAQuestionMarkAndTheTextAfterItIntact() {
        assertEquals("$5\r\na?\u00c3\u00a9b\r\n", wire(CODEC, List.of("a\ud800\u00e9b"), List.of()));
        assertEquals("$3\r\n?b?\r\n", wire(CODEC, List.of("\udc00b\ud800"), List.of()));
    }

    @Test
    void repliesDecodeAsStringCodecDecodesThemWhereverTheirBytesLie() {
        Random random = new Random(7);
        for (int round = 0; round < 2_000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes); // invalid UTF-8 too: both replace it the same way
            if (round % 2 == 0) {
                bytes = strings(random, 1).getFirst().getBytes(StandardCharsets.UTF_8);
            }
            int offset = random.nextInt(4);
            byte[] padded = new byte[offset + bytes.length + 3];
            System.arraycopy(bytes, 0, padded, offset, bytes.length);
            ByteBuffer heap = ByteBuffer.wrap(padded, offset, bytes.length); // a position past 0
            ByteBuffer slice = ByteBuffer.wrap(padded).slice(offset, bytes.length); // an array offset past 0
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 5).position(2);
            direct.put(bytes).flip().position(2);
            for (ByteBuffer reply : List.of(heap, slice, direct)) {
                int position = reply.position();
                String expected = StringCodec.UTF8.decodeValue(reply.duplicate());
                assertEquals(expected, CODEC.decodeValue(reply), "round " + round);
                assertEquals(expected, CODEC.decodeKey(reply), "round " + round);
                assertEquals(position, reply.position(), "the reply's position is left as it was");
            }
        }
    }

    private static String wire(RedisCodec<String, String> codec, List<String> keys,
                               List<String> values) {
        CommandArgs<String, String> args = new CommandArgs<>(codec);
        keys.forEach(args::addKey);
        values.forEach(args::addValue);
        ByteBuf buffer = Unpooled.buffer();
        try {
            args.encode(buffer);
            return new String(ByteBufUtil.getBytes(buffer), StandardCharsets.ISO_8859_1);
        } finally {
            buffer.release();
        }
    }

    /** Keys and numbers as the store builds them, and well-formed text from every plane. */
    private static List<String> strings(Random random, int count) {
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder s = new StringBuilder();
            switch (random.nextInt(4)) {
                case 0 -> s.append(random.nextLong());
                case 1 -> s.append("{llm-budget:}c:team:").append(random.nextInt(1000)).append(':')
                        .append(1_765_000_000L + random.nextInt(86_400));
                default -> {
                    int length = random.nextInt(24);
                    for (int c = 0; c < length; c++) {
                        switch (random.nextInt(4)) {
                            case 0 -> s.append((char) (0x20 + random.nextInt(0x5f)));
                            case 1 -> s.append((char) (0x80 + random.nextInt(0x780)));
                            case 2 -> { // the rest of the basic plane, surrogates left out
                                int c3 = 0x800 + random.nextInt(0xf000);
                                s.append((char) (c3 >= 0xd800 ? c3 + 0x800 : c3));
                            }
                            default -> s.appendCodePoint(0x10000 + random.nextInt(0x100000 - 0x10000));
                        }
                    }
                }
            }
            strings.add(s.toString());
        }
        return strings;
    }
}
