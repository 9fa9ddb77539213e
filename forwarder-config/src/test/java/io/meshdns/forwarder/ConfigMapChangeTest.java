package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.meshdns.forwarder.ConfigMapChange.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigMapChangeTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static java.util.stream.Stream<String> corefiles() throws Exception {
        return GoldenCorefileTest.corefiles();
    }

    /** Trailing spaces (RKE2) force a quoted style instead of a block; either way the value must come back exact. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void yamlCarriesTheCorefileExactly(String name) throws Exception {
        String patched = GoldenCorefileTest.read(name + ".patched");
        ConfigMapChange change = ConfigMapChange.offline(
                "east",
                "kube-system",
                "coredns",
                "Corefile",
                Kind.COREFILE,
                GoldenCorefileTest.read(name + ".Corefile"),
                patched);

        JsonNode doc = YAML.readTree(change.yaml());

        assertThat(doc.at("/kind").asText()).isEqualTo("ConfigMap");
        assertThat(doc.at("/metadata/namespace").asText()).isEqualTo("kube-system");
        assertThat(doc.at("/data/Corefile").asText()).isEqualTo(patched);
    }

    @Test
    void writesACorefileWithoutTrailingSpacesAsALiteralBlock() throws Exception {
        String yaml = ConfigMapChange.offline(
                        "east",
                        "kube-system",
                        "coredns",
                        "Corefile",
                        Kind.COREFILE,
                        null,
                        GoldenCorefileTest.read("kubeadm.patched"))
                .yaml();

        assertThat(yaml).contains("  Corefile: |\n    .:53 {\n        errors\n");
    }

    @Test
    void aRemovedKeyBecomesNullForAMergePatch() throws Exception {
        String yaml = ConfigMapChange.offline(
                        "east", "kube-system", "coredns-custom", "meshdns.server", Kind.CUSTOM_SERVER, "x", null)
                .yaml();

        assertThat(YAML.readTree(yaml).at("/data/meshdns.server").isNull()).isTrue();
    }
}
