package io.meshdns.server;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.loadbalancer.Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    Http http,
    Admin admin,
    Integer ttl,
    String staleAfter,
    String readyAfter,
    Boolean exportAll,
    Boolean clusterScopedNames,
    List<String> reverseZones,
    Nameserver nameserver,
    Axfr axfr,
    LoadBalancing loadBalancing,
    String kubeconfigDir,
    List<Cluster> clusters,
    Coredns coredns) {

  public static final String DEFAULT_ZONE = "clusterset.local";

  public ServerConfig {
    zone = zone == null ? DEFAULT_ZONE : normalizeZone(zone);
    dns = dns == null ? new Dns(null, null, null, null, null, null) : dns;
    http = http == null ? new Http(null, null) : http;
    admin = admin == null ? new Admin(null, null, null) : admin;
    ttl = ttl == null ? 5 : ttl;
    if (ttl < 0 || ttl > 86400) {
      throw new InvalidValue("ttl", "must be between 0 and 86400 seconds, was " + ttl);
    }
    staleAfter = staleAfter == null ? "5m" : staleAfter;
    parseDuration("staleAfter", staleAfter);
    readyAfter = readyAfter == null ? "60s" : readyAfter;
    parseDuration("readyAfter", readyAfter);
    exportAll = exportAll != null && exportAll;
    clusterScopedNames = clusterScopedNames != null && clusterScopedNames;
    reverseZones = reverseZones == null ? List.of() : List.copyOf(reverseZones);
    for (String cidr : reverseZones) {
      checkCidr("reverseZones", cidr);
    }
    nameserver = nameserver == null ? new Nameserver(null, null) : nameserver;
    axfr = axfr == null ? new Axfr(null) : axfr;
    loadBalancing = loadBalancing == null ? new LoadBalancing(null, null, null, null) : loadBalancing;
    clusters = clusters == null ? List.of() : List.copyOf(clusters);
    Set<String> ids = new HashSet<>();
    for (Cluster c : clusters) {
      if (!ids.add(c.id())) {
        throw new InvalidValue("clusters", "cluster id '" + c.id() + "' appears twice");
      }
    }
    coredns = coredns == null ? new Coredns(null, null, null) : coredns;
    for (String id : coredns.forwardTo().keySet()) {
      if (!ids.contains(id)) {
        throw new InvalidValue("coredns.forwardTo", "cluster '" + id + "' is not one of the clusters");
      }
    }
    if (coredns.serviceCluster() != null && !ids.contains(coredns.serviceCluster())) {
      throw new InvalidValue("coredns.serviceCluster", "cluster '" + coredns.serviceCluster() + "' is not one of the clusters");
    }
  }

  /**
   * What {@code meshdns coredns-config} writes into each cluster's CoreDNS: the meshdns addresses reachable
   * from each cluster ({@code forwardTo}, by cluster id, {@code ADDR} or {@code ADDR:PORT}), else those of the
   * meshdns Service {@code service} ({@code namespace/name}) in cluster {@code serviceCluster}.
   */
  public record Coredns(Map<String, List<String>> forwardTo, String service, String serviceCluster) {
    private static final Pattern SERVICE = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    public Coredns {
      Map<String, List<String>> copy = new LinkedHashMap<>();
      if (forwardTo != null) {
        forwardTo.forEach((id, addresses) -> {
          if (addresses == null || addresses.isEmpty()) {
            throw new InvalidValue("forwardTo", "cluster '" + id + "' has no address");
          }
          addresses.forEach(a -> checkUpstream("forwardTo", a));
          copy.put(id, List.copyOf(addresses));
        });
      }
      forwardTo = Collections.unmodifiableMap(copy);
      if (service != null && !SERVICE.matcher(service).matches()) {
        throw new InvalidValue("service", "must be namespace/name of the meshdns Service; was '" + service + "'");
      }
      if ((service == null) != (serviceCluster == null)) {
        throw new InvalidValue(service == null ? "service" : "serviceCluster",
            "service and serviceCluster go together: the meshdns Service and the cluster it runs in");
      }
    }

    /** An IP address, or one with a port: {@code 10.0.0.1:5353}, {@code [fd00::1]:5353}. */
    private static void checkUpstream(String key, String address) {
      String host = address;
      String port = null;
      int colon = address.indexOf(':');
      if (address.startsWith("[") && address.contains("]:")) {
        host = address.substring(1, address.indexOf("]:"));
        port = address.substring(address.indexOf("]:") + 2);
      } else if (colon >= 0 && colon == address.lastIndexOf(':')) {
        host = address.substring(0, colon);
        port = address.substring(colon + 1);
      }
      checkAddress(key, host);
      if (port != null && (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
        throw new InvalidValue(key, "'" + address + "' has no valid port after the address");
      }
    }
  }

  /**
   * The DNS listeners (UDP and TCP on the same address and port) and how they answer.
   *
   * @param cache how long an encoded answer is reused (per name, type, querier cluster and size class);
   *     the load-balancing order therefore changes at most this often per name; {@code 0s} disables it
   * @param chaos the CH-class {@code version.bind}/{@code id.server} TXT answers; off by default
   */
  public record Dns(String bind, Integer port, String tcpIdleTimeout, Integer maxTcpConnections, String cache,
      Chaos chaos) {
    public Dns {
      cache = cache == null ? "1s" : cache;
      parseDuration("cache", cache);
      chaos = chaos == null ? new Chaos(null, null) : chaos;
      bind = bind == null ? "0.0.0.0" : bind;
      port = checkPort(port == null ? 53 : port);
      tcpIdleTimeout = tcpIdleTimeout == null ? "10s" : tcpIdleTimeout;
      parseDuration("tcpIdleTimeout", tcpIdleTimeout);
      maxTcpConnections = maxTcpConnections == null ? 1000 : maxTcpConnections;
      if (maxTcpConnections < 1) {
        throw new InvalidValue("maxTcpConnections", "must be at least 1, was " + maxTcpConnections);
      }
    }
  }

  /** What {@code dig CH TXT version.bind} and {@code id.server} answer; {@code null} = REFUSED (the default). */
  public record Chaos(String version, String id) {}

  /** The metrics listener: /metrics, /healthz and /readyz (what Prometheus and the kubelet reach). */
  public record Http(String bind, Integer port) {
    public Http {
      bind = bind == null ? "0.0.0.0" : bind;
      port = checkPort(port == null ? 9153 : port);
    }
  }

  /**
   * The admin listener: the status page and {@code /api/*}, which show the whole zone (not-ready endpoints,
   * node names, zones). Loopback by default, reached with {@code kubectl port-forward}; any other address
   * only with a bearer token ({@code tokenFile}, relative to the config file), so the inventory is never
   * open wider than zone transfers are.
   */
  public record Admin(String bind, Integer port, String tokenFile) {
    public static final int DEFAULT_PORT = 9154;

    public Admin {
      bind = bind == null ? "127.0.0.1" : bind;
      byte[] address = checkAddress("bind", bind);
      port = checkPort(port == null ? DEFAULT_PORT : port);
      if (tokenFile != null && tokenFile.isBlank()) {
        throw new InvalidValue("tokenFile", "is empty; give the path of a file holding the bearer token, or leave it out");
      }
      if (tokenFile == null && !isLoopback(address)) {
        throw new InvalidValue("bind", "'" + bind + "' is not a loopback address: the status page and /api/* list "
            + "the whole zone, so a wider bind needs admin.tokenFile (a bearer token), or bind 127.0.0.1 and use "
            + "kubectl port-forward");
      }
    }

    /** This listener with {@code tokenFile} made absolute against the config file's folder. */
    Admin resolvedAgainst(Path configDir) {
      return tokenFile == null ? this : new Admin(bind, port, configDir.resolve(tokenFile).toString());
    }

    private static boolean isLoopback(byte[] address) {
      try {
        return java.net.InetAddress.getByAddress(address).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        return false; // a literal of the wrong length; checkAddress already refused it
      }
    }
  }

  /** The apex NS record's name and, when it is inside the zone, its glue addresses. */
  public record Nameserver(String name, List<String> addresses) {
    public Nameserver {
      addresses = addresses == null ? List.of() : List.copyOf(addresses);
      for (String a : addresses) {
        checkAddress("addresses", a);
      }
    }
  }

  /** Zone transfers: allowed only from these client networks (none by default). */
  public record Axfr(List<String> allow) {
    public Axfr {
      allow = allow == null ? List.of() : List.copyOf(allow);
      for (String cidr : allow) {
        checkCidr("allow", cidr);
      }
    }
  }

  /**
   * How answers are chosen: the default policy, the answer cap, the EDNS0 option carrying the querier's
   * cluster, and the querier's topology zone by source network.
   */
  public record LoadBalancing(String policy, Integer maxAnswers, Integer ednsClusterOption, List<ZoneSource> zones) {
    public static final List<String> POLICIES = io.meshdns.loadbalancer.LoadBalancingConfig.POLICIES;

    public LoadBalancing {
      policy = policy == null ? "local-first" : policy;
      if (!POLICIES.contains(policy)) {
        throw new InvalidValue("policy", "must be one of " + String.join(", ", POLICIES) + "; was '" + policy + "'");
      }
      maxAnswers = maxAnswers == null ? 8 : maxAnswers;
      if (maxAnswers < 1 || maxAnswers > 256) {
        throw new InvalidValue("maxAnswers", "must be between 1 and 256, was " + maxAnswers);
      }
      ednsClusterOption = ednsClusterOption == null ? 65300 : ednsClusterOption;
      if (ednsClusterOption < 1 || ednsClusterOption > 65535) {
        throw new InvalidValue("ednsClusterOption", "must be an EDNS0 option code 1-65535, was " + ednsClusterOption);
      }
      zones = zones == null ? List.of() : List.copyOf(zones);
    }
  }

  /** Queriers whose source address is in {@code cidr} are in topology zone {@code zone}. */
  public record ZoneSource(String cidr, String zone) {
    public ZoneSource {
      if (cidr == null) {
        throw new InvalidValue("cidr", "is required");
      }
      checkCidr("cidr", cidr);
      if (zone == null || zone.isBlank()) {
        throw new InvalidValue("zone", "is required");
      }
    }
  }

  /**
   * One member cluster. Its kubeconfig is {@code kubeconfig} (relative to the config file), else
   * {@code <kubeconfigDir>/<id>} when a kubeconfig directory is configured, else the in-cluster service
   * account ({@code inCluster: true} says so explicitly).
   */
  public record Cluster(String id, String kubeconfig, String context, Boolean inCluster, String reachability,
      Integer weight, Integer priority, List<String> sourceCidrs) {
    public Cluster {
      if (id == null) {
        throw new InvalidValue("id", "is required");
      }
      try {
        ClusterId.of(id);
      } catch (IllegalArgumentException e) {
        throw new InvalidValue("id", e.getMessage());
      }
      inCluster = inCluster != null && inCluster;
      if (inCluster && kubeconfig != null) {
        throw new InvalidValue("inCluster", "cannot be true together with kubeconfig");
      }
      reachability = reachability == null ? "pod" : reachability;
      parseReachability(reachability);
      weight = weight == null ? 1 : weight;
      if (weight < 0 || weight > 10000) {
        throw new InvalidValue("weight", "must be between 0 and 10000, was " + weight);
      }
      priority = priority == null ? 0 : priority;
      sourceCidrs = sourceCidrs == null ? List.of() : List.copyOf(sourceCidrs);
      for (String cidr : sourceCidrs) {
        checkCidr("sourceCidrs", cidr);
      }
    }

    ClusterSpec toSpec(Path configDir, Path kubeconfigDir) {
      Path file;
      if (kubeconfig != null) {
        file = configDir.resolve(kubeconfig);
      } else if (!inCluster && kubeconfigDir != null) {
        file = kubeconfigDir.resolve(id);
      } else {
        file = null;
      }
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
    Path dir = kubeconfigDir == null ? null : configDir.resolve(kubeconfigDir);
    return clusters.stream().map(c -> c.toSpec(configDir, dir)).toList();
  }

  public Duration readyAfterDuration() {
    return parseDuration("readyAfter", readyAfter);
  }

  public ServerConfig withDns(String bind, Integer port) {
    Dns d = new Dns(bind != null ? bind : dns.bind(), port != null ? port : dns.port(),
        dns.tcpIdleTimeout(), dns.maxTcpConnections(), dns.cache(), dns.chaos());
    return new ServerConfig(zone, d, http, admin, ttl, staleAfter, readyAfter, exportAll, clusterScopedNames,
        reverseZones, nameserver, axfr, loadBalancing, kubeconfigDir, clusters, coredns);
  }

  public ServerConfig withHttpPort(Integer port) {
    return withHttp(null, port);
  }

  public ServerConfig withHttp(String bind, Integer port) {
    Http h = new Http(bind != null ? bind : http.bind(), port != null ? port : http.port());
    return new ServerConfig(zone, dns, h, admin, ttl, staleAfter, readyAfter, exportAll, clusterScopedNames,
        reverseZones, nameserver, axfr, loadBalancing, kubeconfigDir, clusters, coredns);
  }

  /** The admin listener at {@code bind}/{@code port} where given (the token file is kept). */
  public ServerConfig withAdmin(String bind, Integer port) {
    return withAdmin(new Admin(bind != null ? bind : admin.bind(), port != null ? port : admin.port(), admin.tokenFile()));
  }

  public ServerConfig withAdmin(Admin a) {
    return new ServerConfig(zone, dns, http, a, ttl, staleAfter, readyAfter, exportAll, clusterScopedNames,
        reverseZones, nameserver, axfr, loadBalancing, kubeconfigDir, clusters, coredns);
  }

  public ServerConfig withClusters(List<Cluster> clusters) {
    return new ServerConfig(zone, dns, http, admin, ttl, staleAfter, readyAfter, exportAll, clusterScopedNames,
        reverseZones, nameserver, axfr, loadBalancing, kubeconfigDir, clusters, coredns);
  }

  /** A config with every default: what {@code demo} starts from. */
  public static ServerConfig defaults() {
    return new ServerConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  private static int checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new InvalidValue("port", "must be between 0 and 65535, was " + port);
    }
    return port;
  }

  /** A CIDR like {@code 10.10.0.0/16} or {@code fd00::/8}; a bare address means a single host. */
  static Cidr checkCidr(String key, String cidr) {
    try {
      return Cidr.parse(cidr);
    } catch (IllegalArgumentException e) {
      throw new InvalidValue(key, e.getMessage());
    }
  }

  /** A literal address (never a DNS lookup: the config must not depend on DNS). */
  static byte[] checkAddress(String key, String address) {
    Cidr host = checkCidr(key, address);
    if (host.prefix() != host.network().length * 8) {
      throw new InvalidValue(key, "'" + address + "' is not an IP address");
    }
    return host.network();
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
