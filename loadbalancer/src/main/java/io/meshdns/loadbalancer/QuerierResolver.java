package io.meshdns.loadbalancer;

import io.meshdns.core.Cidr;
import io.meshdns.discovery.ClusterId;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Who is asking: the querier's cluster and topology zone for one query, from the EDNS0 cluster option
 * and the source address. Immutable and allocation-light: safe on the query path from many threads.
 *
 * <p>The cluster comes, in this order, from the EDNS0 option {@link #ednsOptionCode()} whose data is a
 * configured cluster id (as CoreDNS's {@code rewrite edns0 local set 0xff14 <cluster>} adds it); from the
 * source address matched against the clusters' {@code sourceCidrs} (longest prefix wins); else it is
 * unknown. An option naming a cluster that is not configured is ignored, never an error. The zone comes
 * from the source address matched against the configured zones.
 */
public final class QuerierResolver {
    private record Network<T>(Cidr cidr, T value) {}

    private final int ednsOptionCode;
    private final ClusterId[] clusters;
    private final byte[][] clusterNames;
    private final List<Network<ClusterId>> clusterNetworks;
    private final List<Network<String>> topologyZoneNetworks;

    public QuerierResolver(LoadBalancingConfig config) {
        this.ednsOptionCode = config.ednsClusterOption();
        int n = config.clusters().size();
        this.clusters = new ClusterId[n];
        this.clusterNames = new byte[n][];
        List<Network<ClusterId>> byCluster = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LoadBalancingConfig.Cluster c = config.clusters().get(i);
            clusters[i] = c.id();
            clusterNames[i] = c.id().value().getBytes(StandardCharsets.US_ASCII);
            for (Cidr cidr : c.sourceCidrs()) {
                byCluster.add(new Network<>(cidr, c.id()));
            }
        }
        this.clusterNetworks = longestFirst(byCluster);
        List<Network<String>> byZone = new ArrayList<>();
        for (LoadBalancingConfig.TopologyZone z : config.topologyZones()) {
            byZone.add(new Network<>(z.cidr(), z.zone()));
        }
        this.topologyZoneNetworks = longestFirst(byZone);
    }

    /** The EDNS0 option code that carries the querier's cluster id. */
    public int ednsOptionCode() {
        return ednsOptionCode;
    }

    /** The query context of a client that sent no cluster option. */
    public QueryContext resolve(InetAddress client) {
        return resolve(client, null, 0, 0);
    }

    /**
     * The query context of one query.
     *
     * @param optionData the buffer holding the cluster option's data, or {@code null} when the query has
     *     none; {@code offset} and {@code length} delimit the data in it
     */
    public QueryContext resolve(InetAddress client, byte[] optionData, int offset, int length) {
        ClusterId cluster = optionData == null ? null : clusterOfOption(optionData, offset, length);
        String topologyZone = null;
        if (client != null && (cluster == null && !clusterNetworks.isEmpty() || !topologyZoneNetworks.isEmpty())) {
            byte[] address = client.getAddress();
            if (cluster == null) {
                cluster = match(clusterNetworks, address);
            }
            topologyZone = match(topologyZoneNetworks, address);
        }
        return new QueryContext(client, cluster, topologyZone);
    }

    /** The configured cluster named by an option's data (ASCII, case-insensitive), else {@code null}. */
    public ClusterId clusterOfOption(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            return null;
        }
        for (int i = 0; i < clusters.length; i++) {
            if (equalsIgnoreAsciiCase(clusterNames[i], data, offset, length)) {
                return clusters[i];
            }
        }
        return null;
    }

    /** The cluster whose source networks contain {@code client} (longest prefix), else {@code null}. */
    public ClusterId clusterOfSource(InetAddress client) {
        return clusterNetworks.isEmpty() ? null : match(clusterNetworks, client.getAddress());
    }

    /** The zone whose network contains {@code client} (longest prefix), else {@code null}. */
    public String topologyZoneOfSource(InetAddress client) {
        return topologyZoneNetworks.isEmpty() ? null : match(topologyZoneNetworks, client.getAddress());
    }

    private static <T> T match(List<Network<T>> networks, byte[] address) {
        for (int i = 0, n = networks.size(); i < n; i++) {
            Network<T> net = networks.get(i);
            if (net.cidr().contains(address)) {
                return net.value();
            }
        }
        return null;
    }

    private static <T> List<Network<T>> longestFirst(List<Network<T>> networks) {
        networks.sort(
                Comparator.comparingInt((Network<T> n) -> n.cidr().prefix()).reversed());
        return List.copyOf(networks);
    }

    private static boolean equalsIgnoreAsciiCase(byte[] lower, byte[] data, int offset, int length) {
        if (lower.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            int b = data[offset + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lower[i]) {
                return false;
            }
        }
        return true;
    }
}
