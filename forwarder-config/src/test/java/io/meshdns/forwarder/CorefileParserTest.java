package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.forwarder.CorefileNode.Directive;
import io.meshdns.forwarder.CorefileNode.Import;
import io.meshdns.forwarder.CorefileNode.ServerBlock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How Corefile text maps to server blocks, plugin lines, snippets and imports, and that printing gives the text back. */
class CorefileParserTest {
    private static Corefile parse(String text) {
        Corefile corefile = Corefile.parse("test", text);
        assertThat(corefile.text()).isEqualTo(text);
        return corefile;
    }

    @Test
    void readsSeveralKeysAndPortsOfOneServerBlock() {
        Corefile c = parse("example.org:53 example.net:1053 dns://lab.example {\n  whoami\n}\n");

        assertThat(c.serverBlocks())
                .singleElement()
                .extracting(ServerBlock::keyValues)
                .isEqualTo(List.of("example.org:53", "example.net:1053", "dns://lab.example"));
    }

    @Test
    void continuesKeysOnTheNextLineAfterATrailingComma() {
        Corefile c = parse("a.example:53,\n  b.example:53, c.example:53\n{\n  whoami\n}\n");

        assertThat(c.serverBlocks().get(0).keyValues()).containsExactly("a.example:53", "b.example:53", "c.example:53");
    }

    @Test
    void readsPluginLinesWithNestedBlocks() {
        Corefile c =
                parse(".:53 {\n  forward . 1.1.1.1 {\n    policy random\n    health_check 5s\n  }\n  cache 30\n}\n");

        List<Directive> body = c.serverBlocks().get(0).body();
        assertThat(body).extracting(Directive::name).containsExactly("forward", "cache");
        assertThat(body.get(0).args()).containsExactly(".", "1.1.1.1");
        assertThat(body.get(0).body()).extracting(Directive::name).containsExactly("policy", "health_check");
    }

    @Test
    void readsABlockOpenedAndClosedOnOneLine() {
        Corefile c = parse(".:53 {\n  health { lameduck 5s }\n  ready\n}\n");

        Directive health = c.serverBlocks().get(0).body().get(0);
        assertThat(health.body()).singleElement().extracting(Directive::args).isEqualTo(List.of("5s"));
        assertThat(c.serverBlocks().get(0).body()).extracting(Directive::name).containsExactly("health", "ready");
    }

    @Test
    void acceptsTheOpeningBraceOnTheLineAfterTheKeys() {
        Corefile c = parse("example.org\n{\n  whoami\n}\n");

        assertThat(c.serverBlocks().get(0).keyValues()).containsExactly("example.org");
    }

    @Test
    void keepsQuotedStringsWithSpacesEscapedQuotesAndNewlinesAsOneArgument() {
        Corefile c = parse(".:53 {\n  log . \"{remote} \\\"{name}\\\"\n  {rcode}\"\n  errors\n}\n");

        List<Directive> body = c.serverBlocks().get(0).body();
        assertThat(body.get(0).args()).containsExactly(".", "{remote} \"{name}\"\n  {rcode}");
        assertThat(body).extracting(Directive::name).containsExactly("log", "errors");
    }

    @Test
    void treatsAHashInsideAWordAsTheStartOfAComment() {
        Corefile c = parse(".:53 {\n  cache 30#seconds\n  errors # log errors\n}\n");

        assertThat(c.serverBlocks().get(0).body().get(0).args()).containsExactly("30");
        assertThat(c.serverBlocks().get(0).body()).extracting(Directive::name).containsExactly("cache", "errors");
    }

    @Test
    void readsBracesInsideQuotesAsText() {
        Corefile c = parse(".:53 {\n  template IN A x {\n    answer \"{{ .Name }} 60 IN A 10.0.0.1 }\"\n  }\n}\n");

        Directive answer = c.serverBlocks().get(0).body().get(0).body().get(0);
        assertThat(answer.args()).containsExactly("{{ .Name }} 60 IN A 10.0.0.1 }");
    }

    @Test
    void keepsEnvironmentPlaceholdersAsWritten() {
        Corefile c = parse("{$ZONE}:53 {\n  forward . {$UPSTREAM} {%FALLBACK%}\n}\n");

        assertThat(c.serverBlocks().get(0).keyValues()).containsExactly("{$ZONE}:53");
        assertThat(c.serverBlocks().get(0).body().get(0).args()).containsExactly(".", "{$UPSTREAM}", "{%FALLBACK%}");
    }

    @Test
    void readsSnippetsAndTheirImports() {
        Corefile c = parse("(common) {\n  errors\n  cache 30\n}\n.:53 {\n  import common\n}\n");

        assertThat(c.items()).hasSize(2);
        assertThat(((ServerBlock) c.items().get(0)).isSnippet()).isTrue();
        assertThat(c.serverBlocks())
                .singleElement()
                .extracting(b -> b.body().get(0).name())
                .isEqualTo("import");
    }

    @Test
    void readsImportsBetweenServerBlocks() {
        Corefile c =
                parse(".:53 {\n  whoami\n}\nimport /etc/coredns/custom/*.server\nimport zones/a.conf zones/b.conf\n");

        assertThat(c.items())
                .filteredOn(Import.class::isInstance)
                .map(i -> ((Import) i).args())
                .containsExactly(List.of("/etc/coredns/custom/*.server"), List.of("zones/a.conf", "zones/b.conf"));
        assertThat(c.importsServerFiles()).isTrue();
    }

    @Test
    void printsBackCarriageReturnsTabsAndAMissingFinalNewline() {
        parse(".:53 {\r\n\terrors\r\n\tcache 30\r\n}");
    }

    @Test
    void printsBackAnEmptyCorefileAndOneWithOnlyComments() {
        parse("");
        parse("# nothing here yet\n\n");
    }

    @Test
    void findsTheRootBlocksPortForTheMeshdnsBlock() {
        assertThat(parse(".:1053 {\n  whoami\n}\n").rootPort()).isEqualTo(1053);
        assertThat(parse(". {\n  whoami\n}\n").rootPort()).isEqualTo(53);
        assertThat(parse("example.org {\n  whoami\n}\n").rootPort()).isEqualTo(53);
    }

    @Test
    void takesItsIndentationFromTheFirstPluginLine() {
        assertThat(parse(".:53 {\n\terrors\n}\n").indentUnit()).isEqualTo("\t");
        assertThat(parse(".:53 {\n  errors\n}\n").indentUnit()).isEqualTo("  ");
        assertThat(parse(".:53 { errors }\n").indentUnit()).isEqualTo("    ");
    }

    @Test
    void writesTheMeshdnsBlockWithTheFilesIndentationLineSeparatorAndPort() {
        Corefile c = parse(".:1053 {\r\n  errors\r\n}\r\n");

        String patched = c.withMeshdnsBlock(
                        DraftStanza.of("east", List.of("10.8.0.10")).stanza())
                .text();

        assertThat(patched)
                .startsWith(".:1053 {\r\n  errors\r\n}\r\n\r\n# meshdns:begin")
                .contains("\r\nclusterset.local:1053 {\r\n  errors\r\n")
                .contains("\r\n  cache 5 {\r\n    denial 9984 5\r\n  }\r\n")
                .contains("\r\n    policy sequential\r\n")
                .endsWith("# meshdns:end\r\n")
                .doesNotContain("\n\n");
    }
}
