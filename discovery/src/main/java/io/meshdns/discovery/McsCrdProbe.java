package io.meshdns.discovery;

import static io.meshdns.core.KubernetesNames.CLUSTER_ID_PROPERTY;
import static io.meshdns.core.KubernetesNames.CLUSTER_PROPERTY;
import static io.meshdns.core.KubernetesNames.SERVICE_EXPORT;
import static io.meshdns.core.KubernetesNames.SERVICE_IMPORT;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshdns.core.KubernetesNames.ApiResource;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks one member cluster's API server, every {@code exportsRecheck}, whether the MCS CRDs
 * ({@code serviceexports} and {@code serviceimports} of {@code multicluster.x-k8s.io}) serve their version,
 * so a CRD installed or removed later is picked up; on the same pass it reads the KEP-2149 ClusterProperty
 * {@code id.k8s.io}. A failed look-up is retried at {@code retryInterval}.
 *
 * <p>Threading: these are blocking API calls, so they run on the mesh's control threads
 * ({@code meshdns-discovery-probe}), never on the publisher thread. The control pool is shared by all
 * clusters; one probe's passes are serialized by its monitor, which also guards its own state (what was
 * warned about). It hands each answer over as an immutable {@link Found}, run on the publisher thread,
 * which alone starts and stops the watcher's informers; a failure goes to the watcher's error callback on
 * the control thread (the watcher keeps its errors in volatile fields).
 */
