package io.meshdns.testkit;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.WebSocket;
import io.meshdns.core.KubernetesNames;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * One member cluster: a fabric8 {@link KubernetesMockServer} in CRUD mode on a loopback port (real HTTP, real
 * watches, real resourceVersion checks), a kubeconfig file pointing at it, and a client to change its
 * objects. It also serves the API discovery documents kubectl reads first, so {@code kubectl get/create/delete}
 * work against it for the kinds meshdns uses.
 *
 * <p>It can fail the ways an API server does: go away and come back empty on the same port, answer every
 * request or one resource's requests with an HTTP error (401, 403 worded as RBAC words it, 404), expire a
 * watch (410), and let another writer change a ConfigMap between a client's read and its write.
 */
public final class MockCluster implements AutoCloseable {
    /** How long {@link #close} waits for the mock API server to stop. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(1);

    private final String id;
    private final Path kubeconfig;
    private final MockApiDispatcher.Faults faults = new MockApiDispatcher.Faults();
    private volatile KubernetesMockServer server;
    private volatile MockApiDispatcher store;
    private volatile KubernetesClient client;
    private volatile int port;

    private MockCluster(String id, Path kubeconfigDir, int onPort) {
        this.id = id;
        start(onPort);
        try {
            this.kubeconfig =
                    kubeconfigDir == null ? null : Kubeconfig.write(kubeconfigDir, id, "http://127.0.0.1:" + port);
        } catch (RuntimeException e) {
            client.close();
            destroy(server);
            throw e;
        }
    }

    /** Starts the API server on a free loopback port and writes {@code <dir>/<id>.kubeconfig}. */
    public static MockCluster start(String id, Path kubeconfigDir) {
        return new MockCluster(id, kubeconfigDir, 0);
    }

    /** As {@link #start(String, Path)} on a given port: a cluster whose API server comes up late. */
    public static MockCluster start(String id, Path kubeconfigDir, int port) {
        return new MockCluster(id, kubeconfigDir, port);
    }

    /** An API server for tests that only use its {@link #client()}: no kubeconfig is written. */
    public static MockCluster start(String id) {
        return new MockCluster(id, null, 0);
    }

    private void start(int onPort) {
        var web = new MockWebServer();
        var dispatcher = new MockApiDispatcher(web, faults);
        var s = new KubernetesMockServer(new Context(), web, new HashMap<>(), dispatcher, false);
        s.init(InetAddress.getLoopbackAddress(), onPort);
        store = dispatcher;
        server = s;
        this.port = s.getPort();
        client = s.createClient();
    }

    public String id() {
        return id;
    }

    /** A client of this cluster's API, for seeding and changing objects (a new one after {@link #restartEmpty}). */
    public KubernetesClient client() {
        return client;
    }

    /** {@code <dir>/<id>.kubeconfig}; only for clusters started with a kubeconfig folder. */
    public Path kubeconfig() {
        if (kubeconfig == null) {
            throw new IllegalStateException("cluster " + id + " was started without a kubeconfig folder");
        }
        return kubeconfig;
    }

    public int port() {
        return port;
    }

    /**
     * Stores a new object as the API server's create would (uid, creation time, resource version; watchers
     * get ADDED), without an HTTP round trip, in the collection its apiVersion, namespace and kind name
     * ({@code /api/v1/namespaces/shop/services}). For seeding large synthetic meshes: the mock server scans
     * every stored object on each create request, so 100,000 creates over HTTP take many minutes. Clients
     * still read everything through list and watch over HTTP. Not ordered with concurrent API writes: seed
     * before anything else writes to this cluster.
     */
    public void load(HasMetadata object) {
        String apiVersion = object.getApiVersion(); // "v1", or "group/version" outside the core group
        String namespace = object.getMetadata().getNamespace();
        String path = (apiVersion.contains("/") ? "/apis/" : "/api/") + apiVersion
                + (namespace == null ? "" : "/namespaces/" + namespace) + "/" + object.getPlural();
        var meta = object.getMetadata();
        meta.setUid(UUID.randomUUID().toString());
        meta.setCreationTimestamp(ZonedDateTime.now(ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.SECONDS)
                .format(DateTimeFormatter.ISO_INSTANT));
        MockApiDispatcher s = store;
        meta.setResourceVersion(String.valueOf(s.requestResourceVersion()));
        meta.setGeneration(1L);
        s.processEvent(path, s.getKey(path), null, null, Serialization.asJson(object));
    }

    /**
     * Takes the requests the mock server has recorded and not yet handed out, and returns how many there were.
     * The dispatcher takes each one as it is answered, so this stays near zero however many calls were served.
     */
    public int takeRecordedRequests() {
        return store.takeRecorded();
    }

    // ---- objects ----

