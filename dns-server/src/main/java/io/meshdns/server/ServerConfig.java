package io.meshdns.server;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The meshdns configuration file, as bound from YAML by {@link ConfigLoader}. Every value is checked as
 * it is bound, so an error names its key. Relative kubeconfig paths are relative to the config file.
 */
public record ServerConfig(
    String zone,
    Dns dns,
    Integer ttl,
    String staleAfter,
    List<Cluster> clusters) {

  public static final String DEFAULT_ZONE = "clusterset.local";

  public ServerConfig {
    zone = zone == null ? DEFAULT_ZONE : normalizeZone(zone);
    dns = dns == null ? new Dns(null, null) : dns;
    ttl = ttl == null ? 5 : ttl;
    if (ttl < 0 || ttl > 86400) {
      throw new InvalidValue("ttl", "must be between 0 and 86400 seconds, was " + ttl);
    }
    staleAfter = staleAfter == null ? "5m" : staleAfter;
    parseDuration("staleAfter", staleAfter);
    clusters = clusters == null ? List.of() : List.copyOf(clusters);
    Set<String> ids = new HashSet<>();
    for (Cluster c : clusters) {
      if (!ids.add(c.id())) {
        throw new InvalidValue("clusters", "cluster id '" + c.id() + "' appears twice");
      }
    }
  }

  /** The DNS listeners. */
  public record Dns(String bind, Integer port) {
    public Dns {
      bind = bind == null ? "0.0.0.0" : bind;
      port = port == null ? 53 : port;
      if (port < 0 || port > 65535) {
        throw new InvalidValue("port", "must be between 0 and 65535, was " + port);
      }
    }
  }

  /** One member cluster. Without {@code kubeconfig}, the in-cluster service account is used. */
  public record Cluster(String id, String kubeconfig, String context, String reachability) {
    public Cluster {
      if (id == null) {
        throw new InvalidValue("id", "is required");
      }
      try {
        ClusterId.of(id);
      } catch (IllegalArgumentException e) {
        throw new InvalidValue("id", e.getMessage());
      }
      reachability = reachability == null ? "pod" : reachability;
      parseReachability(reachability);
    }

    ClusterSpec toSpec(Path configDir) {
      Path file = kubeconfig == null ? null : configDir.resolve(kubeconfig);
      return new ClusterSpec(ClusterId.of(id), file, context, parseReachability(reachability));
    }

    private static Reachability parseReachability(String value) {
      return switch (value) {
        case "pod" -> Reachability.POD;
        case "clusterIP" -> Reachability.CLUSTER_IP;
        case "loadBalancer" -> Reachability.LOAD_BALANCER;
        default -> throw new InvalidValue("reachability",
            "must be one of pod, clusterIP, loadBalancer; was '" + value + "'");
      };
    }
  }

  public Duration staleAfterDuration() {
    return parseDuration("staleAfter", staleAfter);
  }

  /** The cluster specs, with kubeconfig paths resolved against {@code configDir}. */
  public List<ClusterSpec> clusterSpecs(Path configDir) {
    return clusters.stream().map(c -> c.toSpec(configDir)).toList();
  }

  public ServerConfig withDns(String bind, Integer port) {
    return new ServerConfig(zone, new Dns(bind != null ? bind : dns.bind(), port != null ? port : dns.port()),
        ttl, staleAfter, clusters);
  }

  public ServerConfig withClusters(List<Cluster> clusters) {
    return new ServerConfig(zone, dns, ttl, staleAfter, clusters);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** Go-style durations as Kubernetes users write them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
  static Duration parseDuration(String key, String value) {
    Matcher m = DURATION.matcher(value.trim());
    if (!m.matches()) {
      throw new InvalidValue(key, "is not a duration like 30s, 5m or 1h: '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  private static String normalizeZone(String zone) {
    String z = zone.toLowerCase(Locale.ROOT);
    if (z.endsWith(".")) {
      z = z.substring(0, z.length() - 1);
    }
    for (String label : z.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        throw new InvalidValue("zone", "'" + zone + "' is not a domain name made of DNS labels");
      }
    }
    return z;
  }
}
