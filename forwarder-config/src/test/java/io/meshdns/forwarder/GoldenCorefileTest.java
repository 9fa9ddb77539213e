package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real-world Corefiles (src/test/resources/corefiles, written from the public defaults of kubeadm, kind,
 * EKS, k3s, AKS, RKE2's Helm chart and NodeLocal DNSCache, and one hand-written file with several server
 * blocks, snippets, imports and placeholders) against their expected patched form ({@code .patched}).
 * Run with {@code -Dgolden.update=true} to rewrite the expected files after a deliberate change, then
 * review the diff.
 */
class GoldenCorefileTest {
    static final Path DIR = Path.of("src/test/resources/corefiles");

    static Stream<String> corefiles() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".Corefile"))
                    .map(n -> n.substring(0, n.length() - ".Corefile".length()))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    static MeshdnsStanza stanza() {
        return DraftStanza.of("east", List.of("10.8.0.10", "10.9.0.10"))
                .withReverseZones(List.of("10.10.0.0/16"))
                .stanza();
    }

    /** NodeLocal DNSCache blocks listen on the cache's own addresses, copied from the file. */
    static Corefile patch(String name, Corefile original) {
        MeshdnsStanza stanza = stanza();
        if (name.startsWith("nodelocal")) {
            stanza = stanza.withBind(original.bindAddresses());
        }
        return original.withMeshdnsBlock(stanza);
    }

    static String read(String file) throws IOException {
        return Files.readString(DIR.resolve(file), StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void parsesAndPrintsBackByteForByte(String name) throws IOException {
        String text = read(name + ".Corefile");

        assertThat(Corefile.parse(name, text).text()).isEqualTo(text);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void patchGivesTheExpectedCorefile(String name) throws IOException {
        String patched =
                patch(name, Corefile.parse(name, read(name + ".Corefile"))).text();
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(DIR.resolve(name + ".patched"), patched, StandardCharsets.UTF_8);
        }

        assertThat(patched).isEqualTo(read(name + ".patched"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void patchKeepsEveryOriginalByteBeforeTheBlock(String name) throws IOException {
        String text = read(name + ".Corefile");

        String patched = patch(name, Corefile.parse(name, text)).text();

        assertThat(patched).startsWith(text);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void patchingAgainChangesNothing(String name) throws IOException {
        Corefile once = Corefile.parse(name, read(name + ".patched"));

        assertThat(patch(name, once).text()).isEqualTo(once.text());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void removingTheBlockGivesTheOriginalBack(String name) throws IOException {
        Corefile patched = Corefile.parse(name, read(name + ".patched"));

        assertThat(patched.withoutMeshdnsBlock().text()).isEqualTo(read(name + ".Corefile"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void patchingWithOtherAddressesReplacesOnlyTheBlock(String name) throws IOException {
        Corefile patched = Corefile.parse(name, read(name + ".patched"));
        MeshdnsStanza moved = DraftStanza.of("east", List.of("10.99.0.53")).stanza();
        if (name.startsWith("nodelocal")) {
            moved = moved.withBind(patched.bindAddresses());
        }

        String repatched = patched.withMeshdnsBlock(moved).text();

        assertThat(repatched).contains("forward . 10.99.0.53 {").doesNotContain("10.8.0.10");
        assertThat(Corefile.parse(name, repatched).withoutMeshdnsBlock().text()).isEqualTo(read(name + ".Corefile"));
    }
}
