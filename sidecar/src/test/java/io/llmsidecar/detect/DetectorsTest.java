package io.llmsidecar.detect;

import io.llmsidecar.openai.PromptText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A labelled set of synthetic secrets in varied surroundings: every one must be found, with its kind. */
class DetectorsTest {
    static final Detectors DEFAULT = Detectors.create(DetectorConfig.DEFAULT);
    static final Detectors WITH_PII = Detectors.create(new DetectorConfig(EnumSet.of(FindingKind.EMAIL,
                                                                                        FindingKind.PHONE)));

    /** Synthetic secrets, one per line of the labelled set; none of them is real. */
    static final Map<String, FindingKind> SECRETS = Map.ofEntries(
            Map.entry("AKIAIOSFODNN7EXAMPLE", FindingKind.AWS_ACCESS_KEY),
            Map.entry("ASIAY34FZKBOKMUTVV7A", FindingKind.AWS_ACCESS_KEY),
            Map.entry("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
                      FindingKind.PRIVATE_KEY),
            Map.entry("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", FindingKind.PRIVATE_KEY),
            Map.entry("-----BEGIN OPENSSH PRIVATE KEY-----", FindingKind.PRIVATE_KEY),
            Map.entry("-----BEGIN EC PRIVATE KEY-----", FindingKind.PRIVATE_KEY),
            Map.entry("-----BEGIN ENCRYPTED PRIVATE KEY-----", FindingKind.PRIVATE_KEY),
            Map.entry("-----BEGIN PGP PRIVATE KEY BLOCK-----", FindingKind.PRIVATE_KEY),
            Map.entry("ghp_R2d2C3poBB8xWingX9TieFighterDeath012", FindingKind.GITHUB_TOKEN),
            Map.entry("gho_16C7e42F292c6912E7710c838347Ae178B4a", FindingKind.GITHUB_TOKEN),
            Map.entry("ghs_k7Hp2Lm9Qx4Rt8Vw1Yz3Bc6Df0Gh5Jn2Kp4S", FindingKind.GITHUB_TOKEN),
            Map.entry("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP0123456789abcdef",
                      FindingKind.GITHUB_TOKEN),
            Map.entry("sk-proj-Xy7Qm2Lp9Rt4Vw8Zb3Nc6Hd1Jf5Kg0Ms2Pa7Tq9Ue4Wr8Yt3", FindingKind.OPENAI_KEY),
            Map.entry("sk-9aZbQ3cYdX7eWfV1gUhT5iSjR2kQlP8mOnN4oMpL6qKr", FindingKind.OPENAI_KEY),
            Map.entry("sk-svcacct-Hn3Bx8Kq2Wm7Zt5Rv9Ly4Pc1Fd6Js0Ga3Eu8Oi2Tb", FindingKind.OPENAI_KEY),
            Map.entry("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", FindingKind.SLACK_TOKEN),
            Map.entry("xoxp-2837465019-5647382910-918273645501-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
                      FindingKind.SLACK_TOKEN),
            Map.entry("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                      FindingKind.SLACK_WEBHOOK),
            Map.entry("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", FindingKind.GOOGLE_API_KEY),
            Map.entry("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
                      + "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", FindingKind.JWT),
            Map.entry("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", FindingKind.JWT),
            Map.entry("4111111111111111", FindingKind.PAYMENT_CARD),
            Map.entry("4111 1111 1111 1111", FindingKind.PAYMENT_CARD),
            Map.entry("4111-1111-1111-1111", FindingKind.PAYMENT_CARD),
            Map.entry("5555555555554444", FindingKind.PAYMENT_CARD),
            Map.entry("2223 0031 2200 3222", FindingKind.PAYMENT_CARD),
            Map.entry("378282246310005", FindingKind.PAYMENT_CARD),
            Map.entry("3782 822463 10005", FindingKind.PAYMENT_CARD),
            Map.entry("6011111111111117", FindingKind.PAYMENT_CARD),
            Map.entry("3530111333300000", FindingKind.PAYMENT_CARD),
            Map.entry("3056 930902 5904", FindingKind.PAYMENT_CARD),
            Map.entry("6200000000000005", FindingKind.PAYMENT_CARD),
            Map.entry("6759649826438453", FindingKind.PAYMENT_CARD),
            Map.entry("4222222222222", FindingKind.PAYMENT_CARD),
            Map.entry("4000 0566 5566 5556 123", FindingKind.PAYMENT_CARD));

    /** Surroundings a secret turns up in: {@code %s} is the secret. */
    static final List<String> SURROUNDINGS = List.of(
            "%s",
            "key: %s",
            "%s is the key",
            "{\"api_key\":\"%s\",\"region\":\"eu-west-1\"}",
            "export TOKEN='%s'",
            "config = {'token': \"%s\"}",
            "curl -H \"Authorization: Bearer %s\" https://api.example.com/v1",
            "https://example.com/callback?token=%s&x=1",
            "line one\nline two: %s\nline three",
            "(%s)",
            "[%s]",
            "<secret>%s</secret>",
            "ключ: %s — спасибо",
            "密钥：%s。",
            "😀 %s 😀",
            "value=%s;",
            "\t%s\r\n",
            "// %s",
            "`%s`");

    static List<Object[]> labelled() {
        List<Object[]> cases = new ArrayList<>();
        SECRETS.forEach((secret, kind) -> SURROUNDINGS.forEach(s -> cases.add(new Object[] {kind, secret, s})));
        return cases;
    }

    @ParameterizedTest(name = "{0} in \"{2}\"")
    @MethodSource("labelled")
    void findsEverySyntheticSecretWhereverItSits(FindingKind kind, String secret, String surrounding) {
        String text = surrounding.formatted(secret);
        Findings findings = DEFAULT.scan(List.of(new PromptText(text, "messages[0].content")));
        assertEquals(Set.of(kind), findings.kinds(), "in " + text.replace(secret, "<" + kind.code() + ">"));
        assertEquals(1, findings.count(kind));
        assertEquals(List.of("messages[0].content"), findings.where(kind));
    }

    @Test
    void countsPerKindAndNamesEveryPlaceButNeverTheText() throws Exception {
        Findings findings = DEFAULT.scan(List.of(
                new PromptText("hello", "messages[0].content"),
                new PromptText("AKIAIOSFODNN7EXAMPLE and AKIAI44QH8DHBEXAMPLE", "messages[1].content"),
                new PromptText("card 4111 1111 1111 1111", "messages[2].content[1].text"),
                new PromptText("{\"k\":\"AKIAIOSFODNN7EXAMPLE\"}", "messages[3].tool_calls[0].function.arguments")));
        assertEquals(EnumSet.of(FindingKind.AWS_ACCESS_KEY, FindingKind.PAYMENT_CARD), findings.kinds());
        assertEquals(3, findings.count(FindingKind.AWS_ACCESS_KEY));
        assertEquals(List.of("messages[1].content", "messages[3].tool_calls[0].function.arguments"),
                     findings.where(FindingKind.AWS_ACCESS_KEY));
        var out = new java.io.StringWriter();
        try (var g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(out)) {
            findings.write(g);
        }
        assertEquals("{\"aws_access_key\":{\"count\":3,\"where\":[\"messages[1].content\","
                     + "\"messages[3].tool_calls[0].function.arguments\"],"
                     + "\"confidence\":\"high\",\"high\":3,\"low\":0},"
                     + "\"payment_card\":{\"count\":1,\"where\":[\"messages[2].content[1].text\"],"
                     + "\"confidence\":\"high\",\"high\":1,\"low\":0}}", out.toString());
        assertFalse(out.toString().contains("AKIA"));
    }

    @Test
    void findsNothingInNothing() {
        assertTrue(DEFAULT.scan(List.of()).isEmpty());
        assertTrue(DEFAULT.scan(List.of(new PromptText("", "messages[0].content"))).isEmpty());
    }

    @Test
    void countsEachCardOnceEvenWhenGroupsCouldBeReadTwoWays() {
        assertEquals(2, count("4111111111111111 5555555555554444", FindingKind.PAYMENT_CARD));
        assertEquals(1, count("4111 1111 1111 1111 12/28 123", FindingKind.PAYMENT_CARD));
        assertEquals(2, count("4111 1111 1111 1111, 5555 5555 5555 4444", FindingKind.PAYMENT_CARD));
    }

    @Test
    void ignoresNumbersThatAreNotCards() {
        for (String text : List.of(
                "order 4111 1111 1111 1112",                 // Luhn fails
                "call +49 30 1234567 or 030 7654321",
                "invoice 2024-000123",
                "long x = 4111111111111111L;",               // a Java literal, touches a letter
                "id_4111111111111111",
                "0.4111111111111111",                        // the fraction of a decimal
                "41111111111111111111",                      // 20 digits: inside a longer run
                "1 4111111111111111 2",                      // fine: the card is found ... see below
                "99994111111111111111",
                "4111 1111 1111 111",                        // not a card layout (4-4-4-3)
                "4111-1111 1111-1111",                       // mixed separators
                "1700000000000 1767616200000000000",         // epoch millis and nanos
                "7992739871 3",                              // Luhn-valid but no issuer
                "3-4111111111111111x")) {
            int expected = text.equals("1 4111111111111111 2") ? 1 : 0;
            assertEquals(expected, count(text, FindingKind.PAYMENT_CARD), text);
        }
    }

    @Test
    void aGridOfFourDigitGroupsIsNotReadAsCards() {
        // Random digits in groups of four: about one window in twenty would pass the issuer ranges and Luhn.
        var random = new java.util.Random(42);
        for (char separator : new char[] {' ', '-'}) {
            var grid = new StringBuilder();
            for (int i = 0; i < 20_000; i++) {
                grid.append(String.format("%04d", random.nextInt(10_000))).append(separator);
            }
            assertEquals(0, count(grid.toString(), FindingKind.PAYMENT_CARD), "separator '" + separator + "'");
        }
        // A card next to four-digit numbers of another kind is still a card when a non-group separates them.
        assertEquals(1, count("ref 2024, card 4111 1111 1111 1111, exp 12/28", FindingKind.PAYMENT_CARD));
        assertEquals(0, count("1234 4111 1111 1111 1111", FindingKind.PAYMENT_CARD), "a window of a longer grid");
        assertEquals(0, count("4111 1111 1111 1111 2345", FindingKind.PAYMENT_CARD), "a window of a longer grid");
    }

    @Test
    void ratesACardHighWhenSeparatorsAContextWordOrItsOwnLineSupportIt() {
        for (String text : List.of(
                "4242 4242 4242 4242",                                   // a card layout
                "3782-822463-10005",
                "pay with 4242424242424242 today",                       // "pay" is no context word, but ...
                "my visa is 4242424242424242",
                "4242424242424242 exp 12/30",                            // a context word after it
                "{\"cardNumber\":\"4242424242424242\"}",                   // camelCase
                "cc_number=4242424242424242&cc_exp=1230",                // snake_case
                "CVV 123 for 4242424242424242",
                "Name: Jane\n4242424242424242\nThanks",                  // alone on its line
                "4242424242424242",                                      // a whole form field
                "  \"4242424242424242\"  ",
                "我的信用卡号是4242424242424242。".replace("是", "是 "))) {
            int expected = text.startsWith("pay with") ? 0 : 1;
            assertEquals(expected, count(text, FindingKind.PAYMENT_CARD, Confidence.HIGH), text);
            assertEquals(1, count(text, FindingKind.PAYMENT_CARD), text);
        }
        assertEquals(1, count("see 4242424242424242 for details", FindingKind.PAYMENT_CARD, Confidence.LOW));
        assertEquals(1, count("discard 4242424242424242 later", FindingKind.PAYMENT_CARD, Confidence.LOW),
                     "a context word must be a whole word or identifier part");
        assertEquals(1, count("a wildcard and 4242424242424242", FindingKind.PAYMENT_CARD, Confidence.LOW));
    }

    @Test
    void digitsOfALargerNumericTokenAreNeverACard() {
        for (String text : List.of(
                "x := -8.6859247685756013e+00",                          // fraction of a float literal
                "4111111111111111.5",
                "1.4111111111111111e-05",
                "1e+4111111111111111",                                    // an exponent
                "x = 0x4111111111111111",                                 // hex
                "card -4111111111111111",                                 // a minus sign, even beside "card"
                "card +4111111111111111",
                "card 2024-4111111111111111",                             // joined by a dash to another number
                "card 4111111111111111-7",
                "card v.4111111111111111",
                "card 4111111111111111.toString()",
                "card 4111111111111111_000")) {
            assertEquals(0, count(text, FindingKind.PAYMENT_CARD), text);
        }
    }

    @Test
    void aLongListOfNumbersIsNotReadAsCardsUnlessMostOfThemAreCards() {
        String noise = "1395769623340756751, 5333664234075297259, 8140875735541888011, ";
        // One Luhn-valid number among int64 constants, in a Go table, a JSON array, a column, a row of strings.
        for (String list : List.of("{" + noise + "4111111111111111, 1234567890123456789}",
                                   "[" + noise.replace(", ", ",") + "4111111111111111]",
                                   noise.replace(", ", "\n") + "4111111111111111\n",
                                   "[\"" + noise.replace(", ", "\", \"") + "4111111111111111\"]",
                                   "{" + noise.replace(", ", "ULL, ") + "4111111111111111ULL}",
                                   "{-" + noise.replace(", ", ", -") + "4111111111111111}",
                                   "card numbers: " + noise + "4111111111111111")) {
            assertEquals(0, count(list, FindingKind.PAYMENT_CARD), list);
        }
        // Three numbers are not a long list: each keeps its own evidence.
        assertEquals(1, count("1395769623340756751, 4111111111111111, 8140875735541888011", FindingKind.PAYMENT_CARD,
                              Confidence.LOW));
        // A list that is mostly cards is a list of cards, all high.
        String cards = "4111111111111111\n5555555555554444\n378282246310005\n1395769623340756751\n6011111111111117";
        assertEquals(4, count(cards, FindingKind.PAYMENT_CARD, Confidence.HIGH));
        assertEquals(0, count(cards, FindingKind.PAYMENT_CARD, Confidence.LOW));
        // A number alone on its line, but among numbers that are not cards, is only low.
        assertEquals(1, count("4111111111111111\n1395769623340756751", FindingKind.PAYMENT_CARD, Confidence.LOW));
        // Prose between numbers ends a list.
        assertEquals(1, count(noise + "and my card is 4111111111111111", FindingKind.PAYMENT_CARD, Confidence.HIGH));
    }

    @Test
    void everyOtherKindIsHighConfidence() {
        Findings findings = WITH_PII.scan(List.of(new PromptText(
                "AKIAIOSFODNN7EXAMPLE jane@example.com +49 30 12345678 " + SECRETS.keySet().stream()
                        .filter(s -> !s.matches("[0-9 -]+")).reduce("", (a, b) -> a + "\n" + b), "m")));
        for (FindingKind kind : findings.kinds()) {
            assertEquals(0, findings.count(kind, Confidence.LOW), kind.code());
            assertEquals(java.util.Optional.of(Confidence.HIGH), findings.confidence(kind), kind.code());
        }
        assertEquals(EnumSet.complementOf(EnumSet.of(FindingKind.PAYMENT_CARD)), EnumSet.copyOf(findings.kinds()));
    }

    @Test
    void ignoresTextThatOnlyContainsAMarker() {
        String text = "a task-based risk-free desk-top plan; ASIAN food; xox; eyJ; AIza; ghp_; "
                      + "sk-learn-is-a-python-library-for-machine-learning-tasks; -----BEGIN CERTIFICATE-----; "
                      + "SECRET_KEY = os.environ['AWS_SECRET_ACCESS_KEY']; hooks.slack.com/services/; "
                      + "AKIAIOSFODNN7EXAMPL; AKIAIOSFODNN7EXAMPLEX; xAKIAIOSFODNN7EXAMPLE; "
                      + "eyJhbGciOiJIUzI1NiJ9 alone; eyJub3QiOiJqb3NlIn0.eyJhIjoxfQ.c2ln";
        assertEquals(Set.of(), DEFAULT.scan(List.of(new PromptText(text, "messages[0].content"))).kinds());
    }

    @Test
    void looksForPersonalDataOnlyWhenConfigured() {
        String text = "write to jane.doe+llm@mail.example.co.uk or call +49 30 12345678 / +1 (415) 555-0132";
        assertTrue(DEFAULT.scan(List.of(new PromptText(text, "m"))).isEmpty());
        Findings findings = WITH_PII.scan(List.of(new PromptText(text, "m")));
        assertEquals(1, findings.count(FindingKind.EMAIL));
        assertEquals(2, findings.count(FindingKind.PHONE));
        assertEquals(Set.of(), WITH_PII.scan(List.of(new PromptText(
                "@Override public int a+b; x@y; user@localhost; v1.2+3; +12; a+4930123456789", "m"))).kinds());
    }

    private static int count(String text, FindingKind kind) {
        return DEFAULT.scan(List.of(new PromptText(text, "messages[0].content"))).count(kind);
    }

    private static int count(String text, FindingKind kind, Confidence confidence) {
        return DEFAULT.scan(List.of(new PromptText(text, "messages[0].content"))).count(kind, confidence);
    }
}
