package io.meshdns.discovery;

import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A {@link MeshWatcher} with short intervals, waiting for the snapshot to reach a state, and the discovery
 * types of a {@link MockCluster}.
 */
final class TestMesh {
    /**
     * How long {@link #await} waits for a snapshot before calling it a hang. Long on purpose: fabric8's mock API
     * server (7.9) blocks its event loop for up to a minute when a watch closes while an event is being sent to
     * it (WatchEventsListener.onClosed waits for its sender, which waits for the event loop), and a cluster
     * restarted on it syncs only after that; on a loaded machine that window is often hit.
     */
    static final Duration HANG = Duration.ofMinutes(2);

    private TestMesh() {}

    static ClusterId clusterId(MockCluster cluster) {
        return ClusterId.of(cluster.id());
    }

    /** The cluster as meshdns watches it: its kubeconfig and context, pod IPs. */
    static ClusterSpec spec(MockCluster cluster) {
        return spec(cluster, Reachability.POD);
    }

    static ClusterSpec spec(MockCluster cluster, Reachability reachability) {
        return new ClusterSpec(clusterId(cluster), cluster.kubeconfig(), cluster.id(), reachability);
    }

    /** An IPv4 EndpointSlice of {@code service} as the EndpointSlice controller writes it: ready pods on port 8080. */
    static EndpointSlice readySlice(String namespace, String service, String sliceName, String... ips) {
        return MeshObjects.sliceOf(namespace, service, sliceName, "http", 8080, MeshObjects.ready(ips));
    }

    static WatchOptions fast() {
        return WatchOptions.defaults()
                .withCoalesce(Duration.ofMillis(20))
                .withHealthInterval(Duration.ofMillis(100))
                .withExportsRecheck(Duration.ofMillis(200))
                .withRetryInterval(Duration.ofMillis(100));
    }

    static MeshWatcher start(WatchOptions options, ClusterSpec... clusters) {
        MeshWatcher mesh = new MeshWatcher(options);
        mesh.setClusters(List.of(clusters)).join();
        return mesh;
    }

    /**
     * Waits for the publication of a snapshot that satisfies {@code condition} (or finds the current one
     * does) and returns that snapshot; fails naming it and showing the last snapshot. Woken by the
     * publication itself, not by polling; {@link #HANG} only guards against a snapshot that never comes.
     */
    static MeshSnapshot await(MeshWatcher mesh, String what, Predicate<MeshSnapshot> condition) {
        CompletableFuture<MeshSnapshot> reached = new CompletableFuture<>();
        // Listening before looking: a snapshot published in between is not missed.
        mesh.addListener(s -> {
            if (!reached.isDone() && condition.test(s)) {
                reached.complete(s);
            }
        });
        MeshSnapshot now = mesh.snapshot();
        if (condition.test(now)) {
            return now;
        }
        try {
            return reached.get(HANG.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return fail("no snapshot satisfied " + what + " in " + HANG.toSeconds() + " s; last snapshot: "
                    + describe(mesh.snapshot()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        } catch (ExecutionException e) {
            return fail("waiting for " + what, e.getCause());
        }
    }

    static MeshSnapshot awaitSynced(MeshWatcher mesh, MockCluster... clusters) {
        return await(mesh, "clusters synced", s -> {
            for (MockCluster c : clusters) {
                ClusterHealth h = s.clusters().get(clusterId(c));
                if (h == null || h.state() != ClusterState.SYNCED) {
                    return false;
                }
            }
            return true;
        });
    }

    static ClusterService part(MeshSnapshot s, MockCluster cluster, String namespace, String name) {
        GlobalService g = s.service(ServiceKey.of(namespace, name));
        return g == null ? null : g.byCluster().get(clusterId(cluster));
    }

    static Predicate<MeshSnapshot> has(MockCluster cluster, String namespace, String name) {
        return s -> part(s, cluster, namespace, name) != null;
    }

    static Predicate<MeshSnapshot> lacks(MockCluster cluster, String namespace, String name) {
        return s -> part(s, cluster, namespace, name) == null;
    }

    static String describe(MeshSnapshot s) {
        StringBuilder sb = new StringBuilder(
                "v" + s.version() + " clusters=" + s.clusters().values());
        for (Map.Entry<ServiceKey, GlobalService> e : s.services().entrySet()) {
            sb.append("\n  ").append(e.getKey()).append(": ");
            e.getValue()
                    .byCluster()
                    .forEach((c, cs) -> sb.append(c)
                            .append('=')
                            .append(cs.endpoints().stream()
                                    .map(ep -> ep.address().getHostAddress() + (ep.ready() ? "" : "(not ready)"))
                                    .toList())
                            .append(' '));
        }
        return sb.toString();
    }
}
