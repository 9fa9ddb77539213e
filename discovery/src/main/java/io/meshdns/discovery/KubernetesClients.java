package io.meshdns.discovery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meshdns.core.ConfigException;
import io.meshdns.core.KubernetesNames.ApiResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Builds the fabric8 client of one member cluster from its {@link ClusterSpec}: its kubeconfig file and
 * context, or, without a kubeconfig, the in-cluster service account. Every meshdns client of a member cluster
 * is made here, so a kubeconfig is checked, and its problems are told, the same way everywhere.
 */
public final class KubernetesClients {
    private KubernetesClients() {}

    /**
     * A client of the cluster of {@code spec}.
     *
     * @param settings adjusts the client's retries and timeouts to its use (long-lived informers, a one-shot
     *     command)
     * @throws ConfigException naming the cluster, the file and what is wrong, when the kubeconfig is
     *     missing, unreadable or unparsable, or lacks the context
     */
    public static KubernetesClient create(ClusterSpec spec, Consumer<Config> settings) {
        Config config = config(spec);
        settings.accept(config);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /**
     * A client whose failed requests surface quickly (one retry), so the informers' own backoff paces
     * reconnection and health sees errors at once. fabric8's informers double their delay from
     * {@code watchReconnectInterval} up to 32 times it; starting at 1/32 of {@code retryInterval} makes
     * {@code retryInterval} the longest wait between attempts, so a cluster is back within about that long
     * after its API server answers again, however long the outage was. A failed attempt costs one refused
     * connection or one error response, and a few per second at most. Its HTTP clients come from {@code http},
     * the transport the member clusters share ({@link MemberHttpTransport}); {@code more} may see and adjust the
     * config. Its informers' work (decoding what the API server sends, updating the stores, calling
     * discovery's handlers) runs on one thread of its own ({@link #oneTaskThread}).
     */
    static KubernetesClient create(
            ClusterSpec spec, java.time.Duration retryInterval, HttpClient.Factory http, Consumer<Config> more) {
        Config config = config(spec);
        config.setRequestRetryBackoffLimit(1);
        config.setWatchReconnectInterval(watchReconnectInterval(retryInterval));
        more.accept(config);
        return new KubernetesClientBuilder()
                .withConfig(config)
                .withHttpClientFactory(http)
                .withKubernetesSerialization(memberSerialization())
                .withTaskExecutorSupplier(oneTaskThread(spec))
                .build();
    }

    /**
     * The member clients' one decoder (shared, as its mapper's caches can be): it decodes Services and
     * EndpointSlices into the copies discovery caches ({@link CachedFieldsModule}).
     */
    static KubernetesSerialization memberSerialization() {
        return MemberSerialization.INSTANCE;
    }

    private static final class MemberSerialization {
        static final KubernetesSerialization INSTANCE =
                new KubernetesSerialization(new ObjectMapper().registerModule(new CachedFieldsModule()), true);
    }

    /**
     * One thread for a client's tasks, started when there is work and ended after a minute idle. fabric8's
     * default, a cached pool, runs each informer event on whichever thread takes it: every event of a watch is
     * handed from the thread that ran the previous one to another, waking it and putting the first to sleep,
     * two context switches per event (at 200,000 endpoints across 20 clusters, more CPU than decoding them).
     * On one thread the next event is taken from the queue by the thread that finished the last. Nothing that
     * runs there blocks: discovery's handlers only record which service changed, and fabric8's list and watch
     * handling is asynchronous; the clusters' clients still work side by side.
     */
    static KubernetesClientBuilder.ExecutorSupplier oneTaskThread(ClusterSpec spec) {
        return new KubernetesClientBuilder.ExecutorSupplier() {
            @Override
            public Executor get() {
                ThreadPoolExecutor pool =
                        new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), r -> {
                            Thread t = new Thread(r, "meshdns-cluster-" + spec.id());
                            t.setDaemon(true);
                            return t;
                        });
                pool.allowCoreThreadTimeOut(true);
                return pool;
            }

            @Override
            public void onClose(Executor executor) {
                ((ThreadPoolExecutor) executor).shutdownNow();
            }
        };
    }

    /** fabric8's backoff grows to 2^5 times its first step. */
    static final int BACKOFF_GROWTH = 32;

    static int watchReconnectInterval(java.time.Duration retryInterval) {
        return (int) Math.max(1, retryInterval.toMillis() / BACKOFF_GROWTH);
    }

    /** How fabric8 addresses a resource it has no model class for. */
    static ResourceDefinitionContext context(ApiResource r) {
        return new ResourceDefinitionContext.Builder()
                .withGroup(r.group())
                .withVersion(r.version())
                .withKind(r.kind())
                .withPlural(r.plural())
                .withNamespaced(r.namespaced())
                .build();
    }

    static Config config(ClusterSpec spec) {
        if (spec.inCluster()) {
            // The service account mounted into the pod (token, CA and KUBERNETES_SERVICE_HOST).
            return Config.autoConfigure(null);
        }
        var file = spec.kubeconfig();
        if (Files.isDirectory(file)) {
            throw invalid(spec, "kubeconfig " + file + " is a directory, not a kubeconfig file");
        }
        if (!Files.isReadable(file)) {
            throw invalid(spec, "kubeconfig " + file + " is missing or unreadable");
        }
        io.fabric8.kubernetes.api.model.Config parsed;
        try {
            parsed = KubeConfigUtils.parseConfig(file.toFile());
        } catch (RuntimeException e) {
            throw invalid(spec, "kubeconfig " + file + " cannot be parsed: " + e.getMessage(), e);
        }
        String context = spec.context() != null ? spec.context() : parsed.getCurrentContext();
        if (context == null || context.isEmpty()) {
            throw invalid(spec, "kubeconfig " + file + " has no current-context; set 'context'");
        }
        boolean known = parsed.getContexts() != null
                && parsed.getContexts().stream().map(NamedContext::getName).anyMatch(context::equals);
        if (!known) {
            String names = parsed.getContexts() == null
                    ? ""
                    : parsed.getContexts().stream().map(NamedContext::getName).collect(Collectors.joining(", "));
            throw invalid(
                    spec,
                    "context '" + context + "' does not exist in kubeconfig " + file + " (contexts: " + names + ")");
        }
        try {
            return Config.fromKubeconfig(context, file.toFile());
        } catch (RuntimeException e) {
            throw invalid(spec, "kubeconfig " + file + ", context '" + context + "': " + e.getMessage(), e);
        }
    }

    /** Every problem with a cluster's settings begins by naming the cluster. */
    private static String prefix(ClusterSpec spec) {
        return "cluster " + spec.id() + ": ";
    }

    private static ConfigException invalid(ClusterSpec spec, String problem) {
        return new ConfigException(prefix(spec) + problem);
    }

    private static ConfigException invalid(ClusterSpec spec, String problem, Throwable cause) {
        return new ConfigException(prefix(spec) + problem, cause);
    }

    /** What a failed {@link #create} says is wrong, without naming the cluster: for that cluster's own health. */
    static String problem(ClusterSpec spec, RuntimeException e) {
        String message = String.valueOf(e.getMessage());
        return message.startsWith(prefix(spec)) ? message.substring(prefix(spec).length()) : message;
    }

    /**
     * Writes a kubeconfig whole, readable by its owner only (0600, where the file system has POSIX modes): a
     * temporary file beside it is renamed over it, so a reader (a restarting meshdns, kubectl) never sees half
     * a file, and the token in it is never readable by others, not even for a moment.
     */
    public static void writeKubeconfig(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temporary = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? Files.createTempFile(
                        dir,
                        "." + file.getFileName(),
                        ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
