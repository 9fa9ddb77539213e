package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.forwarder.ConfigMapChange.Kind;
import io.meshdns.forwarder.CorednsConfigException.Reason;
import io.meshdns.forwarder.CorednsConfigMaps.Target;
import io.meshdns.testkit.MockCluster;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster side, against a fabric8 mock API server in CRUD mode over real HTTP. */
class CorednsConfigMapsTest {
    private static final MeshdnsStanza EAST = GoldenCorefileTest.stanza();

    private MockCluster cluster;
    private CorednsConfigMaps coredns;

    @BeforeEach
    void start() {
        cluster = MockCluster.start("east");
        coredns = new CorednsConfigMaps(cluster.client(), "east", Target.AUTO, null);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private ConfigMap configMap(String name, Map<String, String> data) {
        return cluster.client()
                .configMaps()
                .inNamespace("kube-system")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace("kube-system")
                        .endMetadata()
                        .withData(data)
                        .build())
                .create();
    }

    private ConfigMap get(String name) {
        return cluster.client()
                .configMaps()
                .inNamespace("kube-system")
                .withName(name)
                .get();
    }

    private String data(String name, String key) {
        ConfigMap cm = get(name);
        return cm == null || cm.getData() == null ? null : cm.getData().get(key);
    }

    private static String golden(String file) throws Exception {
        return GoldenCorefileTest.read(file);
    }

