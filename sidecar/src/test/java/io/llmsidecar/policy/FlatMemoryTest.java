package io.llmsidecar.policy;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link FlatMemory} against Chicory's own {@link ByteArrayMemory}: the same seeded operations on both (loads and
 * stores of every width, bulk writes, reads, fills and overlapping copies, growth up to the maximum), at addresses
 * around every edge (negative, across a 64 KiB page boundary, at and past the end), must return the same values,
 * trap together, and leave the same bytes.
 */
class FlatMemoryTest {
    private static final int MAX_PAGES = 4;

    @Test
    void behavesAsChicorysMemoryOnEveryOperationAndEdge() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            MemoryLimits limits = new MemoryLimits(1, MAX_PAGES);
            Memory flat = new FlatMemory(limits);
            Memory chicory = new ByteArrayMemory(limits);
            for (int op = 0; op < 20_000; op++) {
                int kind = random.nextInt(19);
                int addr = address(random, chicory.pages());
                long value = random.nextLong();
                int growth = random.nextInt(20) == 0 ? (int) (value & 3) : 0;
                String what = "seed " + seed + ", op " + op + ", kind " + kind + ", address " + addr;
                same(what, flat, chicory, m -> switch (kind) {
                    case 0 -> (long) m.read(addr);
                    case 1 -> {
                        m.writeByte(addr, (byte) value);
                        yield 0L;
                    }
                    case 2 -> (long) m.readShort(addr);
                    case 3 -> m.readU16(addr);
                    case 4 -> {
                        m.writeShort(addr, (short) value);
                        yield 0L;
                    }
                    case 5 -> (long) m.readInt(addr);
                    case 6 -> {
                        m.writeI32(addr, (int) value);
                        yield 0L;
                    }
                    case 7 -> m.readLong(addr);
                    case 8 -> {
                        m.writeLong(addr, value);
                        yield 0L;
                    }
                    case 9 -> m.readF32(addr) + (long) Float.floatToRawIntBits(m.readFloat(addr));
                    case 10 -> {
                        m.writeF64(addr, Double.longBitsToDouble(value));
                        m.writeF32(addr, Float.intBitsToFloat((int) value));
                        yield m.readF64(addr) ^ Double.doubleToRawLongBits(m.readDouble(addr));
                    }
                    case 11 -> (long) Arrays.hashCode(m.readBytes(addr, random(value, 300)));
                    case 12 -> {
                        byte[] data = new byte[random(value, 300)];
                        new Random(value).nextBytes(data);
                        int offset = (int) (value >>> 40) % 8 - 2;
                        m.write(addr, data, offset, data.length - 4);
                        yield 0L;
                    }
                    case 13 -> {
                        m.fill((byte) value, addr, addr + random(value, 400) - 20);
                        yield 0L;
                    }
                    case 14, 15 -> {
                        // Overlapping either way, and ranges past the end.
                        m.copy(addr, addr + random(value, 64) - 32, random(value >>> 8, 500));
                        yield 0L;
                    }
                    case 16 -> (long) m.grow(growth);
                    case 17 -> (long) m.pages();
                    default -> {
                        m.writeI32(addr, (int) value);
                        yield m.readU32(addr) + m.readU8(addr) + m.readI16(addr);
                    }
                });
            }
            assertEquals(chicory.pages(), flat.pages(), "seed " + seed);
            assertArrayEquals(chicory.readBytes(0, Memory.bytes(chicory.pages())),
                              flat.readBytes(0, Memory.bytes(flat.pages())), "seed " + seed);
        }
    }

    @Test
    void growsUpToItsMaximumAndNoFurther() {
        Memory flat = new FlatMemory(new MemoryLimits(1, 3));
        flat.writeI32(Memory.PAGE_SIZE - 4, 0x01020304);
        assertThrows(WasmRuntimeException.class, () -> flat.readInt(Memory.PAGE_SIZE - 2));
        assertEquals(1, flat.grow(2));
        assertEquals(3, flat.pages());
        assertEquals(0x01020304, flat.readInt(Memory.PAGE_SIZE - 4), "what was there before the growth stays");
        flat.writeLong(Memory.PAGE_SIZE - 4, -1L);
        assertEquals(-1L, flat.readLong(Memory.PAGE_SIZE - 4), "across what were page boundaries");
        assertEquals(-1, flat.grow(1));
        assertThrows(WasmRuntimeException.class, () -> flat.read(3 * Memory.PAGE_SIZE));
        assertThrows(IllegalArgumentException.class, () -> new FlatMemory(new MemoryLimits(1, 2, true)));
    }

    /**
     * OPA's allocator grows its memory a page at a time as its heap runs out: to 32 MiB that is 511 growths, and the
     * array must be copied a few times, not each time (a copy per growth would copy 8 GB on the way).
     */
    @Test
    void aPageAtATimeTheArrayIsCopiedOnlyAFewTimesAndHoldsLittleSpare() {
        FlatMemory flat = new FlatMemory(new MemoryLimits(1, 1024));
        int copies = 0;
        for (int page = 1; page < 512; page++) {
            int before = flat.capacity();
            assertEquals(page, flat.grow(1));
            flat.writeByte(Memory.bytes(page + 1) - 1, (byte) page);
            if (flat.capacity() != before) {
                copies++;
            }
        }
        assertEquals(512, flat.pages());
        assertEquals(13, copies, "doubling to 8 MiB (7 copies), then 4 MiB at a time (6)");
        assertEquals(Memory.bytes(512), flat.capacity(), "no spare room at a 4 MiB step");
        assertEquals((byte) 7, flat.read(Memory.bytes(8) - 1));
        assertThrows(WasmRuntimeException.class, () -> flat.read(Memory.bytes(512)));
        FlatMemory capped = new FlatMemory(new MemoryLimits(1, 3));
        capped.grow(1);
        capped.grow(1);
        assertEquals(Memory.bytes(3), capped.capacity(), "doubling, but never room past the maximum");
    }

    /** Mostly near an edge: 0, the page boundary, the end of memory; sometimes anywhere, sometimes negative. */
    private static int address(Random random, int pages) {
        int size = Memory.bytes(pages);
        int jitter = random.nextInt(24) - 12;
        return switch (random.nextInt(5)) {
            case 0 -> jitter;
            case 1 -> Memory.PAGE_SIZE + jitter;
            case 2 -> size + jitter;
            case 3 -> -1 - random.nextInt(Integer.MAX_VALUE);
            default -> random.nextInt(size);
        };
    }

    private static int random(long value, int bound) {
        return (int) Long.remainderUnsigned(value, bound);
    }

    private static void same(String what, Memory flat, Memory chicory, Function<Memory, Long> op) {
        Long expected;
        try {
            expected = op.apply(chicory);
        } catch (WasmRuntimeException e) {
            assertThrows(WasmRuntimeException.class, () -> op.apply(flat), what + ": Chicory trapped");
            return;
        } catch (RuntimeException e) {
            fail(what + ": Chicory's memory threw " + e);
            return;
        }
        try {
            assertEquals(expected, op.apply(flat), what);
        } catch (WasmRuntimeException e) {
            fail(what + ": trapped where Chicory's memory did not: " + e.getMessage());
        }
    }
}
