package io.meshdns.server.config;

import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.MeshWatcher;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the config file while {@code serve} runs and applies its cluster list live: clusters added,
 * removed or changed are started or stopped through {@link MeshWatcher#setClusters}, the others keep
 * serving. A config that does not load is logged with the loader's message (file, line, key) and the
 * running one is kept; it is logged once per content (a new edit is logged again), not on every poll, and a
 * file that cannot be read is logged once per error.
 *
 * <p>The file's content is polled rather than watched for events: a Kubernetes ConfigMap volume replaces
 * the file by swapping a {@code ..data} symlink, editors write a new file and rename it, and both are
 * seen the same way by reading the file through its path. Reading a small file every few seconds costs
 * nothing.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(ConfigFileWatcher.class);
    // Keys applied live (kubeconfigDir because it only changes where cluster kubeconfigs are found).
    // allowEmptyMesh because it only decides whether a reload may leave no cluster.
    private static final Set<String> LIVE_KEYS = Set.of("clusters", "kubeconfigDir", "allowEmptyMesh");
    // A cluster's keys that discovery applies live; the others (weight, priority, ...) wait for a restart.
    private static final Set<String> LIVE_CLUSTER_KEYS =
            Set.of("id", "kubeconfig", "context", "inCluster", "reachability");

    private final Path file;
    private final Path dir;
    private final MeshWatcher mesh;
    private final ScheduledExecutorService timer;
    // Owned by the timer thread.
    private byte[] lastBytes;
    private ServerConfig applied;
    /** The last read failure logged (a missing file, an I/O error), so that it is logged once, not every poll. */
    private String readFailureLogged;

    private final AtomicLong polls = new AtomicLong();

    private ConfigFileWatcher(Path file, ServerConfig current, MeshWatcher mesh) {
        this.file = file.toAbsolutePath();
        this.dir = this.file.getParent();
        this.mesh = mesh;
        this.applied = current;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshdns-config-watch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts polling {@code file} every {@code interval}. {@code current} is the config loaded from it (before
     * any command-line override) whose clusters {@code mesh} already watches.
     */
    public static ConfigFileWatcher start(Path file, ServerConfig current, MeshWatcher mesh, Duration interval) {
        ConfigFileWatcher watcher = new ConfigFileWatcher(file, current, mesh);
        watcher.lastBytes = watcher.read();
        long millis = Math.max(1, interval.toMillis());
        watcher.timer.scheduleWithFixedDelay(watcher::check, millis, millis, TimeUnit.MILLISECONDS);
        return watcher;
    }

    /** The file's bytes (the loader decodes them, naming a byte that is not UTF-8), or null when unreadable. */
    private byte[] read() {
        String failure;
        try {
            byte[] bytes = Files.readAllBytes(file);
            readFailureLogged = null;
            return bytes;
        } catch (NoSuchFileException e) {
            failure = "file is gone";
        } catch (IOException e) {
            failure = "cannot be read (" + e + ")";
        }
        if (!failure.equals(readFailureLogged)) {
            readFailureLogged = failure;
            log.warn("config {}: {}; keeping the running configuration", file, failure);
        }
        return null;
    }

    private void check() {
        try {
            byte[] bytes = read();
            if (bytes == null || Arrays.equals(bytes, lastBytes)) {
                return; // unchanged: a config that did not load was logged when its content appeared
            }
            lastBytes = bytes;
            ServerConfig next;
            List<ClusterSpec> specs;
            try {
                next = ConfigLoader.parse(file.toString(), bytes);
                next.requireClusters(file.toString());
                specs = next.clusterSpecs(dir);
            } catch (ConfigException | IllegalArgumentException e) {
                log.error("{}; keeping the running configuration", e.getMessage());
                return;
            }
            List<String> needRestart = changedKeys(applied, next);
            if (!needRestart.isEmpty()) {
                log.warn(
                        "config {}: {} changed; only the cluster list is applied while running, restart to apply the rest",
                        file,
                        String.join(", ", needRestart));
            }
            mesh.setClusters(specs).join();
            log.info(
                    "config {}: reloaded; clusters {}",
                    file,
                    specs.stream().map(s -> s.id().value()).toList());
            applied = next;
        } catch (RuntimeException e) {
            // Never let one bad reload stop the watching.
            log.error("config {}: reload failed: {}", file, e.toString());
        } finally {
            polls.incrementAndGet();
        }
    }

    /** How many times the file has been looked at (tests wait on it rather than on time). */
    long polls() {
        return polls.get();
    }

    /**
     * The keys whose values differ, except those applied live: top-level keys, and {@code clusters[<id>].key}
     * for keys of a cluster that discovery does not use. A cluster added or removed while running counts as
     * changed from a cluster with only its id (weight 1, priority 0, no networks): those are what the load
     * balancer and the reverse zones keep for it until a restart.
     */
    static List<String> changedKeys(ServerConfig before, ServerConfig after) {
        List<String> changed = new ArrayList<>();
        for (RecordComponent c : ServerConfig.class.getRecordComponents()) {
            if (!LIVE_KEYS.contains(c.getName()) && !Objects.equals(value(c, before), value(c, after))) {
                changed.add(c.getName());
            }
        }
        Map<String, ServerConfig.Cluster> old = byId(before.clusters());
        Map<String, ServerConfig.Cluster> neu = byId(after.clusters());
        Set<String> ids = new LinkedHashSet<>(old.keySet());
        ids.addAll(neu.keySet());
        for (String id : ids) {
            ServerConfig.Cluster was = old.getOrDefault(id, idOnly(id));
            ServerConfig.Cluster is = neu.getOrDefault(id, idOnly(id));
            for (RecordComponent c : ServerConfig.Cluster.class.getRecordComponents()) {
                if (!LIVE_CLUSTER_KEYS.contains(c.getName()) && !Objects.equals(value(c, was), value(c, is))) {
                    changed.add("clusters[" + id + "]." + c.getName());
                }
            }
        }
        return changed;
    }

    private static Map<String, ServerConfig.Cluster> byId(List<ServerConfig.Cluster> clusters) {
        Map<String, ServerConfig.Cluster> out = new LinkedHashMap<>();
        clusters.forEach(c -> out.put(c.id(), c));
        return out;
    }

    private static ServerConfig.Cluster idOnly(String id) {
        return new ServerConfig.Cluster(id, null, null, null, null, null, null, null, null);
    }

    private static Object value(RecordComponent component, Record of) {
        try {
            return component.getAccessor().invoke(of);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
