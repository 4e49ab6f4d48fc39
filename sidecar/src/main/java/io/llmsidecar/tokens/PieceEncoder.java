package io.llmsidecar.tokens;

import java.util.Arrays;

/**
 * Counts the tokens of one pre-tokenized piece by byte-level BPE in tiktoken's merge order: always merge the
 * adjacent pair with the lowest rank, the leftmost on a tie, until no pair is a token. Short pieces use tiktoken's
 * own array scan; longer ones a linked list and a min-heap keyed by (rank, position), which picks the same pair in
 * O(log n), so a piece of n bytes costs O(n log n) instead of O(n²).
 *
 * <p>Holds scratch arrays, so one instance serves one thread at a time.
 */
final class PieceEncoder {
    /** Up to here the quadratic scan beats the heap's bookkeeping. */
    static final int SCAN_MAX_BYTES = 48;
    private static final int NONE = Vocabulary.NONE;
    private static final int MERGED = -1;

    private final Vocabulary vocabulary;
    private int[] starts = new int[SCAN_MAX_BYTES + 1];
    private int[] ranks = new int[SCAN_MAX_BYTES + 1];
    private int[] next = new int[0];
    private int[] prev = new int[0];
    private long[] heap = new long[0];
    private int heapSize;

    PieceEncoder(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    /** Tokens of {@code piece[0, length)}, exactly as tiktoken encodes it. */
    int count(byte[] piece, int length) {
        if (length <= 1) {
            return length;
        }
        if (vocabulary.rank(piece, 0, length) != NONE) {
            return 1;
        }
        return length <= SCAN_MAX_BYTES ? scan(piece, length) : heap(piece, length);
    }

    /** tiktoken's byte_pair_merge: parts are boundaries, ranks[i] the rank of the pair starting at part i. */
    private int scan(byte[] piece, int length) {
        int size = length + 1;
        for (int i = 0; i < size; i++) {
            starts[i] = i;
            ranks[i] = i + 2 <= length ? vocabulary.rank(piece, i, i + 2) : NONE;
        }
        while (true) {
            int best = -1;
            int bestRank = NONE;
            for (int i = 0; i < size - 1; i++) {
                if (ranks[i] < bestRank) {
                    bestRank = ranks[i];
                    best = i;
                }
            }
            if (best < 0) {
                return size - 1;
            }
            if (best > 0) {
                ranks[best - 1] = best + 2 < size ? vocabulary.rank(piece, starts[best - 1], starts[best + 2]) : NONE;
            }
            ranks[best] = best + 3 < size ? vocabulary.rank(piece, starts[best], starts[best + 3]) : NONE;
            System.arraycopy(starts, best + 2, starts, best + 1, size - best - 2);
            System.arraycopy(ranks, best + 2, ranks, best + 1, size - best - 2);
            size--;
        }
    }

    /**
     * The same merges over a linked list of tokens (by start byte). ranks[i] is the rank of token i joined with its
     * successor; the heap holds (rank, i) for every finite rank ever set, and entries whose rank no longer matches
     * are stale and skipped. Popping the smallest (rank, i) is tiktoken's leftmost-lowest choice.
     */
    private int heap(byte[] piece, int length) {
        if (next.length < length) {
            int capacity = Math.max(length, next.length * 2);
            next = new int[capacity];
            prev = new int[capacity];
            ranks = new int[Math.max(capacity, SCAN_MAX_BYTES + 1)];
            heap = new long[capacity * 3];
        }
        heapSize = 0;
        for (int i = 0; i < length; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
            int rank = i + 2 <= length ? vocabulary.rank(piece, i, i + 2) : NONE;
            ranks[i] = rank;
            if (rank != NONE) {
                push(rank, i);
            }
        }
        int tokens = length;
        while (heapSize > 0) {
            long entry = pop();
            int i = (int) entry;
            if (ranks[i] != (int) (entry >>> 32)) {
                continue;
            }
            int merged = next[i];
            int after = next[merged];
            next[i] = after;
            if (after < length) {
                prev[after] = i;
            }
            ranks[merged] = MERGED;
            tokens--;
            int rank = after < length ? vocabulary.rank(piece, i, next[after]) : NONE;
            ranks[i] = rank;
            if (rank != NONE) {
                push(rank, i);
            }
            int before = prev[i];
            if (before >= 0) {
                rank = vocabulary.rank(piece, before, after);
                ranks[before] = rank;
                if (rank != NONE) {
                    push(rank, before);
                }
            }
        }
        return tokens;
    }

    private void push(int rank, int position) {
        if (heapSize == heap.length) {
            heap = Arrays.copyOf(heap, heap.length * 2);
        }
        long entry = (long) rank << 32 | position;
        int child = heapSize++;
        while (child > 0) {
            int parent = (child - 1) >>> 1;
            if (heap[parent] <= entry) {
                break;
            }
            heap[child] = heap[parent];
            child = parent;
        }
        heap[child] = entry;
    }

    private long pop() {
        long top = heap[0];
        long last = heap[--heapSize];
        int parent = 0;
        while (true) {
            int child = 2 * parent + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && heap[child + 1] < heap[child]) {
                child++;
            }
            if (last <= heap[child]) {
                break;
            }
            heap[parent] = heap[child];
            parent = child;
        }
        heap[parent] = last;
        return top;
    }
}
