package io.meshdns.discovery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every member cluster and publishes the merged {@link MeshSnapshot}.
 *
 * <p>Threading: informer threads only add "(cluster, service) changed" to a concurrent set and ask for a
 * publication. One publisher thread owns all mutable state, rebuilds just the changed services from the
 * informers' stores, and swaps in a new immutable snapshot. Publications are coalesced: at most one per
 * {@code coalesce} interval, and the first change after a quiet period is published at once.
 */
public final class MeshWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshWatcher.class);

  /**
   * @param coalesce the shortest interval between two publications
   * @param staleAfter how long a disconnected cluster's endpoints are trusted before it is marked stale
   * @param healthInterval how often cluster connection states are re-checked
   */
  public record Options(Duration coalesce, Duration staleAfter, Duration healthInterval) {
    public static Options defaults() {
      return new Options(Duration.ofMillis(50), Duration.ofMinutes(5), Duration.ofSeconds(1));
    }

    public Options withStaleAfter(Duration staleAfter) {
      return new Options(coalesce, staleAfter, healthInterval);
    }
  }

  private record Change(ClusterId cluster, ServiceKey key) {}

  private final Options options;
  private final ScheduledExecutorService publisher;
  private final Set<Change> pending = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean publishScheduled = new AtomicBoolean();
  /** The earliest observation among changes not yet published; informer threads lower it, publish clears it. */
  private final AtomicReference<Instant> oldestPendingObservation = new AtomicReference<>();
  private final List<Consumer<MeshSnapshot>> listeners = new CopyOnWriteArrayList<>();
  private volatile MeshSnapshot current = MeshSnapshot.empty();
  private volatile List<ClusterSpec> specs = List.of();

  // Owned by the publisher thread.
  private final Map<ClusterId, ClusterWatcher> watchers = new LinkedHashMap<>();
  private final Map<ServiceKey, Map<ClusterId, ClusterService>> parts = new HashMap<>();
  private final Map<ClusterId, int[]> counts = new HashMap<>(); // {services, endpoints}
  private boolean healthChanged;
  private long lastPublishNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

  public MeshWatcher(Options options) {
    this.options = Objects.requireNonNull(options);
    this.publisher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "meshdns-discovery");
      t.setDaemon(true);
      return t;
    });
    long interval = options.healthInterval().toMillis();
    publisher.scheduleWithFixedDelay(this::checkHealth, interval, interval, TimeUnit.MILLISECONDS);
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
   * services leave the snapshot), changed ones restarted. Untouched clusters keep serving throughout.
   */
  public CompletableFuture<Void> setClusters(Collection<ClusterSpec> specs) {
    Map<ClusterId, ClusterSpec> wanted = new LinkedHashMap<>();
    for (ClusterSpec spec : specs) {
      if (wanted.put(spec.id(), spec) != null) {
        throw new IllegalArgumentException("cluster id '" + spec.id() + "' is configured twice");
      }
    }
    return CompletableFuture.runAsync(() -> {
      this.specs = List.copyOf(wanted.values());
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
      for (ClusterSpec spec : wanted.values()) {
        if (!watchers.containsKey(spec.id())) {
          var watcher = new ClusterWatcher(spec, sink);
          watchers.put(spec.id(), watcher);
          counts.put(spec.id(), new int[2]);
          log.info("cluster {}: starting ({})", spec.id(),
              spec.inCluster() ? "in-cluster service account" : spec.kubeconfig());
          watcher.start();
        }
      }
      healthChanged = true;
      publish();
    }, publisher);
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
      // The time first, then the change: a publish that drains the change has then seen its time too.
      oldestPendingObservation.accumulateAndGet(observedAt, (a, b) -> a == null || b.isBefore(a) ? b : a);
      pending.add(new Change(cluster, key));
      requestPublish();
    }

    @Override
    public void healthChanged(ClusterId cluster) {
      publisher.execute(MeshWatcher.this::checkHealth);
    }
  };

  private void requestPublish() {
    if (publishScheduled.compareAndSet(false, true)) {
      long wait = lastPublishNanos + options.coalesce().toNanos() - System.nanoTime();
      try {
        publisher.schedule(this::publish, Math.max(0, wait), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        // shutting down
      }
    }
  }

  private void checkHealth() {
    Instant now = Instant.now();
    for (ClusterWatcher w : watchers.values()) {
      healthChanged |= w.refreshState(now, options.staleAfter());
    }
    if (healthChanged) {
      publish();
    }
  }

  private void dropCluster(ClusterId cluster) {
    counts.remove(cluster);
    for (var it = parts.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      if (entry.getValue().remove(cluster) != null) {
        pending.add(new Change(cluster, entry.getKey()));
      }
    }
  }

  private void publish() {
    publishScheduled.set(false);
    try {
      publishNow();
    } catch (RuntimeException e) {
      // Never let one bad object stop publication for the whole mesh.
      log.error("snapshot publication failed; will retry on the next change", e);
    }
  }

  private void publishNow() {
    Instant oldestObserved = oldestPendingObservation.getAndSet(null);
    List<ServiceKey> changed = new ArrayList<>();
    for (var it = pending.iterator(); it.hasNext(); ) {
      Change change = it.next();
      it.remove();
      ClusterWatcher w = watchers.get(change.cluster());
      ClusterService next = w == null ? null : w.build(change.key());
      Map<ClusterId, ClusterService> byCluster = parts.computeIfAbsent(change.key(), k -> new HashMap<>());
      ClusterService previous = next == null ? byCluster.remove(change.cluster()) : byCluster.put(change.cluster(), next);
      count(change.cluster(), previous, -1);
      count(change.cluster(), next, +1);
      if (byCluster.isEmpty()) {
        parts.remove(change.key());
      }
      changed.add(change.key());
    }
    if (changed.isEmpty() && !healthChanged) {
      return;
    }
    MeshSnapshot previous = current;
    Map<ServiceKey, GlobalService> services = new HashMap<>(previous.services());
    for (ServiceKey key : changed) {
      Map<ClusterId, ClusterService> byCluster = parts.get(key);
      if (byCluster == null) {
        services.remove(key);
      } else {
        services.put(key, new GlobalService(key, byCluster));
      }
    }
    Map<ClusterId, ClusterHealth> health = new HashMap<>();
    for (var w : watchers.values()) {
      int[] c = counts.get(w.spec().id());
      health.put(w.spec().id(), w.health(c[0], c[1]));
    }
    healthChanged = false;
    lastPublishNanos = System.nanoTime();
    MeshSnapshot next = new MeshSnapshot(previous.version() + 1, Instant.now(), services, health,
        changed.isEmpty() ? null : oldestObserved);
    current = next;
    for (Consumer<MeshSnapshot> listener : listeners) {
      try {
        listener.accept(next);
      } catch (RuntimeException e) {
        log.error("snapshot listener failed", e);
      }
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
    try {
      publisher.submit(() -> {
        watchers.values().forEach(ClusterWatcher::close);
        watchers.clear();
      }).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("closing clusters: {}", e.toString());
    }
    publisher.shutdownNow();
  }
}
