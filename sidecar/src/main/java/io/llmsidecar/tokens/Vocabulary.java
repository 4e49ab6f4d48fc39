package io.llmsidecar.tokens;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * A byte-level BPE vocabulary in about 4.5 MB of heap: every token's bytes in one blob, their offsets by rank, and an
 * open-addressing index from bytes to rank. jtokkit keeps the same o200k table as maps of boxed keys and values,
 * about 31 MB.
 *
 * <p>The resource is generated at build time from jtokkit's rank file ({@code src/build/java/GenerateVocabulary.java});
 * the index is built here, at load, so the hash function lives in one place. The generator has checked that every
 * token is distinct and ranks run 0..N-1.
 */
final class Vocabulary {
    /** Returned by the lookups for byte strings that are not a token. */
    static final int NONE = Integer.MAX_VALUE;

    private static final int MAGIC = 0x42504556; // "BPEV"
    private static final int VERSION = 1;
    private static final int EMPTY = -1;

    private final byte[] blob;
    private final int[] offsets;
    /** Rank by slot, {@link #EMPTY} where free; at most half full so probes stay short. */
    private final int[] index;
    /** Ranks of all two-byte strings: the most frequent lookup during merges, answered without hashing. */
    private final int[] pairs = new int[1 << 16];
    private final int maxTokenLength;

    private Vocabulary(byte[] blob, int[] offsets) {
        this.blob = blob;
        this.offsets = offsets;
        int count = offsets.length - 1;
        int slots = Integer.highestOneBit(Math.max(count, 1) * 2 - 1) << 1;
        this.index = new int[slots];
        Arrays.fill(index, EMPTY);
        Arrays.fill(pairs, NONE);
        int longest = 0;
        for (int rank = 0; rank < count; rank++) {
            longest = Math.max(longest, offsets[rank + 1] - offsets[rank]);
        }
        this.maxTokenLength = longest;
        for (int rank = 0; rank < count; rank++) {
            int start = offsets[rank];
            int length = offsets[rank + 1] - start;
            if (length == 2) {
                pairs[(blob[start] & 0xff) << 8 | blob[start + 1] & 0xff] = rank;
            }
            int slot = hash(blob, start, start + length) & (slots - 1);
            while (index[slot] != EMPTY) {
                slot = (slot + 1) & (slots - 1);
            }
            index[slot] = rank;
        }
        for (int b = 0; b < 256; b++) {
            if (rank(new byte[] {(byte) b}, 0, 1) == NONE) {
                throw new IllegalStateException("vocabulary lacks the single byte " + b + "; byte-level BPE needs all 256");
            }
        }
    }

    /** Reads a vocabulary in the format GenerateVocabulary writes. */
    static Vocabulary read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(new ByteArrayInputStream(in.readAllBytes()));
        if (data.readInt() != MAGIC || data.readInt() != VERSION) {
            throw new IllegalStateException("not a version " + VERSION + " vocabulary resource; rebuild with mvn package");
        }
        int count = data.readInt();
        int blobLength = data.readInt();
        byte[] lengths = new byte[count];
        data.readFully(lengths);
        byte[] blob = new byte[blobLength];
        data.readFully(blob);
        int[] offsets = new int[count + 1];
        for (int rank = 0; rank < count; rank++) {
            offsets[rank + 1] = offsets[rank] + (lengths[rank] & 0xff);
        }
        if (offsets[count] != blobLength) {
            throw new IllegalStateException("vocabulary resource is corrupt: lengths add up to " + offsets[count]
                    + " bytes, blob has " + blobLength);
        }
        return new Vocabulary(blob, offsets);
    }

    /** Loads a vocabulary resource that lives beside this class. */
    static Vocabulary load(String resource) {
        try (InputStream in = Vocabulary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the classpath; the Maven build generates it"
                        + " (generate-o200k-vocabulary)");
            }
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the vocabulary " + resource, e);
        }
    }

    /** The rank of {@code bytes[start, end)} as one token, or {@link #NONE}. */
    int rank(byte[] bytes, int start, int end) {
        int length = end - start;
        if (length == 2) {
            return pairs[(bytes[start] & 0xff) << 8 | bytes[start + 1] & 0xff];
        }
        if (length > maxTokenLength) {
            return NONE;
        }
        int mask = index.length - 1;
        for (int slot = hash(bytes, start, end) & mask; ; slot = (slot + 1) & mask) {
            int rank = index[slot];
            if (rank == EMPTY) {
                return NONE;
            }
            int offset = offsets[rank];
            if (offsets[rank + 1] - offset == length
                    && Arrays.equals(blob, offset, offset + length, bytes, start, end)) {
                return rank;
            }
        }
    }

    int size() {
        return offsets.length - 1;
    }

    int maxTokenLength() {
        return maxTokenLength;
    }

    private static int hash(byte[] bytes, int start, int end) {
        int h = 0x811C9DC5;
        for (int i = start; i < end; i++) {
            h = (h ^ (bytes[i] & 0xff)) * 0x01000193;
        }
        h ^= h >>> 15;
        h *= 0x2C1B3C6D;
        return h ^ h >>> 12;
    }
}
