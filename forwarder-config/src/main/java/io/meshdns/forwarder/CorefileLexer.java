package io.meshdns.forwarder;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Corefile into tokens the way CoreDNS's Caddyfile lexer does: tokens are separated by
 * whitespace; {@code #} starts a comment that runs to the end of the line, even in the middle of a word;
 * a double quote opens a quoted token only at the start of a token, and inside it only {@code \"} is an
 * escape; {@code {} and {@code }} are braces only as tokens of their own (so {@code {$VAR}} is a word).
 */
final class CorefileLexer {
    /** A comment and the brace depth it sits at (0 = between server blocks). */
    record Comment(int offset, int end, int line, int depth, String text) {}

    record Result(List<Token> tokens, String trailing, List<Comment> comments) {}

    private final String source;
    private final String text;
    private int pos;
    private int line = 1;
    private int depth;
    private final List<Token> tokens = new ArrayList<>();
    private final List<Comment> comments = new ArrayList<>();

    private CorefileLexer(String source, String text) {
        this.source = source;
        this.text = text;
    }

    static Result lex(String source, String text) {
        CorefileLexer lexer = new CorefileLexer(source, text);
        String trailing = lexer.run();
        return new Result(List.copyOf(lexer.tokens), trailing, List.copyOf(lexer.comments));
    }

    private String run() {
        int n = text.length();
        while (true) {
            int triviaStart = pos;
            boolean newline = tokens.isEmpty();
            while (pos < n) {
                char c = text.charAt(pos);
                if (c == '\n') {
                    line++;
                    newline = true;
                    pos++;
                } else if (isSpace(c)) {
                    pos++;
                } else if (c == '#') {
                    int end = text.indexOf('\n', pos);
                    end = end < 0 ? n : end;
                    comments.add(new Comment(pos, end, line, depth, text.substring(pos, end)));
                    pos = end;
                } else {
                    break;
                }
            }
            String leading = text.substring(triviaStart, pos);
            if (pos >= n) {
                return leading;
            }
            int start = pos;
            int startLine = line;
            String value;
            if (text.charAt(pos) == '"') {
                value = quoted(startLine);
            } else {
                while (pos < n && !isSpace(text.charAt(pos)) && text.charAt(pos) != '#') {
                    pos++;
                }
                value = text.substring(start, pos);
            }
            String raw = text.substring(start, pos);
            boolean quoted = raw.charAt(0) == '"';
            Token.Kind kind = Token.Kind.WORD;
            if (!quoted && raw.equals("{")) {
                kind = Token.Kind.OPEN;
                depth++;
            } else if (!quoted && raw.equals("}")) {
                kind = Token.Kind.CLOSE;
                depth--;
            }
            tokens.add(new Token(kind, leading, raw, value, start, startLine, newline));
        }
    }

    /** A quoted token starting at {@code pos}; returns its value. Newlines inside it count as lines. */
    private String quoted(int startLine) {
        StringBuilder value = new StringBuilder();
        pos++;
        boolean escaped = false;
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (escaped) {
                if (c != '"') {
                    value.append('\\');
                }
                value.append(c);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                return value.toString();
            } else {
                value.append(c);
            }
            if (c == '\n') {
                line++;
            }
        }
        throw CorefileException.at(source, startLine, "a quoted string starts here and is never closed");
    }

    /** Go's unicode.IsSpace, which the Caddyfile lexer uses. */
    static boolean isSpace(char c) {
        return switch (c) {
            case ' ', '\t', '\n', '\u000b', '\f', '\r', '\u0085', '\u00a0' -> true;
            default -> c > '\u00ff' && Character.isSpaceChar(c);
        };
    }
}
