package io.meshdns.server.http;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.MeshSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When meshdns should receive traffic: once every configured cluster has synced, or once
 * {@code readyAfter} has passed since start with at least one synced. A cluster that synced and then
 * lost its API server keeps meshdns ready: its last known endpoints are still served, and taking every
 * replica out of rotation for one cluster's outage would turn it into a mesh-wide one. The verdict names
 * such clusters all the same.
 *
 * <p>Every check that finds the mesh ready runs {@code onReady} before it returns: that opens DNS answers
 * and zone transfers ({@link QueryResponder#markReady}), so {@code /readyz} never says ready while DNS
 * still holds in-zone answers back.
 */
public final class Readiness {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);

    /** One cluster as the verdict sees it. */
    record ClusterView(String id, String state, boolean syncedOnce, String reason) {}

    /** The body of {@code /readyz}. */
    public record Verdict(
            boolean ready, String reason, List<ClusterView> clusters, long readyAfterSeconds, double uptimeSeconds) {}

    private final Supplier<MeshSnapshot> snapshot;
    private final Supplier<List<ClusterSpec>> configured;
    private final Duration readyAfter;
    private final Instant startedAt;
    private final AtomicReference<Boolean> lastLogged = new AtomicReference<>();
    private final Runnable onReady;

    public Readiness(
            Supplier<MeshSnapshot> snapshot,
            Supplier<List<ClusterSpec>> configured,
            Duration readyAfter,
            Instant startedAt,
            Runnable onReady) {
        this.snapshot = snapshot;
        this.configured = configured;
        this.readyAfter = readyAfter;
        this.startedAt = startedAt;
        this.onReady = onReady;
    }

    public Verdict check() {
        return check(Instant.now());
    }

    public Verdict check(Instant now) {
        MeshSnapshot s = snapshot.get();
        List<ClusterView> views = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        List<String> degraded = new ArrayList<>();
        int synced = 0;
        for (ClusterSpec spec : configured.get()) {
            ClusterId id = spec.id();
            ClusterHealth h = s.clusters().get(id);
            ClusterState state = h == null ? ClusterState.CONNECTING : h.state();
            boolean once = syncedOnce(state);
            String reason = h == null ? null : h.reason();
            views.add(new ClusterView(id.value(), state.name(), once, reason));
            String described = id + " " + state + (reason == null ? "" : " (" + reason + ")");
            if (!once) {
                waiting.add(described);
            } else {
                synced++;
                if (state != ClusterState.SYNCED) {
                    degraded.add(described);
                }
            }
        }
        Duration up = Duration.between(startedAt, now);
        int total = views.size();
        boolean ready;
        String reason;
        if (waiting.isEmpty()) {
            ready = true;
            reason = total == 0 ? "no clusters configured" : "all " + total + " clusters have synced";
        } else if (synced > 0 && up.compareTo(readyAfter) >= 0) {
            ready = true;
            reason = "readyAfter " + readyAfter.toSeconds() + "s elapsed with " + synced + " of " + total
                    + " clusters synced; not synced: " + String.join(", ", waiting);
        } else {
            ready = false;
            reason = "waiting for " + String.join(", ", waiting)
                    + (synced == 0 ? "; no cluster has synced yet" : "")
                    + (up.compareTo(readyAfter) < 0
                            ? "; readyAfter " + readyAfter.toSeconds() + "s, "
                                    + readyAfter.minus(up).toSeconds() + "s left"
                            : "");
        }
        if (!degraded.isEmpty()) {
            reason += "; serving last known endpoints of " + String.join(", ", degraded);
        }
        Verdict verdict = new Verdict(ready, reason, views, readyAfter.toSeconds(), up.toMillis() / 1000.0);
        if (ready) {
            onReady.run();
        }
        Boolean before = lastLogged.getAndSet(ready);
        if (before == null ? ready : before != ready) {
            log.info("event={} reason=\"{}\"", ready ? "ready" : "not-ready", reason);
        }
        return verdict;
    }

    /** States a cluster only reaches after its first complete sync. */
    static boolean syncedOnce(ClusterState state) {
        return state == ClusterState.SYNCED || state == ClusterState.DISCONNECTED || state == ClusterState.STALE;
    }
}