final class McsCrdProbe implements AutoCloseable {
    private static final ResourceDefinitionContext CLUSTER_PROPERTIES = KubernetesClients.context(CLUSTER_PROPERTY);
    // The watcher's logger: moving the probe into its own class changed no log line.
    private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);

    /** What one look-up found: whether each MCS CRD serves its version. */
    record Found(boolean exportsServed, boolean importsServed) {}

    /** What a CRD look-up found. */
    private enum Crd {
        SERVED,
        ABSENT,
        FORBIDDEN
    }

    private final ClusterSpec spec;
    private final KubernetesClient client;
    private final WatchOptions options;
    private final ScheduledExecutorService control;
    private final Executor publisher;
    private final Consumer<Found> found;
    private final BiConsumer<String, Throwable> failed;
    private volatile boolean closed;
    private volatile ScheduledFuture<?> nextProbe;
    // Guarded by this probe's monitor (control threads).
    private boolean crdForbiddenLogged;
    private String clusterPropertyId; // the last id.k8s.io value warned about

    /**
     * @param found called on the {@code publisher} thread with each look-up's answer
     * @param failed called on the control thread with what failed ("ServiceExport CRD lookup") and why
     */
    McsCrdProbe(
            ClusterSpec spec,
            KubernetesClient client,
            WatchOptions options,
            ScheduledExecutorService control,
            Executor publisher,
            Consumer<Found> found,
            BiConsumer<String, Throwable> failed) {
        this.spec = spec;
        this.client = client;
        this.options = options;
        this.control = control;
        this.publisher = publisher;
        this.found = found;
        this.failed = failed;
    }

    /** Schedules the first look-up at once; the next ones follow by themselves. */
    void start() {
        scheduleProbe(0);
    }

    private void scheduleProbe(long delayMillis) {
        if (closed) {
            return;
        }
        try {
            nextProbe = control.schedule(this::probe, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // the mesh is closing
        }
    }

    /** Control thread: asks the API server whether ServiceExports are served, then hands the answer over. */
    private synchronized void probe() {
        if (closed) {
            return;
        }
        long recheck = options.exportsRecheck().toMillis();
        long next;
        try {
            lookUpCrds();
            checkClusterProperty();
            next = recheck;
        } catch (RuntimeException e) {
            failed.accept("ServiceExport CRD lookup", e);
            // No growing backoff: until the CRD is known a cluster cannot be synced, so retry at the informers' cap.
            next = Math.min(recheck, options.retryInterval().toMillis());
        }
        scheduleProbe(next);
    }

    /** An extra, immediate look at the CRD, outside the periodic ones: ServiceExports just went 404. */
    void probeNow() {
        try {
            control.execute(() -> {
                synchronized (this) {
                    if (!closed) {
                        try {
                            lookUpCrds();
                        } catch (RuntimeException e) {
                            // the periodic probe will tell
                        }
                    }
                }
            });
        } catch (RejectedExecutionException shuttingDown) {
            // the mesh is closing
        }
    }

    /** Whether ServiceExports are served; a 403 is warned about once, until the permission is granted. */
    private boolean serviceExportsServed() {
        Crd crd = crd(SERVICE_EXPORT);
        boolean forbidden = crd == Crd.FORBIDDEN;
        if (forbidden && !crdForbiddenLogged) {
            log.warn(
                    "cluster {}: may not read CustomResourceDefinition {} (HTTP 403); ServiceExports are not watched,"
                            + " only the annotation and exportAll export services. Grant 'get' on it to enable them.",
                    spec.id(),
                    SERVICE_EXPORT.crdName());
        }
        crdForbiddenLogged = forbidden;
        return crd == Crd.SERVED;
    }

    /** Control thread: looks both MCS CRDs up and hands the answers to the publisher thread. */
    private void lookUpCrds() {
        boolean exportsPresent = serviceExportsServed();
        // Without permission to read it (the chart grants it), ClusterSetIPs are simply not used: no warning.
        boolean importsPresent = crd(SERVICE_IMPORT) == Crd.SERVED;
        Found answer = new Found(exportsPresent, importsPresent);
        publisher.execute(() -> found.accept(answer));
    }

    /**
     * Whether the CRD of {@code resource} serves its version, from the CRD object itself: one narrow permission
     * ({@code get} by name). Errors other than HTTP 403 are thrown.
     */
    private Crd crd(ApiResource resource) {
        CustomResourceDefinition crd;
        try {
            crd = client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(resource.crdName())
                    .get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                return Crd.FORBIDDEN;
            }
            throw e;
        }
        boolean served = crd != null
                && crd.getSpec() != null
                && crd.getSpec().getVersions() != null
                && crd.getSpec().getVersions().stream()
                        .anyMatch(v -> resource.version().equals(v.getName()) && !Boolean.FALSE.equals(v.getServed()));
        return served ? Crd.SERVED : Crd.ABSENT;
    }

    /**
     * KEP-2149: a cluster that names itself with an {@code id.k8s.io} ClusterProperty other than the id in
     * meshdns's config gets one warning naming both (names in answers keep using the config's id). Control
     * thread; any failure to read it (no CRD, no permission) means "no property".
     */
    private void checkClusterProperty() {
        String value;
        try {
            GenericKubernetesResource property = client.genericKubernetesResources(CLUSTER_PROPERTIES)
                    .withName(CLUSTER_ID_PROPERTY)
                    .get();
            Object spec =
                    property == null ? null : property.getAdditionalProperties().get("spec");
            value = spec instanceof Map<?, ?> m && m.get("value") != null ? String.valueOf(m.get("value")) : null;
        } catch (KubernetesClientException e) {
            value = null;
        }
        if (value != null && !value.equals(spec.id().value()) && !value.equals(clusterPropertyId)) {
            log.warn(
                    "cluster {}: its ClusterProperty {} says the cluster id is '{}', but meshdns's config calls it '{}';"
                            + " names use '{}'. Make them agree.",
                    spec.id(),
                    CLUSTER_ID_PROPERTY,
                    value,
                    spec.id(),
                    spec.id());
        }
        clusterPropertyId = value;
    }

    /** Stops the look-ups; one already running finishes, and the watcher, closed, ignores its answer. */
    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> next = nextProbe;
        if (next != null) {
            next.cancel(false);
        }
    }
}
