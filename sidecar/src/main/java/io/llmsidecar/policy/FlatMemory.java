package io.llmsidecar.policy;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A policy module's linear memory as one array.
 *
 * <p>Why not Chicory's {@code ByteArrayMemory}: since Chicory 1.7 it keeps memory in 64 KiB pages (so that shared and
 * multi-gigabyte memories grow without copying), so every load and store looks up its page and checks whether the
 * value straddles two, and its {@code readInt} (46 bytes of bytecode, with the straddling branch) is too large for
 * the JIT to inline at the compiled module's many call sites that its profile does not find hot. Those accessors
 * were about a tenth of a full-pipeline request's CPU (docs/BENCHMARKS.md, issue 19). An OPA module's memory is
 * neither: it is never shared, a few MiB at most, and grows only while the first evaluations size its heap (each
 * evaluation starts again from the same heap pointer), so a flat array costs a copy now and then (see
 * {@link #grow}) and one bounds check per access. Chicory's own {@code ByteBufferMemory} is flat too but was slower
 * still (36–40 against 23 µs per evaluation in {@code PolicyEvaluationCpu}).
 *
 * <p>Out-of-bounds accesses trap with {@link WasmRuntimeException}, as Chicory's memories do; the module's atomic
 * instructions (which OPA does not emit) are not supported on a memory that is not shared.
 */
final class FlatMemory implements Memory {
    private static final ByteOrder WASM = ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, WASM);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, WASM);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, WASM);

    /** Past this, the array grows by this much at a time rather than doubling, so its spare room stays small. */
    private static final int MAX_SPARE = 4 * 1024 * 1024;

    private final MemoryLimits limits;
    /** The memory is its first {@link #size} bytes; the rest is room to grow into, never written, so still zero. */
    private byte[] bytes;
    private int size;
    private DataSegment[] dataSegments;

    FlatMemory(MemoryLimits limits) {
        if (limits.shared()) {
            throw new IllegalArgumentException("a policy module's memory is never shared");
        }
        this.limits = limits;
        this.size = Memory.bytes(limits.initialPages());
        this.bytes = new byte[size];
    }

    @Override
    public int pages() {
        return size / PAGE_SIZE;
    }

    /**
     * Grows by {@code pages}. OPA's allocator grows its memory a page or two at a time whenever its heap runs out, so
     * copying the array to the exact new size each time would copy quadratically while a large input is parsed (a
     * heap growing to 32 MiB a page at a time would copy 8 GB); the array grows ahead instead, doubling up to
     * {@link #MAX_SPARE} at a time, and most growths only move {@link #size}.
     */
    @Override
    public int grow(int pages) {
        int previous = pages();
        int wanted = previous + pages;
        if (wanted > maximumPages() || wanted < previous) {
            return -1;
        }
        int newSize = Memory.bytes(wanted);
        if (newSize > bytes.length) {
            long ahead = (long) bytes.length + Math.min(bytes.length, MAX_SPARE);
            bytes = Arrays.copyOf(bytes, (int) Math.min(Math.max(newSize, ahead), Memory.bytes(maximumPages())));
        }
        size = newSize;
        return previous;
    }

    /** The bytes held, the memory and the room it has to grow into. */
    int capacity() {
        return bytes.length;
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    @SuppressWarnings("removal")
    public Object lock(int address) {
        throw new UnsupportedOperationException("atomic access to a memory that is not shared");
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, int expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, long expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int notify(int address, int maxThreads) {
        return 0;
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        this.dataSegments = dataSegments;
        if (dataSegments == null) {
            return;
        }
        for (DataSegment s : dataSegments) {
            if (s instanceof ActiveDataSegment segment) {
                if (segment.index() != memoryIndex) {
                    continue;
                }
                int offset = (int) ConstantEvaluators.computeConstantValue(instance, segment.offsetInstructions())[0];
                byte[] data = segment.data();
                if (!inBounds(offset, data.length, size)) {
                    throw new UninstantiableException(outOfBoundsMessage(offset, data.length));
                }
                System.arraycopy(data, 0, bytes, offset, data.length);
            } else if (!(s instanceof PassiveDataSegment)) {
                throw new ChicoryException("Data segment should be active or passive: " + s);
            }
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        write(dest, dataSegments[segmentId].data(), offset, size);
    }

    @Override
    public void drop(int segment) {
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        if (!inBounds(offset, size, data.length) || !inBounds(addr, size, this.size)) {
            throw outOfBounds(addr, size);
        }
        System.arraycopy(data, offset, bytes, addr, size);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        if (!inBounds(addr, len, size)) {
            throw outOfBounds(addr, len);
        }
        return Arrays.copyOfRange(bytes, addr, addr + len);
    }

    @Override
    public void zero() {
        Arrays.fill(bytes, 0, size, (byte) 0);
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        if (!inBounds(fromIndex, toIndex - fromIndex, size)) {
            throw outOfBounds(fromIndex, toIndex - fromIndex);
        }
        Arrays.fill(bytes, fromIndex, toIndex, value);
    }

    @Override
    public void copy(int dest, int src, int size) {
        if (!inBounds(dest, size, this.size) || !inBounds(src, size, this.size)) {
            throw outOfBounds(dest, size);
        }
        System.arraycopy(bytes, src, bytes, dest, size);   // overlapping ranges copy as if through a temporary
    }

    // The accessors the compiled module calls for every load and store: a bounds check against the memory's size
    // and one array access, small enough to be inlined wherever they are called. The check is written out in each:
    // with a shared check method an evaluation took 21-22 µs against 19 (PolicyEvaluationCpu, two pairs).

    @Override
    public byte read(int addr) {
        if (addr < 0 || addr >= size) {
            throw outOfBounds(addr, 1);
        }
        return bytes[addr];
    }

    @Override
    public void writeByte(int addr, byte data) {
        if (addr < 0 || addr >= size) {
            throw outOfBounds(addr, 1);
        }
        bytes[addr] = data;
    }

    @Override
    public short readShort(int addr) {
        if (addr < 0 || addr > size - 2) {
            throw outOfBounds(addr, 2);
        }
        return (short) SHORTS.get(bytes, addr);
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public void writeShort(int addr, short data) {
        if (addr < 0 || addr > size - 2) {
            throw outOfBounds(addr, 2);
        }
        SHORTS.set(bytes, addr, data);
    }

    @Override
    public int readInt(int addr) {
        if (addr < 0 || addr > size - 4) {
            throw outOfBounds(addr, 4);
        }
        return (int) INTS.get(bytes, addr);
    }

    @Override
    public void writeI32(int addr, int data) {
        if (addr < 0 || addr > size - 4) {
            throw outOfBounds(addr, 4);
        }
        INTS.set(bytes, addr, data);
    }

    @Override
    public long readLong(int addr) {
        if (addr < 0 || addr > size - 8) {
            throw outOfBounds(addr, 8);
        }
        return (long) LONGS.get(bytes, addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        if (addr < 0 || addr > size - 8) {
            throw outOfBounds(addr, 8);
        }
        LONGS.set(bytes, addr, data);
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public float readFloat(int addr) {
        return Float.intBitsToFloat(readInt(addr));
    }

    @Override
    public void writeF32(int addr, float data) {
        writeI32(addr, Float.floatToRawIntBits(data));
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public double readDouble(int addr) {
        return Double.longBitsToDouble(readLong(addr));
    }

    @Override
    public void writeF64(int addr, double data) {
        writeLong(addr, Double.doubleToRawLongBits(data));
    }

    private static boolean inBounds(int addr, int size, int limit) {
        return addr >= 0 && size >= 0 && addr <= limit - size;
    }

    private WasmRuntimeException outOfBounds(int addr, int size) {
        return new WasmRuntimeException(outOfBoundsMessage(addr, size));
    }

    private String outOfBoundsMessage(int addr, int size) {
        return "out of bounds memory access: attempted to access address: " + addr + " but limit is: "
               + this.size + " and size: " + size;
    }
}
