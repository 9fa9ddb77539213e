package io.meshdns.discovery;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one member cluster: a fabric8 client and shared informers on Services and EndpointSlices.
 * Informer threads only record that a service changed; {@link #build} and {@link #health} run on the
 * mesh's publisher thread and read the informers' thread-safe stores.
 */
final class ClusterWatcher implements AutoCloseable {
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  private static final String BY_SERVICE = "by-service";
  private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);

  /** Where a watcher reports; called from informer threads. */
  interface Sink {
    void serviceChanged(ClusterId cluster, ServiceKey key, Instant observedAt);

    void healthChanged(ClusterId cluster);
  }

  private final ClusterSpec spec;
  private final Sink sink;
  private final AtomicLong watchRestarts = new AtomicLong();
  private volatile Instant lastEventAt;
  private volatile String lastError;
  private KubernetesClient client;
  private SharedIndexInformer<Service> services;
  private SharedIndexInformer<EndpointSlice> slices;

  // Owned by the publisher thread.
  private ClusterState state = ClusterState.CONNECTING;
  private Instant since = Instant.now();
  private boolean everSynced;
  private String configError;
  private String loggedReason;

  ClusterWatcher(ClusterSpec spec, Sink sink) {
    this.spec = spec;
    this.sink = sink;
  }

  ClusterSpec spec() {
    return spec;
  }

  /** Starts the informers; never throws: a cluster that cannot start is put in {@link ClusterState#ERROR}. */
  void start() {
    try {
      client = KubernetesClients.create(spec);
    } catch (RuntimeException e) {
      configError = e.getMessage();
      return;
    }
    services = client.services().inAnyNamespace().runnableInformer(0);
    slices = client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0);
    slices.addIndexers(Map.of(BY_SERVICE, ClusterWatcher::serviceOfSlice));
    services.addEventHandler(new Handler<>(s -> List.of(keyOf(s))));
    slices.addEventHandler(new Handler<>(s -> serviceOfSlice(s).stream().map(ClusterWatcher::parseKey).toList()));
    services.exceptionHandler(this::retryAfter);
    slices.exceptionHandler(this::retryAfter);
    services.start().thenRun(() -> sink.healthChanged(spec.id()));
    slices.start().thenRun(() -> sink.healthChanged(spec.id()));
  }

  /** Keeps retrying (fabric8 backs off); remembers why, so health can say it. */
  private boolean retryAfter(boolean started, Throwable t) {
    String reason = describe(t);
    if (!reason.equals(lastError)) {
      lastError = reason;
      sink.healthChanged(spec.id());
    }
    watchRestarts.incrementAndGet();
    return true;
  }

  private static String describe(Throwable t) {
    if (t instanceof KubernetesClientException k && (k.getCode() == 401 || k.getCode() == 403)) {
      return "API server refused the credentials (HTTP " + k.getCode() + ")";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  /** This cluster's part of a service now, or {@code null} if it does not export it. */
  ClusterService build(ServiceKey key) {
    if (services == null) {
      return null;
    }
    Service svc = services.getStore().getByKey(key.namespace() + "/" + key.name());
    if (svc == null) {
      return null;
    }
    List<EndpointSlice> forService = slices.getIndexer().byIndex(BY_SERVICE, key.toString());
    return ServiceMapper.map(spec, svc, forService);
  }

  /** The keys of every Service this cluster knows, for a full rebuild. */
  List<ServiceKey> serviceKeys() {
    return services == null ? List.of() : services.getStore().list().stream().map(ClusterWatcher::keyOf).toList();
  }

  /** Re-evaluates the state; returns whether it changed. Called on the publisher thread. */
  boolean refreshState(Instant now, Duration staleAfter) {
    ClusterState next;
    if (configError != null) {
      next = ClusterState.ERROR;
    } else {
      boolean synced = services.hasSynced() && slices.hasSynced();
      boolean watching = services.isWatching() && slices.isWatching();
      if (!everSynced) {
        next = synced && watching ? ClusterState.SYNCED : ClusterState.CONNECTING;
      } else if (watching) {
        next = ClusterState.SYNCED;
      } else {
        next = state == ClusterState.SYNCED || state == ClusterState.CONNECTING ? ClusterState.DISCONNECTED : state;
        if (next == ClusterState.DISCONNECTED && Duration.between(since, now).compareTo(staleAfter) >= 0) {
          next = ClusterState.STALE;
        }
      }
    }
    boolean changed = next != state;
    if (changed) {
      state = next;
      since = now;
      if (next == ClusterState.SYNCED) {
        everSynced = true;
        lastError = null;
      }
    }
    String reason = reason();
    if (!changed && java.util.Objects.equals(reason, loggedReason)) {
      return false;
    }
    loggedReason = reason;
    if (state == ClusterState.SYNCED) {
      log.info("cluster {}: {}", spec.id(), state);
    } else {
      log.warn("cluster {}: {}{}", spec.id(), state, reason == null ? "" : ": " + reason);
    }
    return true;
  }

  ClusterHealth health(int serviceCount, int endpointCount) {
    return new ClusterHealth(spec.id(), state, since, lastEventAt, serviceCount, endpointCount, watchRestarts.get(), reason());
  }

  private String reason() {
    if (configError != null) {
      return configError;
    }
    return state == ClusterState.SYNCED ? null : lastError;
  }

  @Override
  public void close() {
    if (services != null) {
      services.stop();
    }
    if (slices != null) {
      slices.stop();
    }
    if (client != null) {
      client.close();
    }
  }

  private static ServiceKey keyOf(HasMetadata o) {
    return ServiceKey.of(o.getMetadata().getNamespace(), o.getMetadata().getName());
  }

  private static List<String> serviceOfSlice(EndpointSlice slice) {
    var labels = slice.getMetadata().getLabels();
    String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    return service == null ? List.of() : List.of(slice.getMetadata().getNamespace() + "/" + service);
  }

  private static ServiceKey parseKey(String key) {
    int slash = key.indexOf('/');
    return ServiceKey.of(key.substring(0, slash), key.substring(slash + 1));
  }

  /** Turns every add, update and delete into "these services changed". */
  private final class Handler<T extends HasMetadata> implements ResourceEventHandler<T> {
    private final java.util.function.Function<T, List<ServiceKey>> keys;

    Handler(java.util.function.Function<T, List<ServiceKey>> keys) {
      this.keys = keys;
    }

    @Override
    public void onAdd(T obj) {
      changed(obj);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      // A slice can move to another service (label change): both services changed.
      if (oldObj != null) {
        changed(oldObj);
      }
      changed(newObj);
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      changed(obj);
    }

    private void changed(T obj) {
      Instant now = Instant.now();
      lastEventAt = now;
      for (ServiceKey key : keys.apply(obj)) {
        sink.serviceChanged(spec.id(), key, now);
      }
    }
  }
}
