package io.llmsidecar.detect;

/**
 * The maximal run of one character class around a position, remembered: markers that sit inside one long run
 * ({@code "sk-sk-sk-..."}, where every marker's token body is the rest of the run) share one scan of it instead of
 * each scanning its own window, so confirming all of them costs one pass over the run. Candidates arrive in text
 * order, so a run is scanned at most once. Also remembers where the run last had an upper-case letter, a lower-case
 * letter and a digit, which is all the character-mix checks need.
 */
final class RunMemo {
    private final SecretShapes.CharClass cls;
    private String text;
    private int start;
    private int end;
    private int lastUpper;
    private int lastLower;
    private int lastDigit;

    RunMemo(SecretShapes.CharClass cls) {
        this.cls = cls;
    }

    /** The end of the run of this class that starts at or contains {@code from}. */
    int end(String text, int from) {
        if (text != this.text || from < start || from >= end) {
            this.text = text;
            start = from;
            lastUpper = -1;
            lastLower = -1;
            lastDigit = -1;
            int i = from;
            int n = text.length();
            while (i < n) {
                char c = text.charAt(i);
                if (!cls.test(c)) {
                    break;
                }
                if (c >= 'A' && c <= 'Z') {
                    lastUpper = i;
                } else if (c >= 'a' && c <= 'z') {
                    lastLower = i;
                } else if (c >= '0' && c <= '9') {
                    lastDigit = i;
                }
                i++;
            }
            end = i;
        }
        return end;
    }

    /** Whether the run, from {@code from} on, has an upper-case letter, a lower-case letter and a digit. */
    boolean mixedFrom(int from) {
        return lastUpper >= from && lastLower >= from && lastDigit >= from;
    }

    boolean digitFrom(int from) {
        return lastDigit >= from;
    }
}
