package io.meshdns.server.zone;

import io.meshdns.discovery.MeshSnapshot;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The zone being served, as Knot's zone database: the current {@link ZoneIndex} and whether the mesh has
 * been ready once. Built by the assembly and handed to whoever reads the zone (the query responder, the
 * status API, NOTIFY), so none of them reaches through another for it.
 *
 * <p>One writer: the discovery publisher thread calls {@link #update}; everyone else reads the two
 * volatile fields. Each index is immutable, so a reader holds a consistent zone for as long as it likes.
 */
public final class ServedZone {
    /** Told of each new index on the publisher thread, right after it is served (the IXFR journal). */
    public interface Listener {
        void published(ZoneIndex previous, ZoneIndex next);
    }

    private final ZoneSettings settings;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile ZoneIndex index;
    /**
     * Whether the mesh has been ready once (every cluster synced, or {@code readyAfter} with one synced):
     * until then in-zone queries get SERVFAIL and zone transfers are closed, so a partly loaded mesh never
     * answers NXDOMAIN or some of a service's addresses. Set after the index it judged and never cleared: a
     * cluster lost later keeps its last endpoints until {@code staleAfter}.
     */
    private volatile boolean ready;

    public ServedZone(ZoneSettings settings) {
        this.settings = settings;
        this.index = ZoneIndex.build(settings, MeshSnapshot.empty());
    }

    public ZoneSettings settings() {
        return settings;
    }

    /** The index answers come from now. */
    public ZoneIndex index() {
        return index;
    }

    /** Whether {@link #markReady} was called: answers, transfers and NOTIFYs go by this one signal. */
    public boolean ready() {
        return ready;
    }

    /** The mesh is ready: answer from the zone from now on, and open transfers. Idempotent. */
    public void markReady() {
        ready = true;
    }

    /** Adds a listener told of every later index; call while assembling, before the mesh publishes. */
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /**
     * Called on the discovery publisher thread with each new snapshot, after the load balancer's update.
     * Only the services that changed are rebuilt; the listeners (the IXFR journal) hear of it after the new
     * index is served, so they never delay answers.
     */
    public void update(MeshSnapshot snapshot) {
        ZoneIndex previous = index;
        ZoneIndex next = ZoneIndex.build(settings, snapshot, previous);
        index = next;
        for (Listener l : listeners) {
            l.published(previous, next);
        }
    }
}
