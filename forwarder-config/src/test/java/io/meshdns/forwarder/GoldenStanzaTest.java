package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server block for each load-balancing policy and the cache choices that change it, against the expected
 * block in src/test/resources/stanzas ({@code <case>.block}), and patched into kubeadm's default Corefile.
 * Run with {@code -Dgolden.update=true} to rewrite the expected files after a deliberate change, then review
 * the diff.
 */
class GoldenStanzaTest {
    static final Path DIR = Path.of("src/test/resources/stanzas");

    /** Case name to caching: meshdns's TTL and SOA minimum 5 s unless the name says otherwise. */
    static final Map<String, AnswerCaching> CASES = new LinkedHashMap<>();

    static {
        CASES.put("local-first", AnswerCaching.of("local-first", 5, 5, null, null, false));
        CASES.put("round-robin", AnswerCaching.of("round-robin", 5, 5, null, null, false));
        CASES.put("random", AnswerCaching.of("random", 5, 5, null, null, false));
        CASES.put("zone-aware", AnswerCaching.of("zone-aware", 5, 5, null, null, false));
        CASES.put("zone-aware-with-zones", AnswerCaching.of("zone-aware", 5, 5, null, null, true));
        CASES.put("weighted", AnswerCaching.of("weighted", 5, 5, null, null, false));
        CASES.put("weighted-cache-0", AnswerCaching.of("weighted", 5, 5, 0, null, false));
        CASES.put("weighted-loadbalance-on", AnswerCaching.of("weighted", 5, 5, null, true, false));
        CASES.put("round-robin-loadbalance-off", AnswerCaching.of("round-robin", 5, 5, null, false, false));
        CASES.put("local-first-ttl-2", AnswerCaching.of("local-first", 2, 2, null, null, false));
        CASES.put("local-first-ttl-30-cache-10", AnswerCaching.of("local-first", 30, 30, 10, null, false));
    }

    static Stream<String> cases() {
        return CASES.keySet().stream();
    }

    static MeshdnsStanza stanza(String name) {
        return DraftStanza.of("east", List.of("10.8.0.10", "10.9.0.10"))
                .withReverseZones(List.of("10.20.0.0/16"))
                .withCaching(CASES.get(name))
                .stanza();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void blockIsTheExpectedOne(String name) throws IOException {
        String block = stanza(name).serverBlock();
        Path expected = DIR.resolve(name + ".block");
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(expected, block, StandardCharsets.UTF_8);
        }

        assertThat(block).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void blockPatchesKubeadmsCorefileAndComesOutAgain(String name) throws IOException {
        String kubeadm = Files.readString(GoldenCorefileTest.DIR.resolve("kubeadm.Corefile"), StandardCharsets.UTF_8);

        Corefile patched = Corefile.parse("kubeadm", kubeadm).withMeshdnsBlock(stanza(name));

        assertThat(patched.text()).endsWith(stanza(name).serverBlock());
        assertThat(Corefile.parse("kubeadm", patched.text())
                        .withoutMeshdnsBlock()
                        .text())
                .isEqualTo(kubeadm);
    }
}
