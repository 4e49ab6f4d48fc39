package io.llmsidecar.tokens;

/**
 * Counts {@code o200k_base} tokens in time linear in the text: exact for ordinary text, an upper bound for
 * pathological text.
 *
 * <p>Text is split into the pieces of o200k's pre-tokenizer regex (the one tiktoken and jtokkit use), found by
 * {@link O200kPieces}, and each piece is merged by {@link PieceEncoder}. Ordinary pieces are words, numbers, punctuation runs and whitespace, a few bytes
 * each. A piece longer than {@code maxPieceBytes} only comes from text like one multi-megabyte "word" or a long run
 * of one character; BPE on it would cost O(n log n) in the piece, so it is counted as its UTF-8 length instead.
 * That bound is proven, not measured: byte-level BPE starts from one token per byte and every merge removes one, so
 * a piece never has more tokens than bytes. Pieces never share tokens, so the total stays an upper bound.
 *
 * <p>Thread-safe: each call has its own matcher and scratch space.
 */
final class BpeTokenizer {
    /**
     * Longer pieces are bounded, not merged. No piece in the tests' corpus (600 files of the JDK's sources, the
     * project's docs and JSON, CSV and logs) is longer; a separator line of 1,000 dashes is still counted exactly.
     */
    static final int DEFAULT_MAX_PIECE_BYTES = 1024;

    /**
     * o200k_base's pre-tokenizer, as tiktoken defines it and jtokkit spells it for java.util.regex (compiled with
     * UNICODE_CHARACTER_CLASS). {@link O200kPieces} finds the same pieces; the tests hold it to this pattern.
     */
    static final String O200K_PATTERN = String.join("|",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}",
            " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
            "\\s*[\\r\\n]+",
            "\\s+(?!\\S)",
            "\\s+");

    private final Vocabulary vocabulary;
    private final int maxPieceBytes;

    BpeTokenizer(Vocabulary vocabulary, int maxPieceBytes) {
        if (maxPieceBytes < 1) {
            throw new IllegalArgumentException("maxPieceBytes must be positive, was " + maxPieceBytes);
        }
        this.vocabulary = vocabulary;
        this.maxPieceBytes = maxPieceBytes;
    }

    /** The o200k_base vocabulary built into the jar, with the default piece bound. */
    static BpeTokenizer o200k() {
        return new BpeTokenizer(Vocabulary.load("o200k_base.bpev"), DEFAULT_MAX_PIECE_BYTES);
    }

    /** Tokens of {@code text} with no special tokens: exact unless a piece exceeds the bound, never fewer. */
    long count(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        PieceEncoder encoder = new PieceEncoder(vocabulary);
        byte[] bytes = new byte[Math.min(text.length() * 3, 3 * 256)];
        long tokens = 0;
        for (int start = 0, end; start < text.length(); start = end) {
            end = O200kPieces.pieceEnd(text, start);
            if (end < 0) {
                end = text.offsetByCodePoints(start, 1);
                continue;
            }
            int chars = end - start;
            if (chars > maxPieceBytes) {
                tokens += Utf8.length(text, start, end);
                continue;
            }
            if (bytes.length < chars * 3) {
                bytes = new byte[chars * 3];
            }
            int length = Utf8.encode(text, start, end, bytes);
            tokens += length > maxPieceBytes ? length : encoder.count(bytes, length);
        }
        return tokens;
    }
}
