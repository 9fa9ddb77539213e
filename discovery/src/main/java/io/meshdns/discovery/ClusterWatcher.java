package io.meshdns.discovery;

import static io.meshdns.core.KubernetesNames.SERVICE_EXPORT;
import static io.meshdns.core.KubernetesNames.SERVICE_IMPORT;
import static io.meshdns.core.KubernetesNames.SERVICE_NAME_LABEL;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshdns.core.KubernetesNames.ApiResource;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one member cluster: a fabric8 client and shared informers on Services, EndpointSlices and, when
 * the MCS CRD is installed, ServiceExports (as generic resources, so no MCS client library is needed).
 *
 * <p>Threading: informer threads only report "this service changed"; a control thread looks for the
 * ServiceExport CRD ({@link McsCrdProbe}); {@link #start} runs once on a starter thread; everything else
 * ({@link #build}, {@link #refreshState}, replacing and stopping informers) runs on the mesh's publisher thread,
 * which reads the informers' thread-safe stores.
 *
 * <p>Reconnection: fabric8 re-establishes a dropped watch itself (with a backoff capped at
 * {@code retryInterval}, see {@link KubernetesClients#create}) and relists
 * after HTTP 410. When a synced informer has not been watching for a health interval, it is replaced
 * by a new one seeded with the old one's objects: the cluster keeps answering with them, and the new
 * informer's fresh list turns whatever changed during the outage into ordinary add, update and delete
 * events. So after any outage the view is rebuilt from a full list, not resumed from an old
 * resourceVersion (which a restored or replaced API server may not honour).
 */
final class ClusterWatcher implements AutoCloseable {
    private static final String BY_SERVICE = "by-service";
    private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);

    /** Where a watcher reports. */
    interface Sink {
        /** A service of this cluster may have changed; called from informer threads. */
        void serviceChanged(ClusterId cluster, ServiceKey key, Instant observedAt);

        /** The cluster's state may have changed: re-check soon, on the publisher thread. */
        void healthChanged(ClusterId cluster);
    }

    private final ClusterSpec spec;
    private final WatchOptions options;
    private final Sink sink;
    private final Executor publisher;
    private final ScheduledExecutorService control;
    private final MemberHttpTransport transport;
    private final ServiceMapper mapper;
    private final AtomicLong watchRestarts = new AtomicLong();
    private volatile Instant lastEventAt;
    private volatile String lastError;
    private volatile boolean credentialsRefused;
    private volatile boolean closed;
    private KubernetesClient client;
    // The kubeconfig's expiring ServiceAccount token, renewed before it ends; null for any other credential.
    private MemberToken token;
    // Set in start(), before any informer whose exception handler asks it to look again.
    private McsCrdProbe probe;

    // Owned by the publisher thread.
    private Watched<Service> services;
    private Watched<EndpointSlice> slices;
    private volatile Watched<GenericKubernetesResource> exports; // also read by informer threads
    private volatile Watched<GenericKubernetesResource> imports;
    private boolean exportsKnown;
    private ClusterState state = ClusterState.CONNECTING;
    private Instant since = Instant.now();
    private Instant disconnectedAt;
    private boolean everSynced;
    // Whether start() has returned: until then another thread is writing the fields it sets (MeshWatcher starts
    // clusters side by side), so this thread reads none of them and the cluster is CONNECTING.
    private boolean started;
    private String configError;
    private String loggedReason;
    private Instant publishedExpiry;

    ClusterWatcher(
            ClusterSpec spec,
            WatchOptions options,
            Sink sink,
            Executor publisher,
            ScheduledExecutorService control,
            MemberHttpTransport transport) {
        this.spec = spec;
        this.options = options;
        this.sink = sink;
        this.publisher = publisher;
        this.control = control;
        this.transport = transport;
        this.mapper = new ServiceMapper(spec, options.exportAll());
    }

    ClusterSpec spec() {
        return spec;
    }

    /**
     * Starts the informers and the ServiceExport CRD probe; never throws and never blocks on the network: a
     * cluster that cannot start is put in {@link ClusterState#ERROR}. Runs on a starter thread, before anything
     * else touches this watcher on the publisher thread, which then calls {@link #started()}.
     */
    void start() {
        try {
            client = KubernetesClients.create(
                    spec,
                    options.retryInterval(),
                    transport.factory(),
                    config -> token = MemberToken.of(spec, config, control, options.retryInterval()));
        } catch (RuntimeException e) {
            configError = KubernetesClients.problem(spec, e);
            return;
        }
        if (token != null) {
            token.start(client, () -> sink.healthChanged(spec.id()));
        }
        services = new Watched<>(
                "services",
                () -> client.services().inAnyNamespace().runnableInformer(0),
                s -> List.of(keyOf(s)),
                Map.of(),
                CachedFields::service);
        slices = new Watched<>(
                "endpointslices",
                () -> client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0),
                s -> serviceOfSlice(s).stream().map(ServiceKey::parse).toList(),
                Map.of(BY_SERVICE, ClusterWatcher::serviceOfSlice),
                CachedFields::endpointSlice);
        services.start(null);
        slices.start(null);
        probe = new McsCrdProbe(spec, client, options, control, publisher, this::crdsFound, this::noteError);
        probe.start();
    }

    /** Publisher thread, once {@link #start} has returned: its fields may be read from now on. */
    void started() {
        started = true;
    }

    /** Whether the cluster has synced once: before that its half-listed objects are not published. */
    boolean ready() {
        return everSynced;
    }

    /**
     * Whether the cluster is making its first lists and nothing has gone wrong yet: not started, or started and
     * neither synced nor failed (a cluster that cannot start, is refused or has seen an error is not waited for).
     * Publisher thread.
     */
    boolean firstListing() {
        return !started || !everSynced && configError == null && lastError == null && !credentialsRefused;
    }

    /** This cluster's part of a service now, or {@code null} if it does not export it. Publisher thread. */
    ClusterService build(ServiceKey key) {
        if (services == null) {
            return null;
        }
        String storeKey = key.storeKey();
        Service svc = services.informer.getStore().getByKey(storeKey);
        if (svc == null) {
            return null;
        }
        GenericKubernetesResource export =
                exports == null ? null : exports.informer.getStore().getByKey(storeKey);
        List<EndpointSlice> forService = slices.informer.getIndexer().byIndex(BY_SERVICE, storeKey);
        return mapper.map(svc, export != null, ServiceMapper.createdAt(export), forService);
    }

    /**
     * The ClusterSetIPs this cluster's ServiceImport of {@code key} carries ({@code type: ClusterSetIP},
     * {@code spec.ips}), or an empty list. Publisher thread.
     */
    List<InetAddress> clusterSetIps(ServiceKey key) {
        Watched<GenericKubernetesResource> w = imports;
        if (w == null) {
            return List.of();
        }
        GenericKubernetesResource imported = w.informer.getStore().getByKey(key.storeKey());
        return imported == null ? List.of() : mapper.clusterSetIps(imported);
    }

    // ---- the MCS CRDs: present now, installed later, or removed ----

    /** Publisher thread: what the probe found. */
    private void crdsFound(McsCrdProbe.Found found) {
        importsCrd(found.importsServed());
        exportsCrd(found.exportsServed());
    }

    /** Publisher thread: starts or stops the ServiceImport informer to match the CRD. */
    private void importsCrd(boolean present) {
        if (closed) {
            return;
        }
        if (present && imports == null) {
            log.info(
                    "cluster {}: ServiceImport CRD found; ClusterSetIPs of its ServiceImports are answered to its queriers",
                    spec.id());
            imports = watched(SERVICE_IMPORT);
            imports.start(null);
        } else if (!present && imports != null) {
            forget(imports);
            imports = null;
        }
    }

    /** Publisher thread: starts or stops the ServiceExport informer to match the CRD. */
    private void exportsCrd(boolean present) {
        if (closed) {
            return;
        }
        exportsKnown = true;
        if (present && exports == null) {
            log.info("cluster {}: ServiceExport CRD found; watching ServiceExports", spec.id());
            exports = watched(SERVICE_EXPORT);
            exports.start(null);
        } else if (!present && exports != null) {
            log.info(
                    "cluster {}: ServiceExport CRD removed; services are exported only by annotation or exportAll",
                    spec.id());
            forget(exports);
            exports = null;
        }
        sink.healthChanged(spec.id());
    }

    /** The (not yet started) informer of a custom resource, each object keyed by its own namespace/name. */
    private Watched<GenericKubernetesResource> watched(ApiResource resource) {
        ResourceDefinitionContext context = KubernetesClients.context(resource);
        return new Watched<>(
                resource.plural(),
                () -> client.genericKubernetesResources(context)
                        .inAnyNamespace()
                        .runnableInformer(0),
                e -> List.of(keyOf(e)),
                Map.of(),
                resource == SERVICE_IMPORT ? CachedFields::serviceImport : CachedFields::serviceExport);
    }

    /** Stops the informer of a custom resource whose CRD went away: every service it knew of has changed. */
    private void forget(Watched<GenericKubernetesResource> watched) {
        watched.announceAll(Instant.now());
        watched.stop();
    }

    // ---- health ----

    /** Informer and control threads: records why a request failed, in volatile fields only. */
    private void noteError(String what, Throwable t) {
        String reason = WatchErrors.describe(what, t);
        KubernetesClientException api = WatchErrors.apiError(t);
        credentialsRefused = api != null && (api.getCode() == 401 || api.getCode() == 403);
        // The same cause seen by another informer (all fail together when the server is down) is no news.
        String current = lastError;
        if (current == null || !WatchErrors.cause(current).equals(WatchErrors.cause(reason))) {
            lastError = reason;
            sink.healthChanged(spec.id());
        }
    }

    /**
     * Re-evaluates the state, replacing informers whose watch stayed lost; returns whether the published
     * health changed. Publisher thread.
     */
    boolean refreshState(Instant now, Duration staleAfter) {
        if (!started) {
            return false; // still CONNECTING, as it was created
        }
        ClusterState next;
        if (configError != null) {
            next = ClusterState.ERROR;
        } else {
            boolean upToDate = exportsKnown;
            for (Watched<?> w : watched()) {
                // An informer added to a synced cluster (the CRD appeared) is listing, not lost, unless it fails.
                upToDate &= w.upToDate(now) || (everSynced && w.firstListing());
            }
            if (upToDate) {
                if (!everSynced) {
                    // fabric8 hands events to the handlers on its own thread, so when every informer is watching, some
                    // adds of the first listing may not have reached us yet: the first SYNCED snapshot would then lack
                    // their services (and a replica could turn ready answering NXDOMAIN for them). Announce the whole
                    // first listing from the stores now; the late adds then change nothing.
                    for (Watched<?> w : watched()) {
                        w.announceAll(now);
                    }
                }
                everSynced = true;
                disconnectedAt = null;
                lastError = null;
                credentialsRefused = false;
                next = ClusterState.SYNCED;
            } else {
                if (everSynced && disconnectedAt == null) {
                    disconnectedAt = now;
                }
                // Out of touch for staleAfter is stale whatever the cause, so the policy demotes it; before that, a
                // refused credential is an error to show (its last known endpoints are still served).
                if (everSynced && Duration.between(disconnectedAt, now).compareTo(staleAfter) >= 0) {
                    next = ClusterState.STALE;
                } else if (credentialsRefused) {
                    next = ClusterState.ERROR;
                } else if (!everSynced) {
                    next = ClusterState.CONNECTING;
                } else {
                    next = ClusterState.DISCONNECTED;
                }
            }
        }
        boolean changed = next != state;
        if (changed) {
            state = next;
            since = now;
        }
        String reason = reason();
        Instant expires = token == null ? null : token.expires();
        boolean renewed = !Objects.equals(expires, publishedExpiry);
        publishedExpiry = expires;
        if (!changed && Objects.equals(reason, loggedReason)) {
            return renewed; // a renewed token changes the health published, not the state logged
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
        return new ClusterHealth(
                spec.id(),
                state,
                since,
                lastEventAt,
                serviceCount,
                endpointCount,
                watchRestarts.get(),
                reason(),
                token == null || !started ? null : token.expires());
    }

    private String reason() {
        if (!started) {
            return null;
        }
        if (configError != null) {
            return configError;
        }
        return state == ClusterState.SYNCED ? null : lastError;
    }

    private List<Watched<?>> watched() {
        List<Watched<?>> all = new ArrayList<>(3);
        if (services != null) {
            all.add(services);
            all.add(slices);
        }
        if (exports != null) {
            all.add(exports);
        }
        if (imports != null) {
            all.add(imports);
        }
        return all;
    }

    /** Publisher thread. */
    @Override
    public void close() {
        closed = true;
        if (token != null) {
            token.close();
        }
        if (probe != null) {
            probe.close();
        }
        for (Watched<?> w : watched()) {
            w.stop();
        }
        if (client != null) {
            client.close();
        }
    }

    static ServiceKey keyOf(HasMetadata o) {
        return ServiceKey.of(o.getMetadata().getNamespace(), o.getMetadata().getName());
    }

    private static List<String> serviceOfSlice(EndpointSlice slice) {
        var labels = slice.getMetadata().getLabels();
        String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        return service == null
                ? List.of()
                : List.of(ServiceKey.storeKey(slice.getMetadata().getNamespace(), service));
    }

    /** One kind of object watched by one informer at a time, replaced by a fresh one after a lost watch. */
    private final class Watched<T extends HasMetadata> {
        private final String resource;
        private final Supplier<SharedIndexInformer<T>> create;
        private final Function<T, List<ServiceKey>> keys;
        private final Map<String, Function<T, List<String>>> indexers;
        private final UnaryOperator<T> trim;
        private SharedIndexInformer<T> informer;
        private Instant lostSince;
        private boolean watchedOnce;
        private boolean replaced;
        private volatile boolean failed;

        Watched(
                String resource,
                Supplier<SharedIndexInformer<T>> create,
                Function<T, List<ServiceKey>> keys,
                Map<String, Function<T, List<String>>> indexers,
                UnaryOperator<T> trim) {
            this.resource = resource;
            this.create = create;
            this.keys = keys;
            this.indexers = indexers;
            this.trim = trim;
        }

        /** Starts a new informer, seeded with {@code initial} objects when replacing one. */
        void start(List<T> initial) {
            SharedIndexInformer<T> next = create.get();
            // Cache only what discovery reads (CachedFields), and no index by namespace, which nothing reads.
            next.itemStore(new TrimmedItemStore<>(trim));
            next.removeNamespaceIndex();
            if (!indexers.isEmpty()) {
                next.addIndexers(indexers);
            }
            if (initial != null) {
                next.initialState(initial.stream());
            }
            next.addEventHandler(new Handler());
            // Always retry (fabric8 backs off exponentially); remember why, so health can say it.
            next.exceptionHandler((started, t) -> {
                failed = true;
                noteError("list/watch " + resource, t);
                KubernetesClientException api = WatchErrors.apiError(t);
                if ((this == exports || this == imports) && api != null && api.getCode() == 404) {
                    probe.probeNow(); // the CRD was removed: stop watching it now, not at the next probe
                }
                return !closed;
            });
            replaced = informer != null;
            informer = next;
            watchedOnce = false;
            failed = false;
            next.start().whenComplete((ok, t) -> sink.healthChanged(spec.id()));
        }

        /**
         * Whether this informer follows the API now. A watch lost for less than a health interval counts as
         * following (fabric8 re-establishes watches routinely); lost for longer, the informer is replaced.
         */
        boolean upToDate(Instant now) {
            if (informer.isWatching()) {
                watchedOnce = true;
                lostSince = null;
                return true;
            }
            if (!watchedOnce) {
                return false; // still listing, or opening its first watch
            }
            if (lostSince == null) {
                lostSince = now;
            }
            if (Duration.between(lostSince, now).compareTo(options.healthInterval()) < 0) {
                return true;
            }
            lostSince = null;
            List<T> known = informer.getStore().list();
            informer.stop();
            watchRestarts.incrementAndGet();
            if (lastError == null) {
                lastError = "watch of " + resource + " lost; relisting";
            }
            log.debug(
                    "cluster {}: {} watch lost; relisting, serving {} known objects meanwhile",
                    spec.id(),
                    resource,
                    known.size());
            start(known);
            return false;
        }

        /** Reports every service the store knows of as changed, observed at {@code now}. */
        void announceAll(Instant now) {
            for (T obj : informer.getStore().list()) {
                for (ServiceKey key : keys.apply(obj)) {
                    sink.serviceChanged(spec.id(), key, now);
                }
            }
        }

        /** The first informer of this kind, still in its first list, without an error so far. */
        boolean firstListing() {
            return !replaced && !watchedOnce && !failed;
        }

        void stop() {
            informer.stop();
        }

        /** Turns every add, update and delete into "these services changed". */
        private final class Handler implements ResourceEventHandler<T> {
            @Override
            public void onAdd(T obj) {
                changed(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                // A slice can move to another service (label change): both services changed.
                if (oldObj != null && oldObj != newObj) {
                    changed(oldObj);
                }
                changed(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                changed(obj);
            }

            @Override
            public void onBeforeList(String lastSyncResourceVersion) {
                // A relist by an informer that had synced: after HTTP 410 or a failed watch.
                if (lastSyncResourceVersion != null) {
                    watchRestarts.incrementAndGet();
                }
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
}
