package io.llmsidecar.detect;

/**
 * The bounded matchers that confirm a marker found by the {@link LiteralAutomaton}. Each one looks only at a window
 * of fixed size around its marker, so confirming every marker of a text costs at most a constant per marker: a
 * text made of nothing but markers stays linear. Each returns the index after the match, or -1.
 *
 * <p>Shapes follow the issuers' published formats; where a format is loose (OpenAI and Slack tokens) the matcher
 * also asks for the mix of characters a random token has, so ordinary identifiers after {@code sk-} do not count.
 * Token bodies of variable length are measured with a {@link RunMemo}, so markers repeated inside one run share one
 * scan of it. One instance per scan: it holds that scan's memos and scratch space.
 */
final class SecretShapes {
    /** Longest token body any matcher scans; a run longer than this is not a token. */
    static final int MAX_TOKEN = 256;
    private static final int MAX_KEY_LABEL = 64;
    private static final int MAX_JWT_HEADER = 2048;
    private static final int MAX_JWT_PART = 65_536;
    private static final String[] OPENAI_SCOPES = {"proj-", "svcacct-", "admin-"};

    private final RunMemo alnum = new RunMemo(SecretShapes::isAlnum);
    private final RunMemo word = new RunMemo(SecretShapes::isWord);
    private final RunMemo wordOrDash = new RunMemo(c -> isWord(c) || c == '-');
    private final RunMemo alnumOrDash = new RunMemo(c -> isAlnum(c) || c == '-');
    /** Made on the first token-shaped candidate: a scan is made per request, and most prompts have none. */
    private byte[] jwtHeader;

    /** {@code \b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b}. */
    static int awsAccessKey(String text, int start, int body) {
        if (!leftBoundary(text, start)) {
            return -1;
        }
        int end = body + 16;
        if (end > text.length()) {
            return -1;
        }
        for (int i = body; i < end; i++) {
            char c = text.charAt(i);
            if (!(isUpper(c) || isDigit(c))) {
                return -1;
            }
        }
        return rightBoundary(text, end) ? end : -1;
    }

    /** {@code -----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----}, the label within 64 characters. */
    static int privateKey(String text, int body) {
        int pos = body;
        int limit = Math.min(text.length(), body + MAX_KEY_LABEL);
        while (pos < limit) {
            if (text.startsWith("PRIVATE KEY", pos)) {
                pos += "PRIVATE KEY".length();
                if (text.startsWith(" BLOCK", pos)) {
                    pos += " BLOCK".length();
                }
                return text.startsWith("-----", pos) ? pos + 5 : -1;
            }
            int word = pos;
            while (pos < limit && (isUpper(text.charAt(pos)) || isDigit(text.charAt(pos)))) {
                pos++;
            }
            if (pos == word || pos >= limit || text.charAt(pos) != ' ') {
                return -1;
            }
            pos++;
        }
        return -1;
    }

    /** {@code \bgh[pousr]_[A-Za-z0-9]{36,255}\b}. */
    int githubClassicToken(String text, int start, int body) {
        if (!leftBoundary(text, start)) {
            return -1;
        }
        int end = alnum.end(text, body);
        int length = end - body;
        return length >= 36 && length <= 255 && rightBoundary(text, end) ? end : -1;
    }

    /** {@code \bgithub_pat_[A-Za-z0-9_]{22,255}\b}. */
    int githubFineGrainedToken(String text, int start, int body) {
        if (!leftBoundary(text, start)) {
            return -1;
        }
        int end = word.end(text, body);
        int length = end - body;
        return length >= 22 && length <= 255 && rightBoundary(text, end) ? end : -1;
    }

    /**
     * {@code \bsk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}} with upper case, lower case and a digit in the body:
     * a random key of 32+ characters has all three (a 48-character one lacks a digit once in 4,000).
     */
    int openAiKey(String text, int start, int body) {
        if (!leftBoundary(text, start)) {
            return -1;
        }
        int from = body;
        for (String scope : OPENAI_SCOPES) {
            if (text.startsWith(scope, body)) {
                from = body + scope.length();
                break;
            }
        }
        int end = wordOrDash.end(text, from);
        return end - from >= 32 && wordOrDash.mixedFrom(from) ? end : -1;
    }

    /** {@code \bxox[abprs]-[0-9A-Za-z-]{10,}} with at least one digit (Slack puts the team and user ids there). */
    int slackToken(String text, int start, int body) {
        if (!leftBoundary(text, start)) {
            return -1;
        }
        int end = alnumOrDash.end(text, body);
        return end - body >= 10 && alnumOrDash.digitFrom(body) ? end : -1;
    }

