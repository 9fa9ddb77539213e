package io.meshdns.forwarder;

import io.meshdns.forwarder.CorefileNode.Directive;
import io.meshdns.forwarder.CorefileNode.Import;
import io.meshdns.forwarder.CorefileNode.ServerBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the tree of a Corefile from its tokens, following the structure CoreDNS's Caddyfile parser
 * accepts. It refuses, naming the line, what it cannot represent safely: unbalanced braces, a server block
 * without braces, a key list that runs into the end of the file.
 */
final class CorefileParser {
    private final String source;
    private final List<Token> tokens;
    private int next;

    private CorefileParser(String source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    static List<CorefileNode> parse(String source, List<Token> tokens) {
        return new CorefileParser(source, tokens).top();
    }

    private List<CorefileNode> top() {
        List<CorefileNode> items = new ArrayList<>();
        while (peek() != null) {
            Token t = peek();
            if (t.kind() == Token.Kind.CLOSE) {
                throw error(t, "'}' closes nothing: no block is open here");
            }
            if (t.kind() == Token.Kind.OPEN) {
                throw error(t, "'{' without server block keys before it");
            }
            items.add(t.isWord("import") ? topImport() : serverBlock());
        }
        return List.copyOf(items);
    }

    private Import topImport() {
        List<Token> words = new ArrayList<>();
        Token first = take();
        words.add(first);
        while (peek() != null && !peek().newlineBefore()) {
            Token t = peek();
            if (t.kind() != Token.Kind.WORD) {
                throw error(t, "unexpected '" + t.raw() + "' after 'import'");
            }
            words.add(take());
        }
        if (words.size() < 2) {
            throw error(first, "'import' needs a file pattern or snippet name");
        }
        return new Import(List.copyOf(words));
    }

    private ServerBlock serverBlock() {
        List<Token> keys = new ArrayList<>();
        Token first = peek();
        while (true) {
            Token key = take();
            keys.add(key);
            boolean another = key.value().endsWith(",");
            Token t = peek();
            if (t == null) {
                throw error(first, "server block keys '" + join(keys) + "' are not followed by '{'");
            }
            if (t.kind() == Token.Kind.OPEN) {
                break;
            }
            if (t.kind() == Token.Kind.CLOSE) {
                throw error(t, "'}' where the server block keys '" + join(keys) + "' should be followed by '{'");
            }
            if (t.newlineBefore() && !another) {
                throw error(
                        first,
                        "server block '" + join(keys) + "' has no '{' (server blocks without braces are"
                                + " not supported)");
            }
        }
        Token open = take();
        List<Directive> body = body(open);
        return new ServerBlock(List.copyOf(keys), open, body, take());
    }

    /** Directives up to the '}' that closes {@code open}; leaves that '}' to the caller. */
    private List<Directive> body(Token open) {
        List<Directive> directives = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t == null) {
                throw error(open, "'{' opened here is never closed");
            }
            if (t.kind() == Token.Kind.CLOSE) {
                return List.copyOf(directives);
            }
            if (t.kind() == Token.Kind.OPEN) {
                throw error(t, "'{' where a plugin name was expected");
            }
            directives.add(directive());
        }
    }

    private Directive directive() {
        List<Token> words = new ArrayList<>();
        words.add(take());
        while (true) {
            Token t = peek();
            if (t == null || t.kind() == Token.Kind.CLOSE || t.newlineBefore()) {
                return new Directive(List.copyOf(words), null, List.of(), null);
            }
            if (t.kind() == Token.Kind.OPEN) {
                Token open = take();
                List<Directive> body = body(open);
                Token close = take();
                Token after = peek();
                if (after != null && after.kind() == Token.Kind.WORD && !after.newlineBefore()) {
                    throw error(after, "'" + after.raw() + "' after '}' on the same line");
                }
                return new Directive(List.copyOf(words), open, body, close);
            }
            words.add(take());
        }
    }

    private Token peek() {
        return next < tokens.size() ? tokens.get(next) : null;
    }

    private Token take() {
        return tokens.get(next++);
    }

    private CorefileException error(Token at, String what) {
        return CorefileException.at(source, at.line(), what);
    }

    private static String join(List<Token> keys) {
        return String.join(" ", keys.stream().map(Token::raw).toList());
    }
}
