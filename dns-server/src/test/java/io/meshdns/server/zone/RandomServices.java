package io.meshdns.server.zone;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random services for the zone's property tests: headless or not, in some of two clusters, with up to three
 * IPv4 or IPv6 endpoints each, some not ready, some with hostnames. A seeded {@link Random} makes every run
 * the same.
 */
public final class RandomServices {
    public static final List<ClusterId> CLUSTERS = List.of(ClusterId.of("east"), ClusterId.of("west"));

    private final Random random;
    /** One service in this many is an ExternalName; 0 for none (and no draw for it). */
    private final int externalOneIn;

    public RandomServices(Random random, int externalOneIn) {
        this.random = random;
        this.externalOneIn = externalOneIn;
    }

    public GlobalService next(ServiceKey key) throws UnknownHostException {
        boolean headless = random.nextBoolean();
        boolean external = externalOneIn > 0 && random.nextInt(externalOneIn) == 0;
        Map<ClusterId, ClusterService> byCluster = new HashMap<>();
        for (ClusterId cluster : CLUSTERS) {
            if (random.nextInt(3) == 0) {
                continue;
            }
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0; i--) {
                InetAddress address = random.nextInt(4) == 0
                        ? InetAddress.getByName("fd00::" + (random.nextInt(6) + 1))
                        : InetAddress.getByName("10.10." + random.nextInt(4) + "." + (random.nextInt(6) + 1));
                String hostname = random.nextBoolean() ? "pod-" + random.nextInt(3) : null;
                endpoints.add(
                        new Endpoint(cluster, address, random.nextInt(4) != 0, true, false, hostname, null, null));
            }
            byCluster.put(
                    cluster,
                    new ClusterService(
                            cluster,
                            key,
                            external ? "ExternalName" : "ClusterIP",
                            headless,
                            external ? "docs.example.com" : null,
                            List.of(new ServicePort("http", 80, "TCP")),
                            endpoints,
                            Map.of()));
        }
        if (byCluster.isEmpty()) {
            ClusterId only = CLUSTERS.get(0);
            byCluster.put(
                    only, new ClusterService(only, key, "ClusterIP", headless, null, List.of(), List.of(), Map.of()));
        }
        return new GlobalService(key, byCluster);
    }
}
