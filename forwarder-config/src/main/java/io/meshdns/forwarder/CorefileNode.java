package io.meshdns.forwarder;

import java.util.List;
import java.util.Locale;

/** The parts of a Corefile. Every node keeps its tokens, so printing the tree gives back the file. */
sealed interface CorefileNode {
    /** Appends this node's tokens, in file order. */
    void collect(List<Token> out);

    Token first();

    Token last();

    /**
     * A server block ({@code .:53 {...}}) or, when its only key is {@code (name)}, a snippet.
     *
     * @param keys the key tokens as written (a trailing comma continues the list on the next line)
     */
    record ServerBlock(List<Token> keys, Token open, List<Directive> body, Token close) implements CorefileNode {
        @Override
        public void collect(List<Token> out) {
            out.addAll(keys);
            out.add(open);
            body.forEach(d -> d.collect(out));
            out.add(close);
        }

        @Override
        public Token first() {
            return keys.get(0);
        }

        @Override
        public Token last() {
            return close;
        }

        boolean isSnippet() {
            String k = keys.get(0).value();
            return keys.size() == 1 && k.startsWith("(") && k.endsWith(")");
        }

        /** The keys as CoreDNS reads them, without the commas that separate them. */
        List<String> keyValues() {
            return keys.stream()
                    .map(Token::value)
                    .map(k -> k.endsWith(",") ? k.substring(0, k.length() - 1) : k)
                    .filter(k -> !k.isEmpty())
                    .toList();
        }
    }

    /** A plugin line ({@code cache 30}), maybe with a block of its own ({@code forward . 1.1.1.1 {...}}). */
    record Directive(List<Token> words, Token open, List<Directive> body, Token close) implements CorefileNode {
        @Override
        public void collect(List<Token> out) {
            out.addAll(words);
            if (open != null) {
                out.add(open);
                body.forEach(d -> d.collect(out));
                out.add(close);
            }
        }

        @Override
        public Token first() {
            return words.get(0);
        }

        @Override
        public Token last() {
            return close != null ? close : words.get(words.size() - 1);
        }

        String name() {
            return words.get(0).value().toLowerCase(Locale.ROOT);
        }

        List<String> args() {
            return words.subList(1, words.size()).stream().map(Token::value).toList();
        }
    }

    /** {@code import PATTERN} between server blocks: splices in files (such as {@code custom/*.server}) or a snippet. */
    record Import(List<Token> words) implements CorefileNode {
        @Override
        public void collect(List<Token> out) {
            out.addAll(words);
        }

        @Override
        public Token first() {
            return words.get(0);
        }

        @Override
        public Token last() {
            return words.get(words.size() - 1);
        }

        List<String> args() {
            return words.subList(1, words.size()).stream().map(Token::value).toList();
        }
    }
}
