package io.meshdns.forwarder;

/**
 * One token of a Corefile together with the whitespace and comments before it ({@code leading}), so that
 * concatenating {@code leading + raw} of every token, plus the trailing trivia, gives back the file byte for
 * byte.
 *
 * @param raw the token as written, quotes and escapes included
 * @param value the token as CoreDNS reads it (quotes removed, {@code \"} unescaped)
 * @param newlineBefore a line break separates this token from the previous one: CoreDNS starts a new
 *     directive (or ends a key list) there
 */
record Token(Kind kind, String leading, String raw, String value, int offset, int line, boolean newlineBefore) {
    enum Kind {
        WORD,
        OPEN,
        CLOSE
    }

    int end() {
        return offset + raw.length();
    }

    boolean isWord(String text) {
        return kind == Kind.WORD && value.equals(text);
    }
}
