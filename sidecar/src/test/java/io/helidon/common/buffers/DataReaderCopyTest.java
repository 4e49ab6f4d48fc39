package io.helidon.common.buffers;

import io.llmsidecar.testing.HelidonCopies;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sidecar's copy of Helidon's {@link DataReader}: the right version, in use, and unlinking consumed nodes. */
class DataReaderCopyTest {
    /** The Helidon release the copy was taken from. */
    private static final String COPIED_FROM = "4.4.0";

    @Test
    void theCopyMatchesTheHelidonOnTheClassPath() {
        HelidonCopies.assertHelidonRelease(BufferData.class, COPIED_FROM,
                                           "copy that release's common/buffers/.../DataReader.java over "
                                           + "sidecar/src/main/java/io/helidon/common/buffers/DataReader.java and "
                                           + "unlink consumed nodes in ensureAvailable() again (or delete the copy "
                                           + "if Helidon does it)");
    }

    @Test
    void theCopyIsTheOneLoaded() {
        HelidonCopies.assertCopyLoaded(DataReader.class);
    }

    @Test
    void aConsumedNodeNoLongerPointsAtTheNodesReadAfterIt() throws ReflectiveOperationException {
        Deque<byte[]> reads = new ArrayDeque<>();
        for (String part : new String[] {"GET / HTTP/1.1\r\n", "Host: a\r\n", "\r\n", "next request"}) {
            reads.add(part.getBytes(StandardCharsets.US_ASCII));
        }
        DataReader reader = DataReader.create(reads::poll);
        Object first = head(reader);
        assertEquals("GET / HTTP/1.1", reader.readAsciiString(reader.findNewLine(1024)));
        reader.skip(2);
        assertEquals("Host: a", reader.readAsciiString(reader.findNewLine(1024)));
        reader.skip(2);
        reader.skip(2);
        assertEquals('n', reader.read());
        Object current = head(reader);
        assertTrue(current != first);
        assertNull(next(first), "the consumed first node still links to the nodes read after it");
        assertEquals("ext request", reader.readAsciiString(reader.available()));
    }

    private static Object head(DataReader reader) throws ReflectiveOperationException {
        Field head = DataReader.class.getDeclaredField("head");
        head.setAccessible(true);
        return head.get(reader);
    }

    private static Object next(Object node) throws ReflectiveOperationException {
        Field next = node.getClass().getDeclaredField("next");
        next.setAccessible(true);
        return next.get(node);
    }
}
