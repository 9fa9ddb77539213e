package io.meshdns.server;

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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the config file while {@code serve} runs and applies its cluster list live: clusters added,
 * removed or changed are started or stopped through {@link MeshWatcher#setClusters}, the others keep
 * serving. A config that does not load is logged with the loader's message (file, line, key) and the
 * running one is kept.
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
  private static final Set<String> LIVE_KEYS = Set.of("clusters", "kubeconfigDir");
  // A cluster's keys that discovery applies live; the others (weight, priority, ...) wait for a restart.
  private static final Set<String> LIVE_CLUSTER_KEYS = Set.of("id", "kubeconfig", "context", "inCluster",
      "reachability");

  private final Path file;
  private final Path dir;
  private final MeshWatcher mesh;
  private final ScheduledExecutorService timer;
  // Owned by the timer thread.
  private String lastText;
  private ServerConfig applied;
  private boolean missingLogged;

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
    watcher.lastText = watcher.read();
    long millis = Math.max(1, interval.toMillis());
    watcher.timer.scheduleWithFixedDelay(watcher::check, millis, millis, TimeUnit.MILLISECONDS);
    return watcher;
  }

  private String read() {
    try {
      String text = Files.readString(file);
      missingLogged = false;
      return text;
    } catch (NoSuchFileException e) {
      if (!missingLogged) {
        missingLogged = true;
        log.warn("config {}: file is gone; keeping the running configuration", file);
      }
    } catch (IOException e) {
      log.warn("config {}: cannot be read ({}); keeping the running configuration", file, e.toString());
    }
    return null;
  }

  private void check() {
    try {
      String text = read();
      if (text == null || text.equals(lastText)) {
        return;
      }
      lastText = text;
      ServerConfig next;
      List<ClusterSpec> specs;
      try {
        next = ConfigLoader.parse(file.toString(), text);
        specs = next.clusterSpecs(dir);
      } catch (ConfigException | IllegalArgumentException e) {
        log.error("{}; keeping the running configuration", e.getMessage());
        return;
      }
      List<String> needRestart = changedKeys(applied, next);
      if (!needRestart.isEmpty()) {
        log.warn("config {}: {} changed; only the cluster list is applied while running, restart to apply the rest",
            file, String.join(", ", needRestart));
      }
      mesh.setClusters(specs).join();
      log.info("config {}: reloaded; clusters {}", file, specs.stream().map(s -> s.id().value()).toList());
      applied = next;
    } catch (RuntimeException e) {
      // Never let one bad reload stop the watching.
      log.error("config {}: reload failed: {}", file, e.toString());
    }
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
