package io.llmsidecar.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests against the exact tokenizer (jtokkit's o200k_base, the same tables tiktoken uses): merged without a
 * bound the counts are identical, and with any bound they are never lower. Cases come from a seeded generator, so a
 * failure names a seed and case that reproduce it.
 */
class BpeTokenizerTest {
    private static final Encoding ORACLE = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    private static final Vocabulary VOCABULARY = Vocabulary.load("o200k_base.bpev");
    private static final BpeTokenizer UNBOUNDED = new BpeTokenizer(VOCABULARY, Integer.MAX_VALUE);
    private static final BpeTokenizer DEFAULT = new BpeTokenizer(VOCABULARY, BpeTokenizer.DEFAULT_MAX_PIECE_BYTES);
    private static final BpeTokenizer TIGHT = new BpeTokenizer(VOCABULARY, 24);
    private static final long SEED = 0x5eed_70c3_11L;
    static final int MIXED_CASES = 20_000;
    static final int ADVERSARIAL_CASES = 2_000;

    @Test
    void vocabularyHoldsEveryO200kTokenAtItsRank() {
        assertEquals(199_998, VOCABULARY.size());
        for (int rank = 0; rank < VOCABULARY.size(); rank++) {
            IntArrayList one = new IntArrayList(1);
            one.add(rank);
            byte[] bytes = ORACLE.decodeBytes(one);
            assertEquals(rank, VOCABULARY.rank(bytes, 0, bytes.length), "rank " + rank);
        }
        assertEquals(Vocabulary.NONE, VOCABULARY.rank(new byte[200], 0, 200));
    }

    @Test
    void mixedTextCountsExactlyAndBoundedNeverBelow() {
        Random random = new Random(SEED);
        for (int i = 0; i < MIXED_CASES; i++) {
            assertProperties("mixed case " + i, TextGenerator.mixed(random, 1 + random.nextInt(240)));
        }
    }

    @Test
    void adversarialShapesCountExactlyAndBoundedNeverBelow() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < ADVERSARIAL_CASES; i++) {
            assertProperties("adversarial case " + i, TextGenerator.adversarial(random, 1 + random.nextInt(3_000)));
        }
    }

    @Test
    void longPiecesAreCountedAsTheirBytes() {
        String word = "a".repeat(3_000_000);
        assertEquals(3_000_000, DEFAULT.count(word));
        String mixed = "lorem ipsum " + "xy".repeat(10_000) + " dolor";
        // The space before a word belongs to its piece: " xyxy…" is 20,001 bytes.
        assertEquals(ORACLE.countTokensOrdinary("lorem ipsum") + 20_001 + ORACLE.countTokensOrdinary(" dolor"),
                DEFAULT.count(mixed));
        assertEquals(4 * 2_000, DEFAULT.count("😀".repeat(2_000)), "a piece of emoji: four bytes each");
        assertEquals(0, DEFAULT.count(""));
    }

    @Test
    void pieceJustUnderTheBoundIsExact() {
        String separator = "-".repeat(BpeTokenizer.DEFAULT_MAX_PIECE_BYTES);
        assertEquals(ORACLE.countTokensOrdinary(separator), DEFAULT.count(separator));
        String longer = separator + "-";
        assertEquals(longer.length(), DEFAULT.count(longer));
    }

    @Test
    void loneSurrogatesCountLikeStringGetBytes() {
        for (String text : new String[] {"\uD800", "a\uDC00b", "\uD83D", "x\uD83D\uD83D\uDE00y", "\uDE00\uD83D"}) {
            assertEquals(ORACLE.countTokensOrdinary(text), UNBOUNDED.count(text), text);
        }
    }

    private static void assertProperties(String label, String text) {
        long exact = ORACLE.countTokensOrdinary(text);
        assertEquals(exact, UNBOUNDED.count(text), () -> label + " (unbounded): " + describe(text));
        long bounded = DEFAULT.count(text);
        assertTrue(bounded >= exact, () -> label + " (default bound) " + bounded + " < " + exact + ": " + describe(text));
        if (text.length() <= BpeTokenizer.DEFAULT_MAX_PIECE_BYTES / 3) {
            assertEquals(exact, bounded, () -> label + " (short text is never bounded): " + describe(text));
        }
        long tight = TIGHT.count(text);
        assertTrue(tight >= exact, () -> label + " (tight bound) " + tight + " < " + exact + ": " + describe(text));
    }

    private static String describe(String text) {
        StringBuilder out = new StringBuilder(text.length() + " chars: ");
        text.codePoints().limit(120).forEach(cp -> out.append(cp < 0x20 || cp > 0x7e ? String.format("\\u%04x", cp)
                : String.valueOf((char) cp)));
        return out.toString();
    }

    /** Random text shaped like what apps send, and like what adversaries send. */
    static final class TextGenerator {
        private static final String[] WORDS = {"the", "The", "HTTP", "request's", "WE'LL", "don't", "I'M", "naïve",
                "Straße", "Größenordnung", "日本語", "中文字符", "한국어", "русский", "ελληνικά", "עברית", "العربية",
                "हिन्दी", "ไทย", "e\u0301", "\u0301\u0301a", "😀", "👍🏽", "🇩🇪", "ǅungla", "ʰaspirated", "ABCdef", "fooBar",
                "getHTTPResponseCode", "it'ſ", "\u0345x", "snake_case_name", "x", "I", "a", "ǈ", "Ⅻ", "½", "٣٤٥", "①②"};
        private static final String[] SYMBOLS = {".", ",", "!", "?", "...", "--", "->", "=>", "{", "}", "[", "]", "(",
                ")", "\"", "'", "`", "/", "//", "/*", "*/", "\\", "#", "@", "$", "%", "^", "&&", "||", ";", ":", "<",
                ">", "<|endoftext|>", "«", "»", "—", "…", "€", "©", "\u0000", "\u007f", "\u200b", "\ufeff"};
        private static final String[] SPACES = {" ", " ", " ", "  ", "\t", "\n", "\r\n", "\n\n", " \n", "\u00a0",
                "\u2028", "\u3000", "\u000b", "\f", "\r", "    "};

        static String mixed(Random random, int length) {
            StringBuilder out = new StringBuilder(length + 16);
            while (out.length() < length) {
                switch (random.nextInt(10)) {
                    case 0, 1, 2 -> out.append(pick(random, WORDS));
                    case 3 -> out.append(pick(random, SYMBOLS));
                    case 4, 5 -> out.append(pick(random, SPACES));
                    case 6 -> out.append(random.nextInt(1_000_000));
                    case 7 -> out.appendCodePoint(randomCodePoint(random));
                    case 8 -> out.append((char) (0xD800 + random.nextInt(0x800))); // a lone surrogate
                    default -> out.append((char) (0x20 + random.nextInt(0x5f)));
                }
            }
            return out.toString();
        }

        static String adversarial(Random random, int length) {
            IntFunction<String> shape = switch (random.nextInt(9)) {
                case 0 -> n -> String.valueOf(pick(random, "aAzZ=-_ .\n\t0*#😀é日".split(""))).repeat(n);
                case 1 -> n -> letters(random, n);
                case 2 -> n -> fromAlphabet(random, n,
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
                case 3 -> n -> fromAlphabet(random, n, "0123456789abcdef");
                case 4 -> n -> fromAlphabet(random, n, "abcdefghij(){};,.=+-*/<>!&|\"'0123456789 ");
                case 5 -> n -> String.join(pick(random, new String[] {" ", "-", "", "\n"}),
                        java.util.Collections.nCopies(n / 4 + 1, pick(random, new String[] {"sk-", "AKIA", "ghp_",
                                "4111", "12"})));
                case 6 -> n -> fromAlphabet(random, n, " \t\n\r\u00a0");
                case 7 -> n -> mixed(random, n / 2) + letters(random, n / 2) + mixed(random, 8);
                default -> n -> fromAlphabet(random, n, "!@#$%^&*()[]{}<>?/\\|~`'\";:.,");
            };
            return shape.apply(length);
        }

        private static String letters(Random random, int n) {
            return fromAlphabet(random, n, random.nextBoolean() ? "abcdefghijklmnopqrstuvwxyz"
                    : "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ");
        }

        private static String fromAlphabet(Random random, int n, String alphabet) {
            // Skewed towards few symbols so runs and repeats (what merges chew on) are common.
            int span = 1 + random.nextInt(alphabet.length());
            StringBuilder out = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                out.append(alphabet.charAt(random.nextInt(span)));
            }
            return out.toString();
        }

        private static int randomCodePoint(Random random) {
            while (true) {
                int cp = random.nextInt(4) == 0 ? random.nextInt(0x110000) : random.nextInt(0x3000);
                if (Character.isDefined(cp) && !Character.isSurrogate((char) cp)) {
                    return cp;
                }
            }
        }

        private static String pick(Random random, String[] options) {
            return options[random.nextInt(options.length)];
        }
    }
}
