package io.meshdns.discovery;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every member cluster and publishes the merged {@link MeshSnapshot}.
 *
 * <p>Threading: informer threads only record "(cluster, service) changed at time t" in a concurrent map
 * and ask for a publication. One publisher thread owns all mutable state, rebuilds just the changed
 * services from the informers' stores, and swaps in a new immutable snapshot. Publications are coalesced:
 * at most one per {@code coalesce} interval, and the first change after a quiet period is published at
 * once, so no change waits longer than {@code coalesce}. A cluster's objects are published only once it
 * has synced completely (Services, EndpointSlices and, if installed, ServiceExports), never half-listed.
 * New clusters start side by side on starter threads (one per core), not one after another on the publisher.
 */
public final class MeshWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeshWatcher.class);

    private record Change(ClusterId cluster, ServiceKey key) {}

    private final WatchOptions options;
    private final ScheduledExecutorService publisher;
    private final ScheduledExecutorService control;
    // The member clusters' clients' HTTP transport, which they share; closed after the last of them.
    private final MemberHttpTransport transport;
    // Starts new clusters side by side (ClusterWatcher.start: kubeconfig, client, informers; CPU, no network wait).
    private final ThreadPoolExecutor starter;
    // The last change of the cluster list; the next one runs after it. Guarded by this.
    private CompletableFuture<Void> clustersSet = CompletableFuture.completedFuture(null);
    // Pending changes and when each was first observed; informer threads add, the publisher takes.
    private final Map<Change, Instant> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean publishScheduled = new AtomicBoolean();
    private final List<Consumer<MeshSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile MeshSnapshot current = MeshSnapshot.empty();
    private volatile List<ClusterSpec> specs = List.of();

    // Owned by the publisher thread.
    private final Map<ClusterId, ClusterWatcher> watchers = new LinkedHashMap<>();
    private final Map<ServiceKey, Map<ClusterId, ClusterService>> parts = new HashMap<>();
    // ClusterSetIPs of ServiceImports, by service and importing cluster (which need not export the service).
    private final Map<ServiceKey, Map<ClusterId, List<InetAddress>>> imported = new HashMap<>();
    private final Map<ClusterId, int[]> counts = new HashMap<>(); // {services, endpoints}
    private final List<MeshSnapshot.Change> dropped = new ArrayList<>();
    private boolean healthChanged;
    // Until when a starting mesh publishes no cluster's services while others still make their first lists
    // (options.firstListsWait); null once that is over, for good.
    private Instant firstListsDeadline;
    private boolean clustersEverSet;
    // When the last publication pass started; read by informer threads to schedule the next one.
    private volatile long lastPublishNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

    public MeshWatcher(WatchOptions options) {
        this.options = Objects.requireNonNull(options);
        this.publisher = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "meshdns-discovery"));
        // Blocking API calls (the ServiceExport CRD probe) stay off the publisher thread.
        this.control = Executors.newScheduledThreadPool(2, r -> daemon(r, "meshdns-discovery-probe"));
        this.transport = new MemberHttpTransport();
        int cores = Runtime.getRuntime().availableProcessors();
        this.starter = new ThreadPoolExecutor(
                cores,
                cores,
                10,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                r -> daemon(r, "meshdns-discovery-start"));
        starter.allowCoreThreadTimeOut(true);
        long interval = options.healthInterval().toMillis();
        publisher.scheduleWithFixedDelay(this::checkHealth, interval, interval, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The newest snapshot; never {@code null}, never blocks. */
    public MeshSnapshot snapshot() {
        return current;
    }

    /** Called on the publisher thread with every new snapshot; must not block. */
    public void addListener(Consumer<MeshSnapshot> listener) {
        listeners.add(listener);
    }

    /**
     * Makes the watched clusters exactly {@code specs}: new ones are started, removed ones stopped (their
     * services leave the snapshot), changed ones restarted (their answers pause until they have synced
     * again). Untouched clusters keep serving throughout.
     */
    public CompletableFuture<Void> setClusters(Collection<ClusterSpec> specs) {
        Map<ClusterId, ClusterSpec> wanted = new LinkedHashMap<>();
        for (ClusterSpec spec : specs) {
            if (wanted.put(spec.id(), spec) != null) {
                throw new IllegalArgumentException("cluster id '" + spec.id() + "' is configured twice");
            }
        }
        synchronized (this) {
            // One change of the cluster list at a time: the next one's removals wait until this one's clusters
            // have started, so a cluster is never closed while another thread is starting it.
            CompletableFuture<Void> next =
                    clustersSet.exceptionally(e -> null).thenComposeAsync(v -> applyClusters(wanted), publisher);
            clustersSet = next;
            return next;
        }
    }

    /**
     * Publisher thread: stops removed and changed clusters, then starts the new ones side by side on the
     * {@code starter} threads (each reads its kubeconfig, builds its client and informers: tens of ms, and seconds
     * for many clusters one after another on a busy machine). Until a cluster has started, the publisher treats
     * it as connecting and reads nothing of it; the returned future completes once every new cluster has started
     * and its state has been taken, as before.
     */
    private CompletableFuture<Void> applyClusters(Map<ClusterId, ClusterSpec> wanted) {
        this.specs = List.copyOf(wanted.values());
        if (!clustersEverSet && !wanted.isEmpty() && !options.firstListsWait().isZero()) {
            firstListsDeadline = Instant.now().plus(options.firstListsWait());
            // Then the clusters that have synced are published, whoever is still listing.
            publisher.schedule(
                    () -> {
                        if (firstListsDeadline != null) { // not over yet: the last first list is still to come
                            healthChanged = true;
                            requestPublish();
                        }
                    },
                    options.firstListsWait().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        clustersEverSet = true;
        for (var it = watchers.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            ClusterSpec spec = wanted.get(entry.getKey());
            if (spec == null || !spec.equals(entry.getValue().spec())) {
                log.info("cluster {}: {}", entry.getKey(), spec == null ? "removed" : "changed; restarting");
                it.remove();
                entry.getValue().close();
                dropCluster(entry.getKey());
            }
        }
        List<ClusterWatcher> added = new ArrayList<>();
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (ClusterSpec spec : wanted.values()) {
            if (!watchers.containsKey(spec.id())) {
                var watcher = new ClusterWatcher(spec, options, sink, publisher, control, transport);
                watchers.put(spec.id(), watcher);
                counts.put(spec.id(), new int[2]);
                log.info(
                        "cluster {}: starting ({}, reachability {})",
                        spec.id(),
                        spec.inCluster() ? "in-cluster service account" : spec.kubeconfig(),
                        spec.reachability());
                added.add(watcher);
                starts.add(CompletableFuture.runAsync(watcher::start, starter));
            }
        }
        // Removed clusters leave the answers now, not after the new ones have started.
        healthChanged = true;
        requestPublish();
        return CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new))
                .handleAsync(
                        (ok, failed) -> {
                            Instant now = Instant.now();
                            for (ClusterWatcher watcher : added) {
                                watcher.started();
                                watcher.refreshState(now, options.staleAfter());
                            }
                            healthChanged = true;
                            requestPublish();
                            if (failed != null) {
                                throw failed instanceof CompletionException c ? c : new CompletionException(failed);
                            }
                            return null;
                        },
                        publisher);
    }

    /** The clusters currently configured. */
    public List<ClusterSpec> clusters() {
        return specs;
    }

    /** Waits until a snapshot satisfies {@code condition}; for start-up and tests. */
    public boolean await(Predicate<MeshSnapshot> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(current)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private final ClusterWatcher.Sink sink = new ClusterWatcher.Sink() {
        @Override
        public void serviceChanged(ClusterId cluster, ServiceKey key, Instant observedAt) {
            // Keep the first observation: propagation is measured from the oldest unpublished change.
            pending.merge(new Change(cluster, key), observedAt, (a, b) -> a.isBefore(b) ? a : b);
            requestPublish();
        }

        @Override
        public void healthChanged(ClusterId cluster) {
            try {
                publisher.execute(MeshWatcher.this::checkHealth);
            } catch (RejectedExecutionException closing) {
                // the mesh is closing
            }
        }
    };

    private void requestPublish() {
        if (publishScheduled.compareAndSet(false, true)) {
            long wait = lastPublishNanos + options.coalesce().toNanos() - System.nanoTime();
            try {
                publisher.schedule(this::publish, Math.max(0, wait), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                // the mesh is closing
            }
        }
    }

    private void checkHealth() {
        Instant now = Instant.now();
        for (ClusterWatcher w : watchers.values()) {
            healthChanged |= w.refreshState(now, options.staleAfter());
        }
        if (healthChanged) {
            requestPublish();
        }
    }

    /** Takes a removed (or restarted) cluster's services out of the mesh at once. */
    private void dropCluster(ClusterId cluster) {
        counts.remove(cluster);
        pending.keySet().removeIf(c -> c.cluster().equals(cluster));
        Instant now = Instant.now();
        dropFrom(parts, cluster, now);
        dropFrom(imported, cluster, now);
    }

    /** Removes the cluster's entry of every service in a by-service, by-cluster map, as changes to publish. */
    private void dropFrom(Map<ServiceKey, ? extends Map<ClusterId, ?>> byService, ClusterId cluster, Instant now) {
        for (var it = byService.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (entry.getValue().remove(cluster) != null) {
                dropped.add(new MeshSnapshot.Change(cluster, entry.getKey(), now));
                if (entry.getValue().isEmpty()) {
                    it.remove();
                }
            }
        }
    }

    private void publish() {
        // Stamp first: a change arriving during this pass is scheduled a full interval later, not at once.
        lastPublishNanos = System.nanoTime();
        publishScheduled.set(false);
        try {
            publishNow();
        } catch (RuntimeException e) {
            // Never let one bad object stop publication for the whole mesh.
            log.error("snapshot publication failed; will retry on the next change", e);
        }
    }

    /**
     * How many clusters a starting mesh still waits for before publishing services (0: none, the wait is over for
     * good): before the deadline, those making their first lists. A cluster joining the first publication late
     * would have every global service it shares built again, with its answers, zone records and the garbage of the
     * last ones: at 20 clusters, 20 times over.
     */
    private int stillListing(Instant now) {
        if (firstListsDeadline == null) {
            return 0;
        }
        int listing = 0;
        if (now.isBefore(firstListsDeadline)) {
            for (ClusterWatcher w : watchers.values()) {
                listing += w.firstListing() ? 1 : 0;
            }
        }
        if (listing == 0) {
            firstListsDeadline = null;
        }
        return listing;
    }

    private void publishNow() {
        List<MeshSnapshot.Change> changes = new ArrayList<>(dropped);
        dropped.clear();
        Instant deadline = firstListsDeadline;
        int listing = stillListing(Instant.now());
        for (Change change : pending.keySet()) {
            ClusterWatcher w = watchers.get(change.cluster());
            if (w != null && (!w.ready() || listing > 0)) {
                continue; // published together once the cluster has synced (and the first lists are in)
            }
            Instant observedAt = pending.remove(change);
            if (observedAt == null) {
                continue;
            }
            ClusterService before = get(parts, change);
            ClusterService next = w == null ? null : build(w, change, before);
            if (next != null && next.equals(before)) {
                // Read again unchanged (a late add of the first listing, a relist): keep the object, so a service
                // rebuilt for another cluster's change still holds this cluster's part untouched.
                next = before;
            }
            set(parts, change, next);
            count(change.cluster(), before, -1);
            count(change.cluster(), next, +1);
            boolean importChanged = updateImport(w, change);
            if (!Objects.equals(before, next) || importChanged) {
                changes.add(new MeshSnapshot.Change(change.cluster(), change.key(), observedAt));
            }
        }
        if (changes.isEmpty() && !healthChanged) {
            return;
        }
        MeshSnapshot previous = current;
        Map<ServiceKey, GlobalService> services = new HashMap<>(previous.services());
        // Once per service, however many of its clusters changed: rebuilt twice, a new conflict was warned twice.
        Set<ServiceKey> rebuilt = new HashSet<>();
        for (MeshSnapshot.Change change : changes) {
            if (!rebuilt.add(change.service())) {
                continue;
            }
            Map<ClusterId, ClusterService> byCluster = parts.get(change.service());
            if (byCluster == null) {
                services.remove(change.service());
            } else {
                GlobalService service = new GlobalService(
                        change.service(), byCluster, imported.getOrDefault(change.service(), Map.of()));
                logConflicts(previous.service(change.service()), service);
                services.put(change.service(), service);
            }
        }
        Map<ClusterId, ClusterHealth> health = new HashMap<>();
        for (var w : watchers.values()) {
            int[] c = counts.get(w.spec().id());
            ClusterHealth h = w.health(c[0], c[1]);
            if (listing > 0 && w.ready()) {
                // Synced but not published: shown as connecting, so that no reader (readiness above all) takes it
                // for a cluster whose services are in this snapshot.
                h = new ClusterHealth(
                        h.cluster(),
                        ClusterState.CONNECTING,
                        h.since(),
                        h.lastEventAt(),
                        h.services(),
                        h.endpoints(),
                        h.watchRestarts(),
                        "listed; published with the first lists of " + listing + " more cluster"
                                + (listing == 1 ? "" : "s") + ", or at " + deadline,
                        h.credentialExpires());
            }
            health.put(w.spec().id(), h);
        }
        healthChanged = false;
        MeshSnapshot next = new MeshSnapshot(previous.version() + 1, Instant.now(), services, health, changes);
        current = next;
        for (Consumer<MeshSnapshot> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.error("snapshot listener failed", e);
            }
        }
    }

    /** Records the cluster's ServiceImport ClusterSetIPs of the changed service; whether they changed. */
    private boolean updateImport(ClusterWatcher w, Change change) {
        List<InetAddress> ips;
        try {
            ips = w == null ? List.of() : w.clusterSetIps(change.key());
        } catch (RuntimeException e) {
            return false; // keep what was known, as for Services
        }
        List<InetAddress> before = set(imported, change, ips.isEmpty() ? null : ips);
        return !Objects.equals(before == null ? List.of() : before, ips);
    }

    /** The changed cluster's entry of the changed service in a by-service, by-cluster map, or {@code null}. */
    private static <V> V get(Map<ServiceKey, Map<ClusterId, V>> byService, Change change) {
        Map<ClusterId, V> byCluster = byService.get(change.key());
        return byCluster == null ? null : byCluster.get(change.cluster());
    }

    /**
     * Sets ({@code null}: removes) that entry and returns the one it replaced. A service's map exists only while
     * it holds an entry, so removing what is not there allocates nothing: most changes are of services that are
     * neither exported nor imported.
     */
    private static <V> V set(Map<ServiceKey, Map<ClusterId, V>> byService, Change change, V value) {
        if (value != null) {
            return byService.computeIfAbsent(change.key(), k -> new HashMap<>()).put(change.cluster(), value);
        }
        Map<ClusterId, V> byCluster = byService.get(change.key());
        if (byCluster == null) {
            return null;
        }
        V before = byCluster.remove(change.cluster());
        if (byCluster.isEmpty()) {
            byService.remove(change.key());
        }
        return before;
    }

    /** One warning per new conflict between clusters (shape or ports), not again while it lasts. */
    private static void logConflicts(GlobalService before, GlobalService now) {
        for (ClusterId cluster : now.conflicting()) {
            String reason = now.leftOut().get(cluster);
            if (before == null || !reason.equals(before.leftOut().get(cluster))) {
                log.warn("service {}: cluster {} left out of answers, {}", now.key(), cluster, reason);
            }
        }
    }

    /** One service of one cluster; a mapping failure keeps what was known, so one odd object cannot hide others. */
    private static ClusterService build(ClusterWatcher w, Change change, ClusterService before) {
        try {
            return w.build(change.key());
        } catch (RuntimeException e) {
            log.warn(
                    "cluster {}: service {} could not be read ({}); keeping its last known state",
                    change.cluster(),
                    change.key(),
                    e.toString());
            return before;
        }
    }

    private void count(ClusterId cluster, ClusterService cs, int sign) {
        int[] c = counts.get(cluster);
        if (cs != null && c != null) {
            c[0] += sign;
            c[1] += sign * cs.endpoints().size();
        }
    }

    @Override
    public void close() {
        CompletableFuture<Void> lastSet;
        synchronized (this) {
            lastSet = clustersSet;
        }
        try {
            lastSet.get(10, TimeUnit.SECONDS); // no cluster is closed while it is being started
        } catch (Exception e) {
            log.debug("closing while the clusters were set: {}", e.toString());
        }
        try {
            publisher
                    .submit(() -> {
                        watchers.values().forEach(ClusterWatcher::close);
                        watchers.clear();
                    })
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("closing clusters: {}", e.toString());
        }
        starter.shutdownNow();
        control.shutdownNow();
        publisher.shutdownNow();
        transport.close();
    }
}
