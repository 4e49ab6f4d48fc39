package io.llmsidecar.detect;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Aho–Corasick over ASCII literals, compiled to a full transition table so that each character of the text costs
 * one array lookup whatever the literals are: finding every marker in a text is one pass, never a rescan per
 * marker. Characters outside ASCII return to the start state (no literal contains one).
 *
 * <p>A state is its row's offset in the table ({@code index * 128}), so a step is one load and one add; a state
 * where some literal ends has the sign bit set, so the scan tests one bit per character instead of loading a list.
 */
final class LiteralAutomaton {
    private static final int ALPHABET = 128;
    private static final int[] NONE = new int[0];

    private static final int MATCHES = Integer.MIN_VALUE;

    private final int[] next;        // row offset + char -> the next state's row offset, | MATCHES if literals end
    private final int[][] matches;   // state -> ids of the literals that end here (own and via failure links)
    private final int[] lengths;     // literal id -> length

    private LiteralAutomaton(int[] next, int[][] matches, int[] lengths) {
        this.next = next;
        this.matches = matches;
        this.lengths = lengths;
    }

    static LiteralAutomaton of(List<String> literals) {
        List<int[]> trie = new ArrayList<>();
        List<int[]> output = new ArrayList<>();
        trie.add(newRow());
        output.add(NONE);
        int[] lengths = new int[literals.size()];
        for (int id = 0; id < literals.size(); id++) {
            String literal = literals.get(id);
            if (literal.isEmpty()) {
                throw new IllegalArgumentException("empty literal");
            }
            lengths[id] = literal.length();
            int state = 0;
            for (int i = 0; i < literal.length(); i++) {
                char c = literal.charAt(i);
                if (c >= ALPHABET) {
                    throw new IllegalArgumentException("literal is not ASCII: " + literal);
                }
                if (trie.get(state)[c] < 0) {
                    trie.get(state)[c] = trie.size();
                    trie.add(newRow());
                    output.add(NONE);
                }
                state = trie.get(state)[c];
            }
            output.set(state, append(output.get(state), id));
        }
        int states = trie.size();
        int[] next = new int[states * ALPHABET];
        int[] fail = new int[states];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int c = 0; c < ALPHABET; c++) {
            int child = trie.get(0)[c];
            next[c] = Math.max(child, 0);
            if (child > 0) {
                queue.add(child);
            }
        }
        while (!queue.isEmpty()) {
            int state = queue.poll();
            output.set(state, merge(output.get(state), output.get(fail[state])));
            for (int c = 0; c < ALPHABET; c++) {
                int child = trie.get(state)[c];
                if (child > 0) {
                    fail[child] = next[fail[state] * ALPHABET + c];
                    next[state * ALPHABET + c] = child;
                    queue.add(child);
                } else {
                    next[state * ALPHABET + c] = next[fail[state] * ALPHABET + c];
                }
            }
        }
        for (int i = 0; i < next.length; i++) {
            int target = next[i];
            next[i] = target * ALPHABET | (output.get(target).length > 0 ? MATCHES : 0);
        }
        return new LiteralAutomaton(next, output.toArray(int[][]::new), lengths);
    }

    static int start() {
        return 0;
    }

    /**
     * The state after reading {@code c} in {@code state}; negative when literals end there: then
     * {@link #matches(int)} lists them and {@link #clear(int)} is the state to continue from.
     */
    int step(int state, char c) {
        return c < ALPHABET ? next[state + c] : 0;
    }

    static int clear(int state) {
        return state & ~MATCHES;
    }

    /** The literals that end at the character that led to {@code state} (as returned by {@link #step}). */
    int[] matches(int state) {
        return matches[clear(state) / ALPHABET];
    }

    int length(int literal) {
        return lengths[literal];
    }

    private static int[] newRow() {
        int[] row = new int[ALPHABET];
        Arrays.fill(row, -1);
        return row;
    }

    private static int[] append(int[] ids, int id) {
        int[] more = Arrays.copyOf(ids, ids.length + 1);
        more[ids.length] = id;
        return more;
    }

    private static int[] merge(int[] own, int[] inherited) {
        if (inherited.length == 0) {
            return own;
        }
        int[] all = Arrays.copyOf(own, own.length + inherited.length);
        System.arraycopy(inherited, 0, all, own.length, inherited.length);
        return all;
    }
}
