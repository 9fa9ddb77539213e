package io.meshdns.bench;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import io.meshdns.loadbalancer.EndpointOrder;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.LoadBalancingConfig;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The load balancer alone, for one large service: 1,000 ready pods in 3 clusters, spread over 3 zones,
 * answers capped at 8. {@code order}: one query's choice through the entry point the DNS server calls per
 * query ({@link EndpointOrder#next(ClusterId, String, int[], int[])}), for a cluster-neutral querier in
 * zone {@code zone-a}. {@code update}: what a new snapshot that changed this service costs on the publisher
 * thread ({@link EndpointSelector#update}: candidates per address family, sorted, and the policy's plan).
 * Run with {@code -prof gc}: {@code order} must allocate nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class LoadBalancerBench {
    static final int PODS = 1000;
    static final int CLUSTERS = 3;
    static final int ZONES = 3;

    @Param({"random", "zone-aware", "round-robin"})
    public String policy;

    private EndpointSelector selector;
    private EndpointOrder order;
    private final int[] out = new int[PODS];
    private final int[] scratch = new int[PODS];
    /** Two publications of the same service: each update replaces the other's plan, as a changed service does. */
    private final MeshSnapshot[] snapshots = new MeshSnapshot[2];

    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        List<LoadBalancingConfig.Cluster> clusters = new ArrayList<>();
        for (int c = 0; c < CLUSTERS; c++) {
            clusters.add(LoadBalancingConfig.Cluster.of(ClusterId.of("c" + c)));
        }
        selector = new EndpointSelector(LoadBalancingConfig.of(
                policy,
                LoadBalancingConfig.DEFAULT_MAX_ANSWERS,
                LoadBalancingConfig.DEFAULT_EDNS_CLUSTER_OPTION,
                clusters,
                List.of()));
        snapshots[0] = snapshot(1);
        snapshots[1] = snapshot(2);
        selector.update(snapshots[0]);
        order = selector.addresses(snapshots[0].services().values().iterator().next(), false);
    }

    @Benchmark
    public int order() {
        return order.next(null, "zone-a", out, scratch);
    }

    @Benchmark
    public int update() {
        next ^= 1;
        return selector.update(snapshots[next]).size();
    }

    private static MeshSnapshot snapshot(long version) throws Exception {
        ServiceKey key = ServiceKey.of("shop", "web");
        Map<ClusterId, List<Endpoint>> pods = new HashMap<>();
        Map<ClusterId, ClusterHealth> health = new HashMap<>();
        for (int p = 0; p < PODS; p++) {
            ClusterId id = ClusterId.of("c" + p % CLUSTERS);
            InetAddress ip =
                    InetAddress.getByAddress(new byte[] {10, (byte) (p % CLUSTERS), (byte) (p >> 8), (byte) p});
            // Names not in address order, as a Deployment's random pod suffixes are.
            String pod = "web-" + Integer.toHexString(p * 7919 % 65_521);
            pods.computeIfAbsent(id, k -> new ArrayList<>())
                    .add(new Endpoint(
                            id,
                            ip,
                            true,
                            true,
                            false,
                            null,
                            null,
                            "zone-" + (char) ('a' + p / CLUSTERS % ZONES),
                            new Endpoint.TargetRef("Pod", "shop", pod),
                            List.of()));
        }
        Map<ClusterId, ClusterService> byCluster = new HashMap<>();
        pods.forEach((id, list) -> {
            byCluster.put(
                    id,
                    new ClusterService(
                            id,
                            key,
                            "ClusterIP",
                            false,
                            null,
                            List.of(new ServicePort("http", 80, "TCP")),
                            list,
                            Map.of()));
            health.put(id, new ClusterHealth(id, ClusterState.SYNCED, Instant.EPOCH, null, 1, list.size(), 0, null));
        });
        return MeshSnapshot.of(version, Map.of(key, new GlobalService(key, byCluster)), health);
    }
}
