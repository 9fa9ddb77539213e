package io.meshdns.server;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.core.Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
    dns = dns == null ? new Dns(null, null, null, null, null, null, null, null, null, null) : dns;
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
    axfr = axfr == null ? new Axfr(null, null, null, null) : axfr;
    loadBalancing = loadBalancing == null ? new LoadBalancing(null, null, null, null) : loadBalancing;
    clusters = clusters == null ? List.of() : List.copyOf(clusters);
    Set<String> ids = new HashSet<>();
    for (Cluster c : clusters) {
      if (!ids.add(c.id())) {
        throw new InvalidValue("clusters", "cluster id '" + c.id() + "' appears twice");
      }
    }
    checkReverseNetworksDisjoint(reverseZones, clusters);
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
   * @param bind a literal IP address (never a name: the config must not depend on DNS)
   * @param tcpIdleTimeout how long a TCP connection may stay without traffic (RFC 7766); must be positive
   * @param tcpQueryTimeout how long one query may take to arrive whole over TCP, from its first byte, so a
   *     client trickling bytes cannot hold a connection (Knot's {@code tcp-io-timeout}); must be positive
   * @param maxTcpConnections open TCP connections in all; a new one over the cap closes the connection that
   *     has gone longest without completing a query
   * @param maxTcpConnectionsPerSource open TCP connections from one address; the same rule within it
   * @param cache the most bytes of compiled answers kept ({@code 64Mi}; {@code 0} keeps none). Answers are
   *     compiled once per question, querier and size class and kept until the snapshot changes their
   *     service, never on a timer; the load-balancing order is applied to every query
   * @param chaos the CH-class {@code version.bind}/{@code id.server} TXT answers; off by default
   * @param rateLimit response rate limiting of UDP answers per source prefix; off by default
   * @param tls DNS over TLS (RFC 7858) on {@code bind}; off unless a certificate is configured
   */
  public record Dns(String bind, Integer port, String tcpIdleTimeout, String tcpQueryTimeout,
      Integer maxTcpConnections, Integer maxTcpConnectionsPerSource, String cache, Chaos chaos, RateLimit rateLimit,
      Tls tls) {
    public Dns {
      tls = tls == null ? new Tls(null, null, null, null) : tls;
      cache = cache == null ? "64Mi" : cache;
      parseSize("cache", cache);
      chaos = chaos == null ? new Chaos(null, null) : chaos;
      bind = bind == null ? "0.0.0.0" : bind;
      checkBind(bind);
      port = checkPort(port == null ? 53 : port);
      tcpIdleTimeout = tcpIdleTimeout == null ? "10s" : tcpIdleTimeout;
      checkPositive("tcpIdleTimeout", tcpIdleTimeout);
      tcpQueryTimeout = tcpQueryTimeout == null ? "2s" : tcpQueryTimeout;
      checkPositive("tcpQueryTimeout", tcpQueryTimeout);
      maxTcpConnections = maxTcpConnections == null ? 1000 : maxTcpConnections;
      if (maxTcpConnections < 1) {
        throw new InvalidValue("maxTcpConnections", "must be at least 1, was " + maxTcpConnections);
      }
      maxTcpConnectionsPerSource = maxTcpConnectionsPerSource == null
          ? Math.min(100, maxTcpConnections) : maxTcpConnectionsPerSource;
      if (maxTcpConnectionsPerSource < 1) {
        throw new InvalidValue("maxTcpConnectionsPerSource", "must be at least 1, was " + maxTcpConnectionsPerSource);
      }
      rateLimit = rateLimit == null ? new RateLimit(null, null, null) : rateLimit;
    }

    public Duration tcpIdleTimeoutDuration() {
      return parseDuration("tcpIdleTimeout", tcpIdleTimeout);
    }

    public Duration tcpQueryTimeoutDuration() {
      return parseDuration("tcpQueryTimeout", tcpQueryTimeout);
    }

    /** This listener with DNS over TLS set to {@code t}. */
    public Dns withTls(Tls t) {
      return new Dns(bind, port, tcpIdleTimeout, tcpQueryTimeout, maxTcpConnections, maxTcpConnectionsPerSource, cache,
          chaos, rateLimit, t);
    }
  }

  /**
   * DNS over TLS (RFC 7858): the TCP query path (pipelining, idle and per-query deadlines, the same
   * connection caps) behind TLS 1.2/1.3, on {@code dns.bind}. Off unless {@code certFile} is set. The PEM
   * files (relative to the config file) are re-read when their content changes, so a certificate rotated in
   * place (cert-manager's Secret) is served to the next new connection.
   *
   * @param port the DoT port, 853 by default
   * @param certFile the server's certificate chain, PEM, leaf first
   * @param keyFile its private key, PEM (PKCS#8, or PKCS#1/SEC 1 as cert-manager writes by default)
   * @param clientCaFile when set, mutual TLS: a client must present a certificate issued by one of these CAs
   */
  public record Tls(Integer port, String certFile, String keyFile, String clientCaFile) {
    public static final int DEFAULT_PORT = 853;

    public Tls {
      port = checkPort(port == null ? DEFAULT_PORT : port);
      for (String[] f : new String[][] {{"certFile", certFile}, {"keyFile", keyFile}, {"clientCaFile", clientCaFile}}) {
        if (f[1] != null && f[1].isBlank()) {
          throw new InvalidValue(f[0], "is empty; give the path of a PEM file, or leave it out");
        }
      }
      if ((certFile == null) != (keyFile == null)) {
        // Named where it is written, so the error has a line: the key present asks for the one missing.
        throw new InvalidValue(certFile != null ? "certFile" : "keyFile", "needs " + (certFile != null ? "keyFile" : "certFile")
            + " too: the server's certificate chain and its private key (PEM) go together");
      }
      if (clientCaFile != null && certFile == null) {
        throw new InvalidValue("clientCaFile", "needs certFile and keyFile: mutual TLS is part of DNS over TLS");
      }
    }

    public boolean enabled() {
      return certFile != null;
    }

    /** With the file paths made absolute against the config file's folder. */
    Tls resolvedAgainst(Path configDir) {
      return new Tls(port, resolve(configDir, certFile), resolve(configDir, keyFile), resolve(configDir, clientCaFile));
    }

    private static String resolve(Path dir, String file) {
      return file == null ? null : dir.resolve(file).toString();
    }
  }

  /**
   * Response rate limiting (RRL) of UDP answers, as Knot does it: per source prefix (/24 for IPv4, /56 for
   * IPv6), at most {@code responsesPerSecond} answers, with bursts of up to {@code window} worth of them;
   * of the answers over the limit every {@code slip}-th goes out as an empty truncated answer (TC=1, so a
   * real client retries over TCP, which is not limited) and the others are dropped. Off by default.
   *
   * @param responsesPerSecond the limit per prefix; 0 (the default) turns rate limiting off
   * @param slip 1 (the default) truncates every limited answer, 2 every second one..., 0 drops them all
   * @param window how much of a burst is allowed, as time at the full rate (default {@code 1s}, up to 60s)
   */
  public record RateLimit(Integer responsesPerSecond, Integer slip, String window) {
    public RateLimit {
      responsesPerSecond = responsesPerSecond == null ? 0 : responsesPerSecond;
      if (responsesPerSecond < 0 || responsesPerSecond > 1_000_000) {
        throw new InvalidValue("responsesPerSecond", "must be between 0 (off) and 1000000, was " + responsesPerSecond);
      }
      slip = slip == null ? 1 : slip;
      if (slip < 0 || slip > 100) {
        throw new InvalidValue("slip", "must be between 0 (drop all) and 100, was " + slip);
      }
      window = window == null ? "1s" : window;
      Duration w = parseDuration("window", window);
      if (w.compareTo(Duration.ofSeconds(1)) < 0 || w.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new InvalidValue("window", "must be between 1s and 60s, was " + window);
      }
    }

    public boolean enabled() {
      return responsesPerSecond > 0;
    }

    public Duration windowDuration() {
      return parseDuration("window", window);
    }
  }

  /** What {@code dig CH TXT version.bind} and {@code id.server} answer; {@code null} = REFUSED (the default). */
  public record Chaos(String version, String id) {}

  /** The metrics listener: /metrics, /healthz and /readyz (what Prometheus and the kubelet reach). */
  public record Http(String bind, Integer port) {
    public Http {
      bind = bind == null ? "0.0.0.0" : bind;
      checkBind(bind);
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

  /**
   * Zone transfers to secondaries (AXFR, IXFR) and the NOTIFYs that tell them of a change. A transfer is
   * allowed from the client networks in {@code allow}; when TSIG keys are configured it must also be signed
   * with one of them ({@code allow} empty: from anywhere, signed). {@code notify}: the secondaries told
   * of each new serial ({@code ADDR} or {@code ADDR:PORT}, port 53 by default), signed with the first key.
   */
  public record Axfr(List<String> allow, List<TsigKey> tsig,
      @com.fasterxml.jackson.annotation.JsonProperty("notify") List<String> notifyTo, Journal journal) {
    public Axfr {
      allow = allow == null ? List.of() : List.copyOf(allow);
      for (String cidr : allow) {
        checkCidr("allow", cidr);
      }
      tsig = tsig == null ? List.of() : List.copyOf(tsig);
      Set<String> names = new HashSet<>();
      for (TsigKey key : tsig) {
        if (!names.add(key.name())) {
          throw new InvalidValue("tsig", "key '" + key.name() + "' appears twice");
        }
      }
      notifyTo = notifyTo == null ? List.of() : List.copyOf(notifyTo);
      for (String target : notifyTo) {
        notifyTarget(target);
      }
      journal = journal == null ? new Journal(null, null) : journal;
    }

    /** Whether any client may transfer a zone. */
    public boolean enabled() {
      return !allow.isEmpty() || !tsig.isEmpty();
    }

    /** A notify target: a literal address, with a port after a colon (IPv6 in brackets: {@code [::1]:53}). */
    static java.net.InetSocketAddress notifyTarget(String target) {
      String host = target;
      int port = 53;
      Matcher m = Pattern.compile("\\[([^\\]]+)](?::(\\d{1,5}))?|([^:]+)(?::(\\d{1,5}))?").matcher(target);
      if (m.matches()) {
        host = m.group(1) != null ? m.group(1) : m.group(3);
        String p = m.group(1) != null ? m.group(2) : m.group(4);
        port = p == null ? 53 : Integer.parseInt(p);
      }
      if (port < 1 || port > 65535) {
        throw new InvalidValue("notify", "port must be between 1 and 65535 in '" + target + "'");
      }
      try {
        return new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(checkAddress("notify", host)), port);
      } catch (InvalidValue | java.net.UnknownHostException e) {
        throw new InvalidValue("notify", "'" + target + "' is not ADDR or ADDR:PORT with a literal IP address"
            + " (IPv6 in brackets: [fd00::53]:53)");
      }
    }
  }

  /**
   * A TSIG key (RFC 8945): its name, algorithm ({@code hmac-sha256} by default; {@code hmac-sha384},
   * {@code hmac-sha512}) and base64 secret, given inline ({@code secret}) or read from a file
   * ({@code secretFile}, absolute path, e.g. a mounted Kubernetes Secret).
   */
  public record TsigKey(String name, String algorithm, String secret, String secretFile) {
    static final List<String> ALGORITHMS = List.of("hmac-sha256", "hmac-sha384", "hmac-sha512");

    public TsigKey {
      if (name == null || name.isBlank()) {
        throw new InvalidValue("name", "a TSIG key needs a name");
      }
      try {
        org.xbill.DNS.Name.fromString(name, org.xbill.DNS.Name.root);
      } catch (org.xbill.DNS.TextParseException e) {
        throw new InvalidValue("name", "'" + name + "' is not a DNS name");
      }
      algorithm = algorithm == null ? "hmac-sha256" : algorithm.toLowerCase(Locale.ROOT);
      if (!ALGORITHMS.contains(algorithm)) {
        throw new InvalidValue("algorithm", "must be one of " + ALGORITHMS + ", was '" + algorithm + "'");
      }
      if ((secret == null) == (secretFile == null)) {
        throw new InvalidValue("secret", "give exactly one of secret and secretFile");
      }
      if (secretFile != null && !Path.of(secretFile).isAbsolute()) {
        throw new InvalidValue("secretFile", "must be an absolute path, was '" + secretFile + "'");
      }
      secretBytes(secret, secretFile);
    }

    /** The decoded secret (read from {@code secretFile} on each call, so a rotated Secret is seen on restart). */
    public byte[] secretBytes() {
      return secretBytes(secret, secretFile);
    }

    private static byte[] secretBytes(String secret, String secretFile) {
      String text = secret;
      String key = "secret";
      if (secretFile != null) {
        key = "secretFile";
        try {
          text = java.nio.file.Files.readString(Path.of(secretFile)).trim();
        } catch (java.io.IOException e) {
          throw new InvalidValue(key, "cannot read '" + secretFile + "': " + e.getMessage());
        }
      }
      byte[] bytes;
      try {
        bytes = java.util.Base64.getMimeDecoder().decode(text.trim());
      } catch (IllegalArgumentException e) {
        throw new InvalidValue(key, "not base64: " + e.getMessage());
      }
      if (bytes.length < 16) {
        throw new InvalidValue(key, "a TSIG secret needs at least 16 bytes (128 bits), had " + bytes.length);
      }
      return bytes;
    }
  }

  /** The IXFR journal: the last {@code depth} changes of each zone (100), at most {@code size} bytes (16Mi). */
  public record Journal(Integer depth, String size) {
    public Journal {
      depth = depth == null ? 100 : depth;
      if (depth < 0 || depth > 100_000) {
        throw new InvalidValue("depth", "must be between 0 (no IXFR: always a full transfer) and 100000, was " + depth);
      }
      size = size == null ? "16Mi" : size;
      parseSize("size", size);
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
  public record Cluster(String id, String kubeconfig, String context, Boolean inCluster,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> reachability,
      Integer weight, Integer priority, List<String> sourceCidrs, List<String> reverseZones) {
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
      reachability = reachability == null || reachability.isEmpty() ? List.of("pod") : List.copyOf(reachability);
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
      reverseZones = reverseZones == null ? List.of() : List.copyOf(reverseZones);
      for (String cidr : reverseZones) {
        checkCidr("reverseZones", cidr);
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

    /** {@code pod}, or an ordered list such as {@code [pod, clusterIP]}: each kind at most once. */
    private static List<Reachability> parseReachability(List<String> values) {
      List<Reachability> kinds = new ArrayList<>();
      for (String value : values) {
        Reachability kind = switch (value == null ? "" : value) {
          case "pod" -> Reachability.POD;
          case "clusterIP" -> Reachability.CLUSTER_IP;
          case "loadBalancer" -> Reachability.LOAD_BALANCER;
          default -> throw new InvalidValue("reachability",
              "must be pod, clusterIP, loadBalancer or an ordered list of them; was '" + value + "'");
        };
        if (kinds.contains(kind)) {
          throw new InvalidValue("reachability", "lists '" + value + "' twice");
        }
        kinds.add(kind);
      }
      return List.copyOf(kinds);
    }
  }

  /**
   * Every network meshdns answers PTRs for: the top-level {@code reverseZones} (networks of no one cluster)
   * and each cluster's own ({@code clusters[].reverseZones}, its pod and service networks).
   */
  public List<String> allReverseZones() {
    List<String> all = new ArrayList<>(reverseZones);
    clusters.forEach(c -> all.addAll(c.reverseZones()));
    return List.copyOf(all);
  }

  /**
   * The networks whose reverse zones the CoreDNS of cluster {@code id} delegates to meshdns: the top-level
   * ones and the other clusters', never its own, so that its {@code kubernetes} plugin keeps answering its
   * own PTRs. A cluster not in the config delegates them all.
   */
  public List<String> reverseZonesDelegatedBy(String id) {
    List<String> delegated = new ArrayList<>(reverseZones);
    clusters.stream().filter(c -> !c.id().equals(id)).forEach(c -> delegated.addAll(c.reverseZones()));
    return List.copyOf(delegated);
  }

  /**
   * A network belongs to one cluster or to none: two clusters' networks, or a cluster's and a top-level one,
   * must not overlap, or the CoreDNS of the cluster owning one would delegate part of its own PTRs (the
   * more specific reverse zone wins in CoreDNS) and meshdns could not tell whose address it is. Overlaps
   * within one list are harmless and allowed.
   */
  private static void checkReverseNetworksDisjoint(List<String> shared, List<Cluster> clusters) {
    record Owned(String cidrText, Cidr cidr, String key, int cluster) {}
    List<Owned> all = new ArrayList<>();
    shared.forEach(c -> all.add(new Owned(c, checkCidr("reverseZones", c), "reverseZones", -1)));
    for (int i = 0; i < clusters.size(); i++) {
      for (String c : clusters.get(i).reverseZones()) {
        all.add(new Owned(c, checkCidr("reverseZones", c), "clusters[" + i + "].reverseZones", i));
      }
    }
    for (int b = 0; b < all.size(); b++) {
      for (int a = 0; a < b; a++) {
        Owned first = all.get(a);
        Owned second = all.get(b);
        if (first.cluster() != second.cluster() && overlap(first.cidr(), second.cidr())) {
          String owner = first.cluster() < 0 ? "the top-level reverseZones (no cluster's)"
              : "cluster " + clusters.get(first.cluster()).id() + " (" + first.key() + ")";
          List<Object> path = second.cluster() < 0 ? List.of("reverseZones")
              : List.of("clusters", second.cluster(), "reverseZones");
          throw new InvalidValue(path, second.cidrText() + " overlaps " + first.cidrText() + " of " + owner
              + ": a network belongs to one cluster, or to none (top-level reverseZones); split it so that"
              + " no cluster's CoreDNS delegates its own PTRs");
        }
      }
    }
  }

  private static boolean overlap(Cidr a, Cidr b) {
    return a.network().length == b.network().length && (a.contains(b.network()) || b.contains(a.network()));
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

  /** With the command line's DNS listener overrides; a bad one is a config error naming the key. */
  public ServerConfig withDns(String bind, Integer port) {
    Dns d;
    try {
      d = new Dns(bind != null ? bind : dns.bind(), port != null ? port : dns.port(), dns.tcpIdleTimeout(),
          dns.tcpQueryTimeout(), dns.maxTcpConnections(), dns.maxTcpConnectionsPerSource(), dns.cache(), dns.chaos(),
          dns.rateLimit(), dns.tls());
    } catch (InvalidValue e) {
      throw new ConfigException("command line, key dns." + e.key + ": " + e.getMessage(), e);
    }
    return withDns(d);
  }

  /** With DNS over TLS set to {@code t} (the demo's throwaway certificate, or paths resolved against the file). */
  public ServerConfig withDnsTls(Tls t) {
    return withDns(dns.withTls(t));
  }

  private ServerConfig withDns(Dns d) {
    return new ServerConfig(zone, d, http, admin, ttl, staleAfter, readyAfter, exportAll, clusterScopedNames,
        reverseZones, nameserver, axfr, loadBalancing, kubeconfigDir, clusters, coredns);
  }

  public ServerConfig withHttpPort(Integer port) {
    return withHttp(null, port);
  }

  public ServerConfig withHttp(String bind, Integer port) {
    Http h;
    try {
      h = new Http(bind != null ? bind : http.bind(), port != null ? port : http.port());
    } catch (InvalidValue e) {
      throw new ConfigException("command line, key http." + e.key + ": " + e.getMessage(), e);
    }
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

  /** A listen address: an IP literal such as 0.0.0.0, 127.0.0.1 or :: (a name would need DNS to start DNS). */
  static void checkBind(String bind) {
    try {
      checkAddress("bind", bind);
    } catch (InvalidValue e) {
      throw new InvalidValue("bind", "must be an IP address such as 0.0.0.0, 127.0.0.1 or ::, was '" + bind + "'");
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

  /** A duration that must be more than zero: zero would otherwise read as "never". */
  static Duration checkPositive(String key, String value) {
    Duration d = parseDuration(key, value);
    if (d.isZero()) {
      throw new InvalidValue(key, "must be more than 0 (0 would mean never), was '" + value + "'");
    }
    return d;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** Go-style durations as Kubernetes users write them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
  /** A size in bytes: a whole number, optionally with Ki, Mi or Gi (as Kubernetes quantities). */
  static long parseSize(String key, String value) {
    Matcher m = SIZE.matcher(value.trim());
    if (!m.matches()) {
      String hint = DURATION.matcher(value.trim()).matches()
          ? "; it is the size of the compiled-answer store now: answers are no longer expired on a timer, and"
              + " every query gets its own load-balanced order"
          : "";
      throw new InvalidValue(key, "is not a size like 64Mi, 512Ki or 1Gi: '" + value + "'" + hint);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "" : m.group(2);
    return switch (unit) {
      case "Ki" -> n << 10;
      case "Mi" -> n << 20;
      case "Gi" -> n << 30;
      default -> n;
    };
  }

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

  private static final Pattern SIZE = Pattern.compile("(\\d{1,12})(Ki|Mi|Gi)?");

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
