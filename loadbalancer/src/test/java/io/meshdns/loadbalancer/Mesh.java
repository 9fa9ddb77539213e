package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the discovery values the load balancer reads: services, their endpoints, cluster health. */
final class Mesh {
    static final ServiceKey WEB = ServiceKey.of("shop", "web");
    /** A querier of which nothing is known: no source address, cluster or zone. */
    static final QueryContext ANYONE = new QueryContext(null, null, null);

    private final Map<ClusterId, List<Endpoint>> endpoints = new LinkedHashMap<>();
    private final Map<ClusterId, Map<String, String>> annotations = new LinkedHashMap<>();
    private final Map<ClusterId, ClusterState> states = new LinkedHashMap<>();
    private boolean headless;

    static Mesh web() {
        return new Mesh();
    }

    /** A querier in {@code cluster}, of unknown zone. */
    static QueryContext querier(String cluster) {
        return new QueryContext(null, ClusterId.of(cluster), null);
    }

    /** Adds endpoints in {@code cluster}: {@code ready("10.0.0.1")}, {@code notReady(...)}, etc. */
    Mesh in(String cluster, Pod... builders) {
        ClusterId id = ClusterId.of(cluster);
        List<Endpoint> list = endpoints.computeIfAbsent(id, k -> new ArrayList<>());
        for (var b : builders) {
            list.add(b.build(id));
        }
        states.putIfAbsent(id, ClusterState.SYNCED);
        return this;
    }

    Mesh annotate(String cluster, String name, String value) {
        annotations
                .computeIfAbsent(ClusterId.of(cluster), k -> new LinkedHashMap<>())
                .put(name, value);
        endpoints.computeIfAbsent(ClusterId.of(cluster), k -> new ArrayList<>());
        states.putIfAbsent(ClusterId.of(cluster), ClusterState.SYNCED);
        return this;
    }

    /** The service is headless (answers name its pods, SRV records too). */
    Mesh headless() {
        headless = true;
        return this;
    }

    Mesh state(String cluster, ClusterState state) {
        states.put(ClusterId.of(cluster), state);
        return this;
    }

    GlobalService service() {
        Map<ClusterId, ClusterService> byCluster = new LinkedHashMap<>();
        for (var e : endpoints.entrySet()) {
            byCluster.put(
                    e.getKey(),
                    new ClusterService(
                            e.getKey(),
                            WEB,
                            "ClusterIP",
                            headless,
                            null,
                            List.of(new ServicePort("http", 80, "TCP")),
                            e.getValue(),
                            annotations.getOrDefault(e.getKey(), Map.of())));
        }
        return new GlobalService(WEB, byCluster);
    }

    MeshSnapshot snapshot(long version) {
        return snapshot(version, service());
    }

    MeshSnapshot snapshot(long version, GlobalService service) {
        Map<ClusterId, ClusterHealth> health = new LinkedHashMap<>();
        for (var e : states.entrySet()) {
            health.put(e.getKey(), new ClusterHealth(e.getKey(), e.getValue(), Instant.EPOCH, null, 1, 0, 0, null));
        }
        return MeshSnapshot.of(version, Map.of(WEB, service), health);
    }

    static Pod ready(String ip) {
        return endpoint(ip, true, true, false, null);
    }

    static Pod ready(String ip, String zone) {
        return endpoint(ip, true, true, false, zone);
    }

    /** A ready address of the pod {@code pod} (its EndpointSlice targetRef). */
    static Pod pod(String pod, String ip) {
        InetAddress address = address(ip);
        return cluster -> new Endpoint(
                cluster,
                address,
                true,
                true,
                false,
                null,
                null,
                null,
                new Endpoint.TargetRef("Pod", WEB.namespace(), pod),
                List.of());
    }

    static Pod terminating(String ip) {
        return endpoint(ip, false, true, true, null);
    }

    static Pod notReady(String ip) {
        return endpoint(ip, false, false, false, null);
    }

    /** {@code count} ready endpoints {@code prefix1 .. prefixN}. */
    static Pod[] readyRange(String prefix, int count) {
        Pod[] out = new Pod[count];
        for (int i = 0; i < count; i++) {
            out[i] = ready(prefix + (i + 1));
        }
        return out;
    }

    /** {@code count} ready endpoints 10.10.0.1, 10.10.0.2, ..., 250 to a /24 (10.10.1.1 is the 251st). */
    static Pod[] readyPods(int count) {
        Pod[] out = new Pod[count];
        for (int i = 0; i < count; i++) {
            out[i] = ready("10.10." + i / 250 + "." + (i % 250 + 1));
        }
        return out;
    }

    private static Pod endpoint(String ip, boolean ready, boolean serving, boolean terminating, String zone) {
        InetAddress address = address(ip);
        return cluster -> new Endpoint(cluster, address, ready, serving, terminating, null, null, zone);
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip); // test literals only
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    /**
     * One query's answer, through the entry point the DNS server calls per query: {@code out} exactly the
     * cap long, {@code scratch} exactly as long as the candidates and full of leftovers, as a reused one is.
     */
    static List<Endpoint> answer(EndpointOrder order, QueryContext query) {
        int[] out = new int[order.candidates().size()];
        int[] scratch = new int[order.candidates().size()];
        Arrays.fill(scratch, LEFTOVER);
        int n = order.next(query.querierCluster(), query.querierTopologyZone(), out, scratch);
        List<Endpoint> chosen = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            chosen.add(order.candidates().get(out[i]));
        }
        return chosen;
    }

    private static final int LEFTOVER = 0x5EED;

    static List<String> ips(List<Endpoint> endpoints) {
        return endpoints.stream().map(e -> e.address().getHostAddress()).toList();
    }

    static List<String> clusters(List<Endpoint> endpoints) {
        return endpoints.stream().map(e -> e.cluster().value()).toList();
    }

    /** An endpoint waiting for the cluster it is added to. */
    interface Pod {
        Endpoint build(ClusterId cluster);
    }
}
