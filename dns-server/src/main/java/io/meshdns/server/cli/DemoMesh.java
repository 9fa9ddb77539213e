package io.meshdns.server.cli;

import static io.meshdns.testkit.MeshObjects.corednsConfigMap;
import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.headless;
import static io.meshdns.testkit.MeshObjects.namespace;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.service;
import static io.meshdns.testkit.MeshObjects.slice;
import static io.meshdns.testkit.MeshObjects.sliceOf;
import static io.meshdns.testkit.MeshObjects.withTargetPort;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.testkit.EndpointSpec;
import io.meshdns.testkit.MockCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The embedded two-cluster mesh of {@code meshdns demo}: clusters {@code east} and {@code west}, each a
 * real mock API server, seeded with sample services. meshdns watches them through the same discovery
 * code as {@code serve}.
 */
public final class DemoMesh implements AutoCloseable {
    /**
     * The demo's config: every default, DNS on loopback port 5353, PTRs for the demo pod networks, and zone
     * transfers for local clients (so `dig AXFR` shows the whole zone).
     */
    static final String CONFIG = """
      dns:
        bind: 127.0.0.1
        port: 5353
      reverseZones: [10.10.0.0/16, 10.20.0.0/16]
      axfr:
        allow: [127.0.0.0/8, "::1"]
      """;

    /**
     * The config of a synthetic mesh: as {@link #CONFIG}, with PTRs for the whole synthetic pod network
     * (10.0.0.0/8).
     */
    static final String SYNTHETIC_CONFIG = """
      dns:
        bind: 127.0.0.1
        port: 5353
      reverseZones: [10.0.0.0/8]
      axfr:
        allow: [127.0.0.0/8, "::1"]
      """;

    /** How many synthetic namespaces the services are spread over. */
    static final int SYNTHETIC_NAMESPACES = 4;
    /** Every this many services, one is headless (per-pod names, SRV per pod); the others are ClusterIP. */
    static final int HEADLESS_EVERY = 10;
    /** The EndpointSlice controller's default maximum of endpoints per slice. */
    static final int ENDPOINTS_PER_SLICE = 100;

    private final Map<String, MockCluster> clusters = new LinkedHashMap<>();
    private final Size size;

    private DemoMesh(Size size) {
        this.size = size;
    }

    /**
     * The size of a synthetic mesh: every one of {@code services} services exists, exported, in each of
     * {@code clusters} clusters, with {@code podsPerCluster} ready pods in each.
     */
    public record Size(int clusters, int services, int podsPerCluster) {
        public Size {
            if (clusters < 1 || clusters > 1000) {
                throw new IllegalArgumentException("--clusters must be between 1 and 1000, was " + clusters);
            }
            if (services < 1) {
                throw new IllegalArgumentException("--services must be at least 1, was " + services);
            }
            if (podsPerCluster < 0) {
                throw new IllegalArgumentException("--pods-per-cluster must be 0 or more, was " + podsPerCluster);
            }
            // Every pod gets its own address in 10.0.0.0/8 (minus network and broadcast).
            if ((long) clusters * services * podsPerCluster > (1 << 24) - 2) {
                throw new IllegalArgumentException("--clusters x --services x --pods-per-cluster must be at most "
                        + ((1 << 24) - 2) + " (one 10.0.0.0/8 address per pod), was "
                        + (long) clusters * services * podsPerCluster);
            }
        }

        /** Pods across the mesh: clusters x services x pods per cluster. */
        public long endpoints() {
            return (long) clusters * services * podsPerCluster;
        }
    }

