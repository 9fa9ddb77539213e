package io.meshdns.server;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import io.meshdns.server.transport.UdpTransportSelector;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Two empty mock API servers ({@code east}, {@code west}, CRUD mode, real HTTP and watches) and the real
 * meshdns server on a free loopback port, watching both through their kubeconfigs.
 */
final class TwoClusterMesh implements AutoCloseable {
    final MockCluster east;
    final MockCluster west;
    final MeshdnsServer server;

    TwoClusterMesh(Path kubeconfigDir) {
        this(kubeconfigDir, ServerConfig.defaults());
    }

    TwoClusterMesh(Path kubeconfigDir, ServerConfig config) {
        east = MockCluster.start("east", kubeconfigDir);
        west = MockCluster.start("west", kubeconfigDir);
        server = MeshdnsServer.start(
                config.withDns("127.0.0.1", 0).withHttp("127.0.0.1", 0).withAdmin("127.0.0.1", 0),
                List.of(spec(east), spec(west)));
    }

    /**
     * Why {@code transport} cannot run here ({@code ffm} below JDK 22), or {@code null}. A class parameterised
     * over the transport starts no server for such a run, and {@link #assumeRuns} skips each of its tests with
     * this reason, so the skips are reported one by one.
     */
    static String unavailable(UdpTransport transport) {
        String reason = transport == UdpTransport.FFM ? UdpTransportSelector.ffmUnavailable() : null;
        return reason == null ? null : "the ffm UDP transport cannot run here: " + reason;
    }

    /** Skips the calling test when its run's transport cannot run here ({@link #unavailable}). */
    static void assumeRuns(String unavailable) {
        Assumptions.assumeTrue(unavailable == null, unavailable);
    }

    /** {@code config} with its UDP transport set to {@code transport}: a parameterised class runs once on each. */
    static ServerConfig onUdpTransport(ServerConfig config, UdpTransport transport) {
        return config.withUdpTransport(transport.key);
    }

    /** Fails unless the server reads UDP with {@code transport}: proof that a parameterised run tests what it says. */
    void assertUdpTransport(UdpTransport transport) {
        Assertions.assertThat(server.udpTransport())
                .as("the UDP transport that runs")
                .matches(transport == UdpTransport.FFM ? "ffm" : "netty-(epoll|nio)");
    }

    /** The cluster as meshdns watches it: its kubeconfig and context, pod IPs. */
    static ClusterSpec spec(MockCluster cluster) {
        return ClusterSpec.ofKubeconfig(cluster.id(), cluster.kubeconfig(), cluster.id());
    }

    /**
     * Exports {@code shop/web} from east (ClusterIP 10.96.0.10, ready pods 10.10.1.1 to 10.10.1.3) and waits
     * until TCP answers all three.
     */
    void exportWebFromEast() throws InterruptedException {
        MeshObjects.exported(east(), "shop", "web", "10.96.0.10");
        MeshObjects.slice(east(), "shop", "web", "web-east", MeshObjects.pods("10.10.1.", 1, 3, true));
        tcp().addressesOnceTrue("web.shop.svc.clusterset.local.", s -> s.size() == 3);
    }

    KubernetesClient east() {
        return east.client();
    }

    KubernetesClient west() {
        return west.client();
    }

    InetSocketAddress dns() {
        return server.dnsAddress();
    }

    DnsClient udp() {
        return new DnsClient(dns(), DnsClient.Transport.UDP);
    }

    DnsClient tcp() {
        return new DnsClient(dns(), DnsClient.Transport.TCP);
    }

    @Override
    public void close() {
        server.close();
        east.close();
        west.close();
    }
}