    /** {@code hooks.slack.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{8,}}. */
    static int slackWebhook(String text, int body) {
        int pos = idSegment(text, body, 'T');
        pos = pos < 0 ? -1 : idSegment(text, pos, 'B');
        if (pos < 0) {
            return -1;
        }
        int end = run(text, pos, SecretShapes::isWord);
        return end - pos >= 8 ? end : -1;
    }

    /** {@code \bAIza[0-9A-Za-z_-]{35}} and not followed by another key character. */
    static int googleApiKey(String text, int start, int body) {
        if (!leftBoundary(text, start) || start > 0 && text.charAt(start - 1) == '-') {
            return -1;
        }
        int end = run(text, body, c -> isWord(c) || c == '-');
        return end - body == 35 ? end : -1;
    }

    /**
     * Three base64url segments, the first a JSON object with an {@code "alg"} member (a JOSE header); the signature
     * may be empty ({@code alg: none}).
     */
    int jwt(String text, int start) {
        if (start > 0 && (isBase64Url(text.charAt(start - 1)) || text.charAt(start - 1) == '.')) {
            return -1;
        }
        int headerEnd = run(text, start, SecretShapes::isBase64Url, MAX_JWT_HEADER);
        if (headerEnd >= text.length() || text.charAt(headerEnd) != '.' || headerEnd - start < 10) {
            return -1;
        }
        int payloadEnd = run(text, headerEnd + 1, SecretShapes::isBase64Url, MAX_JWT_PART);
        if (payloadEnd - headerEnd - 1 < 2 || payloadEnd >= text.length() || text.charAt(payloadEnd) != '.') {
            return -1;
        }
        int signatureEnd = run(text, payloadEnd + 1, SecretShapes::isBase64Url, MAX_JWT_PART);
        if (signatureEnd < text.length() && isBase64Url(text.charAt(signatureEnd))) {
            return -1;                                     // longer than any signature: not a token
        }
        if (jwtHeader == null) {
            jwtHeader = new byte[MAX_JWT_HEADER];
        }
        return joseHeader(text, start, headerEnd, jwtHeader) ? signatureEnd : -1;
    }

    private static boolean joseHeader(String text, int from, int to, byte[] scratch) {
        int length = Base64Url.decode(text, from, to, scratch);
        if (length < 0) {
            return false;
        }
        int first = 0;
        while (first < length && isSpace(scratch[first])) {
            first++;
        }
        if (first == length || scratch[first] != '{') {
            return false;
        }
        for (int i = first; i + 4 < length; i++) {
            if (scratch[i] == '"' && scratch[i + 1] == 'a' && scratch[i + 2] == 'l' && scratch[i + 3] == 'g'
                && scratch[i + 4] == '"') {
                return true;
            }
        }
        return false;
    }

    private static int idSegment(String text, int pos, char first) {
        if (pos >= text.length() || text.charAt(pos) != first) {
            return -1;
        }
        int end = run(text, pos + 1, SecretShapes::isWord);
        return end > pos + 1 && end < text.length() && text.charAt(end) == '/' ? end + 1 : -1;
    }

    interface CharClass {
        boolean test(char c);
    }

    /** The end of the run of {@code cls} from {@code from}, looking at most {@link #MAX_TOKEN} + 1 characters. */
    static int run(String text, int from, CharClass cls) {
        return run(text, from, cls, MAX_TOKEN + 1);
    }

    static int run(String text, int from, CharClass cls, int max) {
        int limit = (int) Math.min(text.length(), (long) from + max);
        int i = from;
        while (i < limit && cls.test(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Regex {@code \b} before a marker that starts with a word character. */
    static boolean leftBoundary(String text, int start) {
        return start == 0 || !isWord(text.charAt(start - 1));
    }

    static boolean rightBoundary(String text, int end) {
        return end >= text.length() || !isWord(text.charAt(end));
    }

    static boolean isWord(char c) {
        return isAlnum(c) || c == '_';
    }

    static boolean isAlnum(char c) {
        return isDigit(c) || isUpper(c) || c >= 'a' && c <= 'z';
    }

    static boolean isUpper(char c) {
        return c >= 'A' && c <= 'Z';
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isBase64Url(char c) {
        return isWord(c) || c == '-';
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }
}