    /** Creates namespace {@code name} unless it exists. */
    public void namespace(String name) {
        client.namespaces().resource(MeshObjects.namespace(name)).createOr(existing -> existing.update());
    }

    public Service create(Service svc) {
        return client.services().resource(svc).createOr(existing -> existing.update());
    }

    public EndpointSlice create(EndpointSlice slice) {
        return client.discovery().v1().endpointSlices().resource(slice).createOr(existing -> existing.update());
    }

    /** Installs the MCS ServiceExport CRD, as {@code kubectl apply -f multicluster.x-k8s.io_serviceexports.yaml}. */
    public void installServiceExportCrd() {
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .resource(MeshObjects.serviceExportCrd())
                .create();
    }

    public void removeServiceExportCrd() {
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(KubernetesNames.SERVICE_EXPORT.crdName())
                .delete();
    }

    /** Installs the MCS ServiceImport CRD. */
    public void installServiceImportCrd() {
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .resource(MeshObjects.serviceImportCrd())
                .create();
    }

    /** Creates a ServiceExport of the Service {@code namespace/name}. */
    public void export(String namespace, String name) {
        client.genericKubernetesResources(MeshObjects.SERVICE_EXPORTS)
                .resource(MeshObjects.serviceExport(namespace, name))
                .create();
    }

    public void unexport(String namespace, String name) {
        client.genericKubernetesResources(MeshObjects.SERVICE_EXPORTS)
                .inNamespace(namespace)
                .withName(name)
                .delete();
    }

    // ---- faults ----

    /** The API server goes away: connections are refused until {@link #restartEmpty()}. */
    public void stop() {
        client.close();
        destroy(server);
    }

    /** A new API server on the same port, with no objects (as after a restore from an empty backup). */
    public void restartEmpty() {
        start(port());
    }

    /**
     * The next watch of {@code resource} (e.g. "services") opens but delivers no events until
     * {@link #expireStalledWatches()}: the informer misses every change made meanwhile.
     */
    public void stallNextWatchOf(String resource) {
        faults.stallWatches.put(resource, new AtomicInteger(1));
    }

    /** Ends the stalled watches the way the API server does when their resourceVersion was compacted away. */
    public void expireStalledWatches() {
        String gone = Serialization.asJson(Map.of(
                "type",
                "ERROR",
                "object",
                new StatusBuilder()
                        .withApiVersion("v1")
                        .withKind("Status")
                        .withStatus("Failure")
                        .withCode(410)
                        .withReason("Expired")
                        .withMessage("too old resource version")
                        .build()));
        for (WebSocket ws : faults.stalled) {
            ws.send(gone);
            ws.close(1000, "");
        }
        faults.stalled.clear();
    }

    /** Every request is answered with {@code code} (401: expired credentials, 403: RBAC) until {@link #heal()}. */
    public void refuseAll(int code) {
        faults.refuse = code;
    }

    public void heal() {
        faults.refuse = 0;
    }

    /**
     * Every request for {@code resource} (e.g. "serviceexports", "configmaps") is answered with {@code code} from
     * now on: 404 as for a resource whose CRD is gone, 403 as RBAC denies a role the service account lacks.
     */
    public void answer(String resource, int code) {
        faults.answers.put(resource, code);
    }

    /**
     * Another writer applies {@code edit} to ConfigMap {@code namespace/name} between a client's read of it and
     * that client's next request for it, {@code times} times: the race optimistic concurrency exists for.
     */
    public void interfereWithWrites(String namespace, String name, int times, UnaryOperator<ConfigMap> edit) {
        faults.edit = edit;
        faults.interferences.set(times);
        faults.interferePath = "/api/v1/namespaces/" + namespace + "/configmaps/" + name;
    }

    /** How many writes another writer got in before. */
    public int interfered() {
        return faults.interfered.get();
    }

    /**
     * Stops the mock API server, waiting for it at most {@link #CLOSE_WAIT}: fabric8's mock server closing
     * while it streams watch events waits 10 s and then fails, and nothing needs it once it stops accepting.
     */
    @Override
    public void close() {
        client.close();
        KubernetesMockServer s = server;
        Thread stopping = new Thread(() -> destroy(s), "mock-cluster-close-" + id);
        stopping.setDaemon(true);
        stopping.start();
        try {
            stopping.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The mock server can stall its event loop for 30 s when a watch closes while it is still writing events
     * to it (its watch listener waits for its sender thread, which waits for the event loop). Shutting down
     * then fails after its own 10 s wait ("Unable to close MockWebServer"); the server is going away regardless.
     */
    private static void destroy(KubernetesMockServer server) {
        try {
            server.destroy();
        } catch (RuntimeException slowShutdown) {
            // see above
        }
    }
}