    /** Starts {@code east} and {@code west}, writes their kubeconfigs into {@code kubeconfigDir}, seeds them. */
    public static DemoMesh start(Path kubeconfigDir) {
        DemoMesh mesh = new DemoMesh(null);
        try {
            for (String id : List.of("east", "west")) {
                mesh.clusters.put(id, MockCluster.start(id, kubeconfigDir));
            }
            mesh.seed();
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
        return mesh;
    }

    /**
     * Starts clusters {@code c0..c<n-1>}, writes their kubeconfigs into {@code kubeconfigDir}, and creates
     * the synthetic services and EndpointSlices of {@code size} through their APIs (see {@link #serviceName},
     * {@link #podAddress}). Namespace {@code ns-<s mod 4>}; every {@value #HEADLESS_EVERY}th service
     * headless with a named port and pod hostnames, so per-pod names and SRV sets exist.
     */
    public static DemoMesh startSynthetic(Path kubeconfigDir, Size size) {
        DemoMesh mesh = new DemoMesh(size);
        try {
            // Each mock API server takes a second or more to start: start them side by side.
            List<CompletableFuture<MockCluster>> starting = new ArrayList<>();
            for (int c = 0; c < size.clusters(); c++) {
                String id = "c" + c;
                starting.add(CompletableFuture.supplyAsync(() -> MockCluster.start(id, kubeconfigDir)));
            }
            RuntimeException failed = null;
            for (var s : starting) {
                try {
                    MockCluster cluster = s.join();
                    mesh.clusters.put(cluster.id(), cluster);
                } catch (CompletionException e) {
                    failed = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
            if (failed != null) {
                throw failed;
            }
            mesh.seedSynthetic();
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
        return mesh;
    }

    /** The synthetic size, or {@code null} for the two-cluster demo. */
    public Size size() {
        return size;
    }

    /** The config meshdns serves this mesh with. */
    public String config() {
        return size == null ? CONFIG : SYNTHETIC_CONFIG;
    }

    public static String namespaceName(int service) {
        return "ns-" + service % SYNTHETIC_NAMESPACES;
    }

    public static String serviceName(int service) {
        return "svc-" + service;
    }

    public static boolean isHeadless(int service) {
        return service % HEADLESS_EVERY == HEADLESS_EVERY - 1;
    }

    /** Pod {@code pod} of service {@code service} in cluster {@code cluster}: one distinct 10.0.0.0/8 address. */
    public String podAddress(int cluster, int service, int pod) {
        long n = ((long) cluster * size.services() + service) * size.podsPerCluster() + pod + 1;
        return "10." + (n >> 16 & 0xFF) + "." + (n >> 8 & 0xFF) + "." + (n & 0xFF);
    }

    /** The synthetic pods of one service in one cluster. */
    public List<EndpointSpec> syntheticPods(int cluster, int service) {
        List<EndpointSpec> pods = new ArrayList<>(size.podsPerCluster());
        for (int p = 0; p < size.podsPerCluster(); p++) {
            pods.add(new EndpointSpec(podAddress(cluster, service, p), true, isHeadless(service) ? "pod-" + p : null));
        }
        return pods;
    }

    /**
     * Stores the services and their slices straight into each cluster's mock API server (see
     * {@link MockCluster#load}), one thread per cluster up to the machine's cores.
     */
    private void seedSynthetic() {
        int namespaces = Math.min(SYNTHETIC_NAMESPACES, size.services());
        List<MockCluster> all = List.copyOf(clusters.values());
        ExecutorService pool = Executors.newFixedThreadPool(
                Math.max(1, Math.min(all.size(), Runtime.getRuntime().availableProcessors())), r -> {
                    Thread t = new Thread(r, "demo-seed");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < all.size(); c++) {
                int cluster = c;
                MockCluster target = all.get(c);
                work.add(pool.submit(() -> {
                    for (int n = 0; n < namespaces; n++) {
                        target.load(namespace("ns-" + n));
                    }
                    target.load(namespace("kube-system"));
                    target.load(corednsConfigMap());
                    for (int s = 0; s < size.services(); s++) {
                        seedService(target, cluster, s);
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while seeding the synthetic mesh", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("seeding the synthetic mesh failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One service in one cluster and its EndpointSlices of up to 100 endpoints, as the controller cuts them. */
    private void seedService(MockCluster target, int cluster, int service) {
        String ns = namespaceName(service);
        String name = serviceName(service);
        long ip = (long) cluster * size.services() + service + 1; // 100.64.0.0/10 holds 4M service IPs
        String clusterIp = "100." + (64 + (ip >> 16 & 0x3F)) + "." + (ip >> 8 & 0xFF) + "." + (ip & 0xFF);
        boolean headless = isHeadless(service);
        Service svc = headless
                ? headless(service(ns, name, "None", true), "tcp-db", 5432)
                : service(ns, name, clusterIp, true);
        target.load(svc);
        List<EndpointSpec> pods = syntheticPods(cluster, service);
        for (int from = 0, k = 0; from < pods.size(); from += ENDPOINTS_PER_SLICE, k++) {
            List<EndpointSpec> part = pods.subList(from, Math.min(pods.size(), from + ENDPOINTS_PER_SLICE));
            target.load(
                    headless
                            ? sliceOf(ns, name, name + "-c" + cluster + "-" + k, "tcp-db", 5432, part)
                            : sliceOf(ns, name, name + "-c" + cluster + "-" + k, part));
        }
    }

    public MockCluster cluster(String id) {
        return clusters.get(id);
    }

    public List<MockCluster> clusters() {
        return List.copyOf(clusters.values());
    }

    /**
     * The clusters as meshdns watches them. In the two-cluster demo {@code east} routes pod and service IPs
     * ({@code [pod, clusterIP]}) and {@code west} only pod IPs ({@code [pod]}), so a Service whose
     * targetPort differs from its port shows both outcomes: east answers its ClusterIP, west is left out.
     */
    public List<ClusterSpec> specs() {
        return clusters.values().stream()
                .map(c -> new ClusterSpec(
                        ClusterId.of(c.id()),
                        c.kubeconfig(),
                        c.id(),
                        size == null && c.id().equals("east")
                                ? List.of(Reachability.POD, Reachability.CLUSTER_IP)
                                : List.of(Reachability.POD)))
                .toList();
    }

    private void seed() {
        clusters.get("east").namespace("shop");
        clusters.get("west").namespace("shop");
        for (MockCluster c : clusters.values()) {
            coredns(c);
        }
        KubernetesClient east = clusters.get("east").client();
        KubernetesClient west = clusters.get("west").client();
        // web: exported from both clusters; west has one pod that is not ready and must never be answered.
        exported(east, "shop", "web", "10.96.0.10");
        slice(east, "shop", "web", "web-east-1", pods("10.10.1.", 1, 3, true));
        exported(west, "shop", "web", "10.97.0.10");
        List<EndpointSpec> westPods = new ArrayList<>(pods("10.20.1.", 1, 2, true));
        westPods.add(new EndpointSpec("10.20.1.3", false));
        slice(west, "shop", "web", "web-west-1", westPods);
        // cart: only east exports it.
        exported(east, "shop", "cart", "10.96.0.11");
        slice(east, "shop", "cart", "cart-east-1", pods("10.10.2.", 1, 2, true));
        // db: a headless StatefulSet-style service; each pod has its own name per cluster, and SRV records.
        create(east, headless(service("shop", "db", "None", true), "postgres", 5432));
        slice(
                east,
                "shop",
                "db",
                "db-east-1",
                "postgres",
                5432,
                List.of(new EndpointSpec("10.10.3.1", true, "db-0"), new EndpointSpec("10.10.3.2", true, "db-1")));
        create(west, headless(service("shop", "db", "None", true), "postgres", 5432));
        slice(west, "shop", "db", "db-west-1", "postgres", 5432, List.of(new EndpointSpec("10.20.3.1", true, "db-0")));
        // checkout: port 80 -> targetPort 8080, the most common shape. A client of a pod IP on port 80 would be
        // refused, so east ([pod, clusterIP]) answers its ClusterIP and west ([pod]) is left out, with the reason.
        create(east, withTargetPort(service("shop", "checkout", "10.96.0.12", true), 8080));
        slice(east, "shop", "checkout", "checkout-east-1", "http", 8080, pods("10.10.4.", 1, 2, true));
        create(west, withTargetPort(service("shop", "checkout", "10.97.0.13", true), 8080));
        slice(west, "shop", "checkout", "checkout-west-1", "http", 8080, pods("10.20.4.", 1, 2, true));
        // docs: an ExternalName service: exporting one is invalid (KEP-1645), so it has no global name and
        // the status page says why.
        east.services()
                .resource(new ServiceBuilder(service("shop", "docs", null, true))
                        .editSpec()
                        .withType("ExternalName")
                        .withExternalName("docs.example.com")
                        .withClusterIP(null)
                        .withClusterIPs((List<String>) null)
                        .withSelector(null)
                        .withPorts(List.of())
                        .endSpec()
                        .build())
                .create();
        // payments: exists in west but is not exported, so it has no global name.
        west.services()
                .resource(service("shop", "payments", "10.97.0.12", false))
                .create();
        slice(west, "shop", "payments", "payments-west-1", pods("10.20.3.", 1, 2, true));
    }

    /**
     * kube-system and its CoreDNS ConfigMap as kubeadm installs them, so {@code meshdns coredns-config --dry-run}
     * and {@code --apply} can be tried on the demo. meshdns watches neither, so the mesh's answers do not change.
     */
    private static void coredns(MockCluster cluster) {
        cluster.namespace("kube-system");
        cluster.client()
                .configMaps()
                .inNamespace("kube-system")
                .resource(corednsConfigMap())
                .create();
    }

    private static void create(KubernetesClient client, Service service) {
        client.services().resource(service).create();
    }

    /** Stops every mock API server side by side (each waited for at most {@link MockCluster#CLOSE_WAIT}). */
    @Override
    public void close() {
        List<Thread> closing = new ArrayList<>();
        for (MockCluster c : clusters.values()) {
            Thread t = new Thread(c::close, "demo-closing-" + c.id());
            t.setDaemon(true);
            t.start();
            closing.add(t);
        }
        try {
            for (Thread t : closing) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clusters.clear(); // so the stopped servers' stores can be collected while the mesh object lives on
    }
}
