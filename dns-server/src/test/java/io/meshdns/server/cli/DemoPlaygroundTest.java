package io.meshdns.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The demo's clusters as a playground: what a user tries on them with kubectl either works or fails at once
 * with a clear message, and {@code coredns-config} finds a CoreDNS ConfigMap to show its diff on and apply to.
 * The kubectl tests run the real kubectl and are SKIPPED when no {@code kubectl} is on PATH.
 */
class DemoPlaygroundTest {
    @TempDir
    static Path dir;

    private static DemoMesh demo;

    @BeforeAll
    static void startDemo() {
        demo = DemoMesh.start(dir);
    }

    @AfterAll
    static void stopDemo() {
        demo.close();
    }

    /** kubectl's exit code, stdout and stderr. */
    private record Kubectl(int code, String out, String err) {}

    /**
     * Runs kubectl against cluster {@code east} and waits for it at most {@code seconds}: a command that does not
     * return by then is a hang (before the fix, {@code create namespace} got no answer for minutes).
     */
    private static Kubectl kubectl(int seconds, String... args) throws Exception {
        assumeTrue(kubectlOnPath(), "kubectl is not on PATH: the demo's kubectl checks are skipped");
        List<String> command = new ArrayList<>(List.of(
                "kubectl",
                "--kubeconfig",
                demo.cluster("east").kubeconfig().toString(),
                "--cache-dir",
                dir.resolve("kube-cache").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "kubectl", ".out");
        Path err = Files.createTempFile(dir, "kubectl", ".err");
        Process p = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not return within " + seconds + " s");
        }
        return new Kubectl(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static boolean kubectlOnPath() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "kubectl"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void kubectlCreateNamespaceAgainstTheDemoReturnsWithinFiveSeconds() throws Exception {
        Kubectl k = kubectl(5, "create", "namespace", "x");

        // kubectl sends this one as protobuf, which the mock API server cannot read: a clear refusal, at once
        assertThat(k.code()).isNotZero();
        assertThat(k.err())
                .contains(
                        "Error from server (UnsupportedMediaType): the body of the request was in an"
                                + " unknown format - accepted media types include: application/json",
                        "kubectl apply -f -");
    }

    @Test
    void kubectlCreateServiceAgainstTheDemoFailsAtOnceSayingWhy() throws Exception {
        Kubectl k = kubectl(5, "create", "service", "clusterip", "x", "--tcp=80:8080", "-n", "shop");

        assertThat(k.code()).isNotZero();
        assertThat(k.err()).contains("the body of the request was in an unknown format");
    }

    @Test
    void kubectlGetServicesWideShowsTheColumnsOfAnApiServer() throws Exception {
        Kubectl k = kubectl(10, "get", "services", "-A", "-o", "wide");

        assertThat(k.code()).isZero();
        List<String> lines = k.out().lines().toList();
        assertThat(lines.get(0).split(" +"))
                .containsExactly(
                        "NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR");
        assertThat(lines)
                .anySatisfy(l -> assertThat(l.split(" +"))
                        .startsWith("shop", "web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP"));
        assertThat(lines)
                .anySatisfy(
                        l -> assertThat(l).startsWith("shop ").contains(" docs ", "ExternalName", "docs.example.com"));
    }

    @Test
    void kubectlGetEndpointSlicesShowsTheirAddresses() throws Exception {
        Kubectl k = kubectl(10, "get", "endpointslices", "-n", "shop");

        assertThat(k.code()).isZero();
        assertThat(k.out().lines().toList().get(0).split(" +"))
                .containsExactly("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE");
        assertThat(k.out()).containsPattern("web-east-1 +IPv4 +80 +10\\.10\\.1\\.1,10\\.10\\.1\\.2,10\\.10\\.1\\.3 ");
    }

    @Test
    void kubectlVersionNamesTheMockApiServer() throws Exception {
        Kubectl k = kubectl(10, "version");

        assertThat(k.code()).isZero();
        assertThat(k.out()).contains("Server Version: v1.32.0+meshdns.mock");
    }

    @Test
    void kubectlDescribeServiceShowsItsAddressAndSelector() throws Exception {
        Kubectl k = kubectl(10, "describe", "service", "web", "-n", "shop");

        assertThat(k.code()).isZero();
        assertThat(k.out()).containsPattern("Selector: +app=web").containsPattern("IP: +10\\.96\\.0\\.10");
    }

    @Test
    void kubectlApplyCreatesAServiceAndItsSliceAndDeleteRemovesThem() throws Exception {
        Path manifest = Files.writeString(dir.resolve("api.yaml"), """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: shop, annotations: {meshdns.io/export: "true"}}
        spec: {type: ClusterIP, clusterIP: 10.96.0.20, selector: {app: api}, ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: api-east-1, namespace: shop, labels: {kubernetes.io/service-name: api}}
        addressType: IPv4
        ports: [{name: http, port: 80}]
        endpoints: [{addresses: [10.10.9.1], conditions: {ready: true}}]
        """);

        Kubectl applied = kubectl(10, "apply", "-f", manifest.toString());
        assertThat(applied.out()).contains("service/api created", "endpointslice.discovery.k8s.io/api-east-1 created");
        assertThat(demo.cluster("east")
                        .client()
                        .services()
                        .inNamespace("shop")
                        .withName("api")
                        .get()
                        .getSpec()
                        .getClusterIP())
                .isEqualTo("10.96.0.20");

        Kubectl deleted = kubectl(10, "delete", "-f", manifest.toString());
        assertThat(deleted.out()).contains("service \"api\" deleted");
        assertThat(demo.cluster("east")
                        .client()
                        .services()
                        .inNamespace("shop")
                        .withName("api")
                        .get())
                .isNull();
    }

    @Test
    void kubectlApplyOfAChangedObjectFailsAtOnceSayingWhy() throws Exception {
        String slice = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: cart-east-2, namespace: shop, labels: {kubernetes.io/service-name: cart}}
        addressType: IPv4
        ports: [{name: http, port: 80}]
        endpoints: [{addresses: [%s], conditions: {ready: false}}]
        """;
        assertThat(kubectl(
                                10,
                                "apply",
                                "-f",
                                Files.writeString(dir.resolve("cart-1.yaml"), slice.formatted("10.10.2.9"))
                                        .toString())
                        .code())
                .isZero();

        // kubectl sends a strategic merge patch, which the mock does not implement
        Kubectl changed = kubectl(
                10,
                "apply",
                "-f",
                Files.writeString(dir.resolve("cart-2.yaml"), slice.formatted("10.10.2.8"))
                        .toString());

        assertThat(changed.code()).isNotZero();
        assertThat(changed.err())
                .contains(
                        "Error from server (UnsupportedMediaType)",
                        "accepted media types include:" + " application/json-patch+json, application/merge-patch+json");
        demo.cluster("east")
                .client()
                .discovery()
                .v1()
                .endpointSlices()
                .inNamespace("shop")
                .withName("cart-east-2")
                .delete();
    }

    @Test
    void everyDemoClusterHoldsTheCorednsConfigMapKubeadmInstalls() {
        for (MockCluster c : demo.clusters()) {
            assertThat(c.client()
                            .configMaps()
                            .inNamespace("kube-system")
                            .withName("coredns")
                            .get()
                            .getData())
                    .containsEntry("Corefile", MeshObjects.KUBEADM_COREFILE);
        }
    }

    @Test
    void corednsConfigDryRunAndApplyWorkOnTheDemo() throws Exception {
        Path config = Files.writeString(dir.resolve("meshdns.yaml"), """
        clusters:
          - {id: east, kubeconfig: east.kubeconfig, reachability: [pod, clusterIP]}
          - {id: west, kubeconfig: west.kubeconfig}
        """);
        MockCluster west = demo.cluster("west");

        StringWriter diff = new StringWriter();
        assertThat(corednsConfig(diff, "--config", config.toString(), "--forward-to", "127.0.0.1:5353", "--dry-run"))
                .isZero();
        assertThat(diff.toString())
                .contains(
                        "--- a/east/kube-system/coredns/Corefile\n",
                        "--- a/west/kube-system/coredns/Corefile\n",
                        "+    rewrite edns0 local set 0xff14 west\n",
                        "+    forward . 127.0.0.1:5353 {\n");

        assertThat(corednsConfig(
                        new StringWriter(),
                        "--config",
                        config.toString(),
                        "--forward-to",
                        "127.0.0.1:5353",
                        "--apply",
                        "--cluster",
                        "west"))
                .isZero();
        assertThat(corefileOf(west)).startsWith(MeshObjects.KUBEADM_COREFILE).contains("# meshdns:begin cluster=west");

        assertThat(corednsConfig(new StringWriter(), "--config", config.toString(), "--rollback", "--cluster", "west"))
                .isZero();
        assertThat(corefileOf(west)).isEqualTo(MeshObjects.KUBEADM_COREFILE);
    }

    private static String corefileOf(MockCluster c) {
        return c.client()
                .configMaps()
                .inNamespace("kube-system")
                .withName("coredns")
                .get()
                .getData()
                .get("Corefile");
    }

    private static int corednsConfig(StringWriter out, String... args) {
        CommandLine cli = new CommandLine(new CorednsConfigCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }
}
