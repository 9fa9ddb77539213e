package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.awaitSynced;
import static io.meshdns.discovery.TestMesh.readySlice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.core.KubernetesNames;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 5,000 services with 3 endpoints each, created, changed and deleted in bursts while meshdns watches:
 * afterwards the snapshot equals the API's state object by object, with no endpoint lost or duplicated.
 * The services are spread over four clusters: the mock API server scans all its objects on every request,
 * so one server holding all 10,000 objects would make the test minutes long.
 */
class ChurnConsistencyTest {
    static final int SERVICES = 5000;
    static final String NS = "load";

    @TempDir
    Path dir;

    final List<MockCluster> clusters = new ArrayList<>();
    MeshWatcher mesh;
    ExecutorService writers;
    final Map<Integer, String> sliceVersions = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        for (String id : List.of("east", "west", "north", "south")) {
            MockCluster c = MockCluster.start(id, dir);
            c.namespace(NS);
            clusters.add(c);
        }
        writers = Executors.newFixedThreadPool(8);
        mesh = TestMesh.start(
                TestMesh.fast().withCoalesce(Duration.ofMillis(50)),
                clusters.stream().map(TestMesh::spec).toArray(ClusterSpec[]::new));
        awaitSynced(mesh, clusters.toArray(MockCluster[]::new));
    }

    @AfterEach
    void stop() {
        writers.shutdownNow();
        mesh.close();
        clusters.forEach(MockCluster::close);
    }

    /** Service i lives in cluster i mod 4. */
    private KubernetesClient api(int i) {
        return clusters.get(i % clusters.size()).client();
    }

    @Test
    void burstsOfChangesEndInTheApisExactState() throws Exception {
        // Burst 1: every service and its slice of 3 ready endpoints.
        burst(i -> {
            api(i).services()
                    .resource(MeshObjects.service(NS, "svc-" + i, ip(96, i), true))
                    .create();
            var created = api(i).discovery()
                    .v1()
                    .endpointSlices()
                    .resource(slice(i, 0))
                    .create();
            sliceVersions.put(i, created.getMetadata().getResourceVersion());
        });
        // Burst 2: every slice changes: an address replaced, one endpoint no longer ready.
        burst(i -> {
            EndpointSlice changed = slice(i, 1);
            changed.getMetadata().setResourceVersion(sliceVersions.get(i)); // one PUT, no GET first
            api(i).discovery().v1().endpointSlices().resource(changed).update();
        });
        // Burst 3: services deleted, slices deleted, services unexported, services re-created.
        burst(i -> {
            KubernetesClient api = api(i);
            if (i % 5 == 0) {
                api.services().inNamespace(NS).withName("svc-" + i).delete();
            } else if (i % 5 == 1) {
                api.discovery()
                        .v1()
                        .endpointSlices()
                        .inNamespace(NS)
                        .withName("svc-" + i + "-a")
                        .delete();
            } else if (i % 10 == 2) {
                api.services().inNamespace(NS).withName("svc-" + i).edit(s -> {
                    s.getMetadata().getAnnotations().put(KubernetesNames.EXPORT_ANNOTATION, "false");
                    return s;
                });
            } else if (i % 10 == 3) {
                api.services().inNamespace(NS).withName("svc-" + i).delete();
                api.services()
                        .resource(MeshObjects.service(NS, "svc-" + i, ip(96, i), true))
                        .create();
            }
        });

        Map<ServiceKey, List<String>> expected = new HashMap<>();
        clusters.forEach(c -> expected.putAll(apiState(c.client())));
        assertThat(expected).hasSizeGreaterThan(SERVICES / 2);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Map<ServiceKey, List<String>> actual = snapshotState(mesh.snapshot());
        while (!actual.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            actual = snapshotState(mesh.snapshot());
        }

        for (var e : expected.entrySet()) {
            assertThat(actual.get(e.getKey())).as("service %s", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(actual.keySet()).as("no service the API does not export").isEqualTo(expected.keySet());
        var clusters = mesh.snapshot().clusters().values();
        assertThat(clusters.stream().mapToInt(ClusterHealth::services).sum()).isEqualTo(expected.size());
        assertThat(clusters.stream().mapToInt(ClusterHealth::endpoints).sum())
                .isEqualTo(expected.values().stream().mapToInt(List::size).sum());
    }

    private void burst(IntConsumer change) throws Exception {
        List<Future<?>> done = new ArrayList<>();
        int threads = 8;
        for (int t = 0; t < threads; t++) {
            int first = t;
            done.add(writers.submit(() -> {
                for (int i = first; i < SERVICES; i += threads) {
                    change.accept(i);
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
    }

    private static String ip(int b, int i) {
        return "10." + b + "." + (i / 250) + "." + (i % 250 + 1);
    }

    /** Generation 0: three ready pods; generation 1: the third replaced, the second not ready. */
    private static EndpointSlice slice(int i, int generation) {
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();
        String[] ips = {ip(10, i), ip(20, i), generation == 0 ? ip(30, i) : ip(40, i)};
        for (int k = 0; k < 3; k++) {
            boolean ready = generation == 0 || k != 1;
            endpoints.add(new EndpointBuilder()
                    .withAddresses(ips[k])
                    .withNewConditions()
                    .withReady(ready)
                    .withServing(ready)
                    .withTerminating(!ready)
                    .endConditions()
                    .build());
        }
        return new EndpointSliceBuilder(readySlice(NS, "svc-" + i, "svc-" + i + "-a"))
                .withEndpoints(endpoints)
                .build();
    }

    /** Exported service -> its endpoints as "ip ready serving terminating", sorted; from the API. */
    private static Map<ServiceKey, List<String>> apiState(KubernetesClient api) {
        Map<ServiceKey, List<String>> out = new HashMap<>();
        for (Service s : api.services().inNamespace(NS).list().getItems()) {
            if ("true".equals(s.getMetadata().getAnnotations().get(KubernetesNames.EXPORT_ANNOTATION))) {
                out.put(ServiceKey.of(NS, s.getMetadata().getName()), new ArrayList<>());
            }
        }
        for (EndpointSlice slice :
                api.discovery().v1().endpointSlices().inNamespace(NS).list().getItems()) {
            List<String> eps =
                    out.get(ServiceKey.of(NS, slice.getMetadata().getLabels().get(KubernetesNames.SERVICE_NAME_LABEL)));
            if (eps != null) {
                for (var e : slice.getEndpoints()) {
                    var c = e.getConditions();
                    eps.add(e.getAddresses().get(0) + " " + c.getReady() + " " + c.getServing() + " "
                            + c.getTerminating());
                }
            }
        }
        out.values().forEach(l -> l.sort(null));
        return out;
    }

    private static Map<ServiceKey, List<String>> snapshotState(MeshSnapshot s) {
        Map<ServiceKey, List<String>> out = new HashMap<>();
        s.services().forEach((key, g) -> {
            if (!key.namespace().equals(NS)) {
                fail("unexpected service " + key);
            }
            List<String> eps = new ArrayList<>();
            for (Endpoint e : g.endpoints()) {
                eps.add(e.address().getHostAddress() + " " + e.ready() + " " + e.serving() + " " + e.terminating());
            }
            eps.sort(null);
            out.put(key, eps);
        });
        return out;
    }
}