    @Test
    void putsTheBlockIntoKubeadmsCorefileAndKeepsThePreviousOneForRollback() throws Exception {
        String original = golden("kubeadm.Corefile");
        configMap("coredns", Map.of("Corefile", original));

        List<ConfigMapChange> changes = coredns.apply(EAST);

        assertThat(changes).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(Kind.COREFILE);
            assertThat(c.changed()).isTrue();
            assertThat(c.hint()).isNull(); // kubeadm's Corefile has 'reload'
        });
        ConfigMap cm = get("coredns");
        assertThat(cm.getData().get("Corefile")).isEqualTo(golden("kubeadm.patched"));
        assertThat(cm.getMetadata().getAnnotations())
                .containsEntry("meshdns.io/previous.Corefile", original)
                .containsEntry("meshdns.io/applied-sha256.Corefile", CorednsConfigMaps.hash(golden("kubeadm.patched")));
    }

    @Test
    void applyingTheSameStanzaAgainWritesNothing() {
        configMap("coredns", Map.of("Corefile", ".:53 {\n    errors\n    reload\n}\n"));
        coredns.apply(EAST);
        String version = get("coredns").getMetadata().getResourceVersion();

        List<ConfigMapChange> again = coredns.apply(EAST);

        assertThat(again).noneMatch(ConfigMapChange::changed);
        assertThat(get("coredns").getMetadata().getResourceVersion()).isEqualTo(version);
    }

    @Test
    void planShowsTheDiffAndWritesNothing() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("eks.Corefile")));

        List<ConfigMapChange> plan = coredns.plan(EAST);

        assertThat(plan)
                .singleElement()
                .extracting(ConfigMapChange::diff)
                .asString()
                .startsWith("--- a/east/kube-system/coredns/Corefile\n+++ b/east/kube-system/coredns/Corefile\n")
                .contains("+clusterset.local:53 10.10.in-addr.arpa:53 {\n");
        assertThat(data("coredns", "Corefile")).isEqualTo(golden("eks.Corefile"));
    }

    @Test
    void writesTheMeshdnsServerKeyOfCorednsCustomWhenTheCorefileImportsServerFiles() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("k3s.Corefile")));

        List<ConfigMapChange> changes = coredns.apply(EAST);

        assertThat(changes).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(Kind.CUSTOM_SERVER);
            assertThat(c.configMap()).isEqualTo("kube-system/coredns-custom");
            assertThat(c.hint()).contains("rollout restart deployment coredns");
        });
        assertThat(data("coredns", "Corefile")).isEqualTo(golden("k3s.Corefile"));
        assertThat(data("coredns-custom", "meshdns.server")).isEqualTo(EAST.serverBlock());
    }

    @Test
    void keepsTheOtherKeysOfAnExistingCorednsCustom() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("aks.Corefile")));
        configMap(
                "coredns-custom",
                Map.of("log.override", "log\n", "corp.server", "corp.example:53 {\n  forward . 10.1.1.1\n}\n"));

        coredns.apply(EAST);

        assertThat(get("coredns-custom").getData())
                .containsEntry("log.override", "log\n")
                .containsKey("corp.server")
                .containsEntry("meshdns.server", EAST.serverBlock());
    }

    @Test
    void refusesWhenAnotherCorednsCustomServerFileServesTheZone() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("aks.Corefile")));
        configMap("coredns-custom", Map.of("mesh.server", "clusterset.local:53 {\n  forward . 10.1.1.1\n}\n"));

        assertThatThrownBy(() -> coredns.apply(EAST))
                .isInstanceOf(CorefileException.class)
                .hasMessageStartingWith(
                        "cluster east: kube-system/coredns-custom mesh.server, line 1: a server block already"
                                + " serves clusterset.local:53");
        assertThat(get("coredns-custom").getData()).doesNotContainKey("meshdns.server");
    }

    @Test
    void findsRke2sCorednsConfigMap() throws Exception {
        configMap("rke2-coredns-rke2-coredns", Map.of("Corefile", golden("rke2.Corefile")));

        coredns.apply(EAST);

        assertThat(data("rke2-coredns-rke2-coredns", "Corefile")).isEqualTo(golden("rke2.patched"));
    }

    @Test
    void patchesNodeLocalDnsCacheWithItsOwnBindAddressesToo() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("kubeadm.Corefile")));
        configMap("node-local-dns", Map.of("Corefile", golden("nodelocal.Corefile")));

        List<ConfigMapChange> changes = coredns.apply(EAST);

        assertThat(changes).extracting(ConfigMapChange::kind).containsExactly(Kind.COREFILE, Kind.NODE_LOCAL);
        assertThat(data("node-local-dns", "Corefile"))
                .isEqualTo(golden("nodelocal.patched"))
                .contains("    bind 169.254.20.10 10.96.0.10\n", "    cache 5 {\n", "    loadbalance round_robin\n");
    }

    @Test
    void mergesStubDomainsForAClusterStillOnKubeDns() {
        configMap("kube-dns", Map.of("stubDomains", "{\"acme.local\": [\"10.150.0.1\"]}"));

        List<ConfigMapChange> changes = coredns.apply(EAST);

        assertThat(changes).singleElement().extracting(ConfigMapChange::kind).isEqualTo(Kind.KUBE_DNS);
        assertThat(data("kube-dns", "stubDomains"))
                .isEqualTo(
                        "{\"acme.local\":[\"10.150.0.1\"],"
                                + "\"clusterset.local\":[\"10.8.0.10\",\"10.9.0.10\"],\"10.10.in-addr.arpa\":[\"10.8.0.10\",\"10.9.0.10\"]}");

        coredns.remove(EAST);

        assertThat(data("kube-dns", "stubDomains")).isEqualTo("{\"acme.local\":[\"10.150.0.1\"]}");
    }

    @Test
    void retriesWhenAnotherWriterChangesTheConfigMapFirstAndKeepsTheirChange() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("kubeadm.Corefile")));
        cluster.interfereWithWrites(
                "kube-system",
                "coredns",
                1,
                cm -> new ConfigMapBuilder(cm)
                        .addToData("Corefile", cm.getData().get("Corefile").replace("cache 30 {", "cache 60 {"))
                        .build());

        coredns.apply(EAST);

        assertThat(cluster.interfered()).isEqualTo(1);
        assertThat(data("coredns", "Corefile"))
                .contains("cache 60 {")
                .contains("# meshdns:begin cluster=east")
                .isEqualTo(golden("kubeadm.patched").replace("cache 30 {", "cache 60 {"));
    }

    @Test
    void givesUpAfterRepeatedConflictsWithoutEverOverwritingTheOtherWriter() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("kubeadm.Corefile")));
        cluster.interfereWithWrites(
                "kube-system",
                "coredns",
                100,
                cm -> new ConfigMapBuilder(cm)
                        .addToData("Corefile", cm.getData().get("Corefile") + "# touched\n")
                        .build());

        assertThatThrownBy(() -> coredns.apply(EAST))
                .isInstanceOf(CorednsConfigException.class)
                .hasMessageContaining("5 conflicts on resourceVersion")
                .extracting(e -> ((CorednsConfigException) e).reason())
                .isEqualTo(Reason.CONFLICT);
        assertThat(cluster.interfered()).isEqualTo(5);
        assertThat(data("coredns", "Corefile")).doesNotContain("meshdns").endsWith("# touched\n# touched\n");
    }

    @Test
    void rollbackPutsThePreviousCorefileBackAndDropsTheAnnotations() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("kubeadm.Corefile")));
        coredns.apply(EAST);

        List<ConfigMapChange> undone = coredns.rollback();

        assertThat(undone).singleElement().extracting(ConfigMapChange::after).isEqualTo(golden("kubeadm.Corefile"));
        ConfigMap cm = get("coredns");
        assertThat(cm.getData().get("Corefile")).isEqualTo(golden("kubeadm.Corefile"));
        assertThat(cm.getMetadata().getAnnotations())
                .doesNotContainKeys("meshdns.io/previous.Corefile", "meshdns.io/applied-sha256.Corefile");
    }

    @Test
    void rollbackUndoesOnlyTheLastWrite() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("kubeadm.Corefile")));
        coredns.apply(EAST);
        coredns.apply(DraftStanza.of("east", List.of("10.99.0.53")).stanza());

        coredns.rollback();

        assertThat(data("coredns", "Corefile")).isEqualTo(golden("kubeadm.patched"));
    }

    @Test
    void rollbackTakesOutTheCorednsCustomKeyThatMeshdnsAdded() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("k3s.Corefile")));
        coredns.apply(EAST);

        coredns.rollback();

        assertThat(get("coredns-custom").getData()).doesNotContainKey("meshdns.server");
    }

    @Test
    void rollbackRefusesWhenSomeoneChangedTheCorefileSinceMeshdnsWroteIt() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("kubeadm.Corefile")));
        coredns.apply(EAST);
        ConfigMap cm = get("coredns");
        cluster.client()
                .configMaps()
                .inNamespace("kube-system")
                .resource(new ConfigMapBuilder(cm)
                        .addToData("Corefile", cm.getData().get("Corefile").replace("cache 30 {", "cache 60 {"))
                        .build())
                .update();

        assertThatThrownBy(() -> coredns.rollback())
                .isInstanceOf(CorednsConfigException.class)
                .hasMessage(
                        "cluster east: kube-system/coredns Corefile was changed after meshdns wrote it; rolling back would"
                                + " lose that change. Use --remove to take only the meshdns block out");
        assertThat(data("coredns", "Corefile")).contains("cache 60 {", "# meshdns:begin");
    }

    @Test
    void rollbackWithNothingWrittenSaysSo() {
        configMap("coredns", Map.of("Corefile", ".:53 {\n}\n"));

        assertThatThrownBy(() -> coredns.rollback()).hasMessageStartingWith("cluster east: nothing to roll back");
    }

    @Test
    void removeTakesTheBlockOutAgain() throws Exception {
        configMap("coredns", Map.of("Corefile", golden("eks.Corefile")));
        coredns.apply(EAST);

        coredns.remove(EAST);

        assertThat(data("coredns", "Corefile")).isEqualTo(golden("eks.Corefile"));
    }

    @Test
    void refusesAnUnparsableCorefileAndWritesNothing() {
        configMap("coredns", Map.of("Corefile", ".:53 {\n    errors\n    forward . /etc/resolv.conf {\n}\n"));
        String version = get("coredns").getMetadata().getResourceVersion();

        assertThatThrownBy(() -> coredns.apply(EAST))
                .isInstanceOf(CorefileException.class)
                .hasMessage("cluster east: kube-system/coredns Corefile, line 1: '{' opened here is never closed");
        assertThat(get("coredns").getMetadata().getResourceVersion()).isEqualTo(version);
    }

    @Test
    void reportsAClusterWithoutAnyDnsConfigMap() {
        assertThatThrownBy(() -> coredns.apply(EAST))
                .isInstanceOf(CorednsConfigException.class)
                .hasMessage(
                        "cluster east: no CoreDNS ConfigMap (looked for kube-system/coredns,"
                                + " kube-system/rke2-coredns-rke2-coredns) and no kube-system/kube-dns ConfigMap; name it with --configmap");
    }

    @Test
    void usesTheNamedConfigMapOfAHelmInstalledCoredns() {
        configMap("coredns-coredns", Map.of("Corefile", ".:53 {\n    errors\n}\n"));

        new CorednsConfigMaps(cluster.client(), "east", Target.COREDNS, "coredns-coredns").apply(EAST);

        assertThat(data("coredns-coredns", "Corefile")).contains("# meshdns:end");
    }

    @Test
    void reportsRbacDenialAsForbidden() {
        cluster.answer("configmaps", 403); // as RBAC does for a service account without the role

        assertThatThrownBy(() -> coredns.apply(EAST))
                .isInstanceOf(CorednsConfigException.class)
                .hasMessageStartingWith(
                        "cluster east: ConfigMap kube-system/coredns: forbidden (RBAC): configmaps is forbidden:"
                                + " User \"system:serviceaccount:meshdns:meshdns\" cannot get resource \"configmaps\"")
                .extracting(e -> ((CorednsConfigException) e).reason())
                .isEqualTo(Reason.FORBIDDEN);
    }

    /** A kubeconfig with one context, {@code name}, for an API server on {@code port} of loopback. */
    private static Path kubeconfig(Path dir, String name, int port) throws Exception {
        return Files.writeString(dir.resolve(name + ".kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters: [{name: %1$s, cluster: {server: "http://127.0.0.1:%2$d"}}]
        users: [{name: %1$s, user: {token: t}}]
        contexts: [{name: %1$s, context: {cluster: %1$s, user: %1$s}}]
        current-context: %1$s
        """.formatted(name, port));
    }

    @Test
    void reportsAnUnreachableApiServer(@TempDir Path dir) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path kubeconfig = kubeconfig(dir, "gone", closedPort);

        try (var client = CorednsConfigMaps.connect(ClusterSpec.ofKubeconfig("gone", kubeconfig, null))) {
            assertThatThrownBy(() -> new CorednsConfigMaps(client, "gone", Target.AUTO, null).plan(EAST))
                    .isInstanceOf(CorednsConfigException.class)
                    .hasMessageStartingWith("cluster gone: API server unreachable")
                    .extracting(e -> ((CorednsConfigException) e).reason())
                    .isEqualTo(Reason.UNREACHABLE);
        }
    }

    @Test
    void aMissingKubeconfigIsNotFoundNamingClusterAndFile(@TempDir Path dir) {
        Path kubeconfig = dir.resolve("gone.kubeconfig");

        assertThatThrownBy(() -> CorednsConfigMaps.connect(ClusterSpec.ofKubeconfig("gone", kubeconfig, null)))
                .isInstanceOf(CorednsConfigException.class)
                .hasMessage("cluster gone: kubeconfig " + kubeconfig + " is missing or unreadable")
                .extracting(e -> ((CorednsConfigException) e).reason())
                .isEqualTo(Reason.NOT_FOUND);
    }

    @Test
    void aKubeconfigWithoutTheContextFailsNamingTheContextsItHas(@TempDir Path dir) throws Exception {
        Path kubeconfig = kubeconfig(dir, "east", 1);

        assertThatThrownBy(() -> CorednsConfigMaps.connect(ClusterSpec.ofKubeconfig("east", kubeconfig, "west")))
                .isInstanceOf(CorednsConfigException.class)
                .hasMessage(
                        "cluster east: context 'west' does not exist in kubeconfig " + kubeconfig + " (contexts: east)")
                .extracting(e -> ((CorednsConfigException) e).reason())
                .isEqualTo(Reason.FAILED);
    }
}
