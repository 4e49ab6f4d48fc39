package io.llmsidecar.tokens;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-written pre-tokenizer finds exactly the pieces the o200k regex finds. */
class O200kPiecesTest {
    private static final Pattern REGEX = Pattern.compile(BpeTokenizer.O200K_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);
    private static final String[] CLASSES = {"[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]", "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]",
        "\\p{L}", "\\p{N}", "\\s", "[\\r\\n]"};

    @Test
    void everyCodePointIsClassifiedAsTheRegexClassifiesIt() {
        Pattern[] patterns = new Pattern[CLASSES.length];
        for (int k = 0; k < CLASSES.length; k++) {
            patterns[k] = Pattern.compile(CLASSES[k], Pattern.UNICODE_CHARACTER_CLASS);
        }
        for (int c = 0; c <= Character.MAX_CODE_POINT; c++) {
            String s = Character.toString(c);
            int expected = 0;
            for (int k = 0; k < CLASSES.length; k++) {
                if (patterns[k].matcher(s).matches()) {
                    expected |= 1 << k;
                }
            }
            assertEquals(expected, O200kPieces.classify(c), () -> "U+" + Integer.toHexString(s.codePointAt(0)));
        }
    }

    @Test
    void splitsRandomTextLikeTheRegex() {
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            String text = i % 10 == 0
                    ? BpeTokenizerTest.TextGenerator.adversarial(random, 1 + random.nextInt(400))
                    : BpeTokenizerTest.TextGenerator.mixed(random, 1 + random.nextInt(120));
            assertEquals(regexPieces(text), handPieces(text), "case " + i);
        }
    }

    @Test
    void splitsContractionsAndCaseEdgesLikeTheRegex() {
        for (String text : new String[] {"we'LL they'Re it'ſ I'M don't", "ǅungla'S", "日A日日AAb", "Ab'", "'s",
                "x'", "\u0301\u0301", ".\u0301a", ".ǅ", " \u0301", "a\r\n\r\n  \n b", "  \t x", " ", "\n", "a  ",
                "x //\n/", "1234567", "½¾⅓", "\u00a0\u00a0x", "\u2028", "a\u0085b"}) {
            assertEquals(regexPieces(text), handPieces(text), text);
        }
    }

    private static List<String> regexPieces(String text) {
        List<String> pieces = new ArrayList<>();
        for (Matcher m = REGEX.matcher(text); m.find(); ) {
            pieces.add(m.group());
        }
        return pieces;
    }

    private static List<String> handPieces(String text) {
        List<String> pieces = new ArrayList<>();
        for (int start = 0, end; start < text.length(); start = end) {
            end = O200kPieces.pieceEnd(text, start);
            if (end < 0) {
                end = text.offsetByCodePoints(start, 1);
            } else {
                pieces.add(text.substring(start, end));
            }
        }
        return pieces;
    }
}
