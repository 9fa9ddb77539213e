package io.meshdns.server.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.meshdns.core.Cidr;
import io.meshdns.core.ConfigException;
import io.meshdns.core.DnsLabel;
import io.meshdns.core.IpLiteral;
import io.meshdns.core.UpstreamAddress;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.loadbalancer.LoadBalancingConfig;
import io.meshdns.loadbalancer.Policy;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The meshdns configuration file, as bound from YAML by {@link ConfigLoader}. Every value is checked as
 * it is bound, so an error names its key; durations, sizes, networks and addresses are bound to their
 * types then ({@link ConfigValues}), and nothing reads their text again. Relative kubeconfig paths are
 * relative to the config file.
 */
public record ServerConfig(
        String zone,
        Dns dns,
        Http http,
        Admin admin,
        Integer ttl,
        Duration staleAfter,
        Duration readyAfter,
        Boolean exportAll,
        Boolean clusterScopedNames,

        @JsonDeserialize(contentUsing = ConfigValues.CidrAsWritten.class)
        List<Cidr> reverseZones,

        List<Nameserver> nameservers,
        Axfr axfr,
        LoadBalancing loadBalancing,
        String kubeconfigDir,
        List<Cluster> clusters,
        Coredns coredns,
        Boolean allowEmptyMesh,
        StatusPage status,
        Logging logging) {

    public static final String DEFAULT_ZONE = "clusterset.local";
    static final String NO_CLUSTERS = "no cluster to watch: meshdns would serve an empty zone (NXDOMAIN for"
            + " every name); list the clusters, or set allowEmptyMesh: true to start without any";
    /** 0.0.0.0, where the DNS and metrics listeners bind by default. */
    static final InetAddress ANY_IPV4 = IpLiteral.parse("0.0.0.0");
    /** 127.0.0.1, where the admin listener binds by default. */
    public static final InetAddress LOOPBACK_IPV4 = IpLiteral.parse("127.0.0.1");

    public ServerConfig {
        try {
            zone = zone == null ? DEFAULT_ZONE : DnsLabel.zone(zone, false);
        } catch (IllegalArgumentException e) {
            throw new InvalidValue("zone", e.getMessage());
        }
        dns = dns == null
                ? new Dns(null, null, null, null, null, null, null, null, null, null, null, null, null, null)
                : dns;
        http = http == null ? new Http(null, null) : http;
        admin = admin == null ? new Admin(null, null, null) : admin;
        ttl = ttl == null ? 5 : ttl;
        if (ttl < 0 || ttl > 86400) {
            throw new InvalidValue("ttl", "must be between 0 and 86400 seconds, was " + ttl);
        }
        staleAfter = staleAfter == null ? Duration.ofMinutes(5) : staleAfter;
        readyAfter = readyAfter == null ? Duration.ofSeconds(60) : readyAfter;
        exportAll = exportAll != null && exportAll;
        clusterScopedNames = clusterScopedNames != null && clusterScopedNames;
        reverseZones = reverseZones == null ? List.of() : List.copyOf(reverseZones);
        nameservers = nameservers == null ? List.of() : List.copyOf(nameservers);
        checkNameservers(zone, nameservers);
        axfr = axfr == null ? new Axfr(null, null, null, null) : axfr;
        loadBalancing = loadBalancing == null ? new LoadBalancing(null, null, null, null) : loadBalancing;
        allowEmptyMesh = allowEmptyMesh != null && allowEmptyMesh;
        clusters = clusters == null ? List.of() : List.copyOf(clusters);
        Set<String> ids = new HashSet<>();
        for (Cluster c : clusters) {
            if (!ids.add(c.id())) {
                throw new InvalidValue("clusters", "cluster id '" + c.id() + "' appears twice");
            }
        }
        checkReverseNetworksDisjoint(reverseZones, clusters);
        coredns = coredns == null ? new Coredns(null, null, null) : coredns;
        status = status == null ? new StatusPage(null) : status;
        for (String id : coredns.forwardTo().keySet()) {
            if (!ids.contains(id)) {
                throw new InvalidValue("coredns.forwardTo", "cluster '" + id + "' is not one of the clusters");
            }
        }
        if (coredns.serviceCluster() != null && !ids.contains(coredns.serviceCluster())) {
            throw new InvalidValue(
                    "coredns.serviceCluster", "cluster '" + coredns.serviceCluster() + "' is not one of the clusters");
        }
        logging = logging == null ? new Logging(null, null) : logging;
    }

    /**
     * The log level ({@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace}; default {@code info})
     * and format ({@code text} or {@code json} lines; default {@code text}) set at start; {@code --log-level} and
     * {@code --log-format} win. Read once: a change in the file takes a restart.
     */
    public record Logging(String level, String format) {
        public Logging {
            level = level == null ? "info" : LogOutput.level("level", level);
            format = format == null
                    ? "text"
                    : LogOutput.Format.parse("format", format).name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What {@code meshdns coredns-config} writes into each cluster's CoreDNS: the meshdns addresses reachable
     * from each cluster ({@code forwardTo}, by cluster id, {@code ADDR}, {@code ADDR:PORT} or {@code [V6]:PORT}, as
     * {@link UpstreamAddress#parseAsWritten} reads them), else those of the meshdns Service {@code service}
     * ({@code namespace/name}) in cluster {@code serviceCluster}.
     */
    public record Coredns(Map<String, List<String>> forwardTo, String service, String serviceCluster) {
        private static final Pattern SERVICE =
                Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?");

        public Coredns {
            Map<String, List<String>> copy = new LinkedHashMap<>();
            if (forwardTo != null) {
                forwardTo.forEach((id, addresses) -> {
                    if (addresses == null || addresses.isEmpty()) {
                        throw new InvalidValue("forwardTo", "cluster '" + id + "' has no address");
                    }
                    // Checked here as coredns-config checks them: the CoreDNS stanza writes them as given, so they stay
                    // text, and must be written the way CoreDNS reads them.
                    addresses.forEach(a -> {
                        try {
                            UpstreamAddress.parseAsWritten(a);
                        } catch (IllegalArgumentException e) {
                            throw new InvalidValue("forwardTo", e.getMessage());
                        }
                    });
                    copy.put(id, List.copyOf(addresses));
                });
            }
            forwardTo = Collections.unmodifiableMap(copy);
            if (service != null && !SERVICE.matcher(service).matches()) {
                throw new InvalidValue(
                        "service", "must be namespace/name of the meshdns Service; was '" + service + "'");
            }
            if ((service == null) != (serviceCluster == null)) {
                throw new InvalidValue(
                        service == null ? "service" : "serviceCluster",
                        "service and serviceCluster go together: the meshdns Service and the cluster it runs in");
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
     * @param maxTcpPendingOutput the bytes of answers not yet taken by their clients that all TCP and DoT
     *     connections together may hold (written {@code 48Mi}); over it, the connection holding the most is
     *     closed. An eighth of the heap by default
     * @param maxTcpPendingOutputPerConnection the same for one connection ({@code 64Ki} by default): over it,
     *     the connection is not read until its client has taken half of them (Netty's write-buffer water marks)
     * @param cache the most bytes of compiled answers kept (written {@code 64Mi}; {@code 0} keeps none).
     *     Answers are compiled once per question, querier and size class and kept until the snapshot
     *     changes their service, never on a timer; the load-balancing order is applied to every query
     * @param chaos the CH-class {@code version.bind}/{@code id.server} TXT answers; off by default
     * @param rateLimit response rate limiting of UDP answers per source prefix; off by default
     * @param tls DNS over TLS (RFC 7858) on {@code bind}; off unless a certificate is configured
     * @param cookies DNS cookies (RFC 7873, RFC 9018); off by default
     * @param udpTransport the UDP sockets: {@code auto} (default: {@code ffm} on JDK 22+ on Linux x86_64/aarch64
     *     with native access, else {@code netty}), {@code netty} (Netty's epoll) or {@code ffm} (meshdns's own,
     *     through {@code java.lang.foreign}; a start-up error where it cannot run)
     */
    public record Dns(
            @JsonDeserialize(using = ConfigValues.BindAddress.class)
            InetAddress bind,

            Integer port,

            @JsonDeserialize(using = ConfigValues.PositiveDuration.class)
            Duration tcpIdleTimeout,

            @JsonDeserialize(using = ConfigValues.PositiveDuration.class)
            Duration tcpQueryTimeout,

            Integer maxTcpConnections,
            Integer maxTcpConnectionsPerSource,

            @JsonDeserialize(using = ConfigValues.Size.class)
            Long maxTcpPendingOutput,

            @JsonDeserialize(using = ConfigValues.Size.class)
            Long maxTcpPendingOutputPerConnection,

            @JsonDeserialize(using = ConfigValues.Size.class)
            Long cache,

            Chaos chaos,
            RateLimit rateLimit,
            Tls tls,
            Cookies cookies,

            @JsonDeserialize(using = UdpTransport.Value.class)
            UdpTransport udpTransport) {
        public Dns {
            udpTransport = udpTransport == null ? UdpTransport.AUTO : udpTransport;
            tls = tls == null ? new Tls(null, null, null, null, null) : tls;
            cookies = cookies == null ? new Cookies(null, null) : cookies;
            cache = cache == null ? 64L << 20 : cache;
            chaos = chaos == null ? new Chaos(null, null) : chaos;
            bind = bind == null ? ANY_IPV4 : bind;
            port = checkPort(port == null ? 53 : port);
            tcpIdleTimeout = tcpIdleTimeout == null ? Duration.ofSeconds(10) : tcpIdleTimeout;
            tcpQueryTimeout = tcpQueryTimeout == null ? Duration.ofSeconds(2) : tcpQueryTimeout;
            maxTcpConnections = maxTcpConnections == null ? 1000 : maxTcpConnections;
            if (maxTcpConnections < 1) {
                throw new InvalidValue("maxTcpConnections", "must be at least 1, was " + maxTcpConnections);
            }
            maxTcpConnectionsPerSource =
                    maxTcpConnectionsPerSource == null ? Math.min(100, maxTcpConnections) : maxTcpConnectionsPerSource;
            if (maxTcpConnectionsPerSource < 1) {
                throw new InvalidValue(
                        "maxTcpConnectionsPerSource", "must be at least 1, was " + maxTcpConnectionsPerSource);
            }
            maxTcpPendingOutput =
                    maxTcpPendingOutput == null ? Runtime.getRuntime().maxMemory() / 8 : maxTcpPendingOutput;
            if (maxTcpPendingOutput < 1) {
                throw new InvalidValue("maxTcpPendingOutput", "must be at least 1 byte, was " + maxTcpPendingOutput);
            }
            maxTcpPendingOutputPerConnection =
                    maxTcpPendingOutputPerConnection == null ? 64L << 10 : maxTcpPendingOutputPerConnection;
            if (maxTcpPendingOutputPerConnection < 2 || maxTcpPendingOutputPerConnection > Integer.MAX_VALUE) {
                throw new InvalidValue(
                        "maxTcpPendingOutputPerConnection",
                        "must be between 2 bytes and 2Gi, was " + maxTcpPendingOutputPerConnection);
            }
            rateLimit = rateLimit == null ? new RateLimit(null, null, null) : rateLimit;
        }

        /** This listener with DNS over TLS set to {@code t}. */
        public Dns withTls(Tls t) {
            return new Dns(
                    bind,
                    port,
                    tcpIdleTimeout,
                    tcpQueryTimeout,
                    maxTcpConnections,
                    maxTcpConnectionsPerSource,
                    maxTcpPendingOutput,
                    maxTcpPendingOutputPerConnection,
                    cache,
                    chaos,
                    rateLimit,
                    t,
                    cookies,
                    udpTransport);
        }

        /** This listener with its UDP transport set to {@code t}. */
        Dns withUdpTransport(UdpTransport t) {
            return new Dns(
                    bind,
                    port,
                    tcpIdleTimeout,
                    tcpQueryTimeout,
                    maxTcpConnections,
                    maxTcpConnectionsPerSource,
                    maxTcpPendingOutput,
                    maxTcpPendingOutputPerConnection,
                    cache,
                    chaos,
                    rateLimit,
                    tls,
                    cookies,
                    t);
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
     * @param padding which answers are padded (RFC 7830, to a multiple of 468 bytes as RFC 8467 recommends):
     *     {@code edns} (the default) every answer to a query with EDNS, {@code requested} only those to a
     *     query carrying the Padding option, as RFC 7830 4 requires. Never over plain UDP and TCP (RFC 7830 6)
     */
    public record Tls(Integer port, String certFile, String keyFile, String clientCaFile, String padding) {
        public static final int DEFAULT_PORT = 853;
        static final List<String> PADDING = List.of("edns", "requested");

        public Tls {
            port = checkPort(port == null ? DEFAULT_PORT : port);
            padding = padding == null ? PADDING.get(0) : padding;
            if (!PADDING.contains(padding)) {
                throw new InvalidValue(
                        "padding",
                        "must be one of " + String.join(", ", PADDING) + " (a query that asks"
                                + " for padding always gets it, RFC 7830 4); was '" + padding + "'");
            }
            for (String[] f :
                    new String[][] {{"certFile", certFile}, {"keyFile", keyFile}, {"clientCaFile", clientCaFile}}) {
                if (f[1] != null && f[1].isBlank()) {
                    throw new InvalidValue(f[0], "is empty; give the path of a PEM file, or leave it out");
                }
            }
            if ((certFile == null) != (keyFile == null)) {
                // Named where it is written, so the error has a line: the key present asks for the one missing.
                throw new InvalidValue(
                        certFile != null ? "certFile" : "keyFile",
                        "needs " + (certFile != null ? "keyFile" : "certFile")
                                + " too: the server's certificate chain and its private key (PEM) go together");
            }
            if (clientCaFile != null && certFile == null) {
                throw new InvalidValue(
                        "clientCaFile", "needs certFile and keyFile: mutual TLS is part of DNS over TLS");
            }
        }

        public boolean enabled() {
            return certFile != null;
        }

        /** Whether every answer to an EDNS query is padded, not only those to a query that asks. */
        public boolean padsEveryEdnsAnswer() {
            return padding.equals("edns");
        }

        /** With the file paths made absolute against the config file's folder. */
        public Tls resolvedAgainst(Path configDir) {
            return new Tls(
                    port,
                    resolve(configDir, certFile),
                    resolve(configDir, keyFile),
                    resolve(configDir, clientCaFile),
                    padding);
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
    public record RateLimit(
            Integer responsesPerSecond,
            Integer slip,

            @JsonDeserialize(using = ConfigValues.RateLimitWindow.class)
            Duration window) {
        public RateLimit {
            responsesPerSecond = responsesPerSecond == null ? 0 : responsesPerSecond;
            if (responsesPerSecond < 0 || responsesPerSecond > 1_000_000) {
                throw new InvalidValue(
                        "responsesPerSecond", "must be between 0 (off) and 1000000, was " + responsesPerSecond);
            }
            slip = slip == null ? 1 : slip;
            if (slip < 0 || slip > 100) {
                throw new InvalidValue("slip", "must be between 0 (drop all) and 100, was " + slip);
            }
            window = window == null ? Duration.ofSeconds(1) : window;
        }

        public boolean enabled() {
            return responsesPerSecond > 0;
        }
    }

    /**
     * DNS cookies (RFC 7873) with server cookies built as RFC 9018 says (SipHash-2-4 over the client cookie,
     * version, timestamp and client address, keyed by a server secret), so that a client which sends a
     * cookie is answered with one, and once it sends that back is let past response rate limiting. Off by
     * default: the COOKIE option is then ignored, as by a server that does not know it (RFC 7873 5.2).
     *
     * @param secretFile an absolute path (e.g. a mounted Secret) to the server secret: 32 hex digits (128
     *     bits), or several lines of them, the first making cookies and all accepted (a secret being rolled
     *     over). Without it, a random secret is made at start. Replicas behind one Service must share it, or
     *     each rejects the others' cookies
     */
    public record Cookies(Boolean enabled, String secretFile) {
        public Cookies {
            enabled = enabled != null && enabled;
            if (secretFile != null) {
                if (!enabled) {
                    throw new InvalidValue(
                            "secretFile", "is set but cookies are off: add enabled: true, or leave secretFile out");
                }
                if (!Path.of(secretFile).isAbsolute()) {
                    throw new InvalidValue("secretFile", "must be an absolute path, was '" + secretFile + "'");
                }
                secrets(secretFile);
            }
        }

        /** The secrets (16 bytes each), the one making cookies first: read from the file, else one made at random. */
        public List<byte[]> secrets() {
            if (secretFile == null) {
                byte[] secret = new byte[16];
                new java.security.SecureRandom().nextBytes(secret);
                return List.of(secret);
            }
            return secrets(secretFile);
        }

        private static List<byte[]> secrets(String secretFile) {
            String text;
            try {
                text = java.nio.file.Files.readString(Path.of(secretFile));
            } catch (java.io.IOException e) {
                throw new InvalidValue("secretFile", "cannot read '" + secretFile + "': " + e.getMessage());
            }
            List<byte[]> secrets = new ArrayList<>();
            int line = 0;
            for (String l : text.split("\n", -1)) {
                line++;
                String hex = l.strip();
                if (hex.isEmpty()) {
                    continue;
                }
                if (!hex.matches("[0-9a-fA-F]{32}")) {
                    throw new InvalidValue(
                            "secretFile",
                            "line " + line + " of '" + secretFile + "' is not a secret: each line"
                                    + " holds 32 hex digits (128 bits), e.g. from `openssl rand -hex 16`");
                }
                secrets.add(java.util.HexFormat.of().parseHex(hex));
            }
            if (secrets.isEmpty()) {
                throw new InvalidValue(
                        "secretFile",
                        "'" + secretFile + "' holds no secret: 32 hex digits, e.g. from `openssl rand -hex 16`");
            }
            return List.copyOf(secrets);
        }
    }

    /** What {@code dig CH TXT version.bind} and {@code id.server} answer; {@code null} = REFUSED (the default). */
    public record Chaos(String version, String id) {}

    /**
     * The metrics listener: /metrics, /healthz and /readyz (what Prometheus and the kubelet reach), held to
     * its connection limits ({@link HttpConnectionLimits}; 512 connections, 64 per source, 5 s to send a
     * request, 30 s idle by default).
     */
    public record Http(
            @JsonDeserialize(using = ConfigValues.BindAddress.class)
            InetAddress bind,

            Integer port,
            Integer maxConnections,
            Integer maxConnectionsPerSource,

            @JsonDeserialize(using = ConfigValues.PositiveDuration.class)
            Duration requestTimeout,

            @JsonDeserialize(using = ConfigValues.PositiveDuration.class)
            Duration idleTimeout) {
        public Http {
            bind = bind == null ? ANY_IPV4 : bind;
            port = checkPort(port == null ? 9153 : port);
            maxConnections = atLeastOne("maxConnections", maxConnections == null ? 512 : maxConnections);
            maxConnectionsPerSource = atLeastOne(
                    "maxConnectionsPerSource",
                    maxConnectionsPerSource == null ? Math.min(64, maxConnections) : maxConnectionsPerSource);
            requestTimeout = requestTimeout == null ? Duration.ofSeconds(5) : requestTimeout;
            idleTimeout = idleTimeout == null ? Duration.ofSeconds(30) : idleTimeout;
        }

        public Http(InetAddress bind, Integer port) {
            this(bind, port, null, null, null, null);
        }

        public HttpConnectionLimits limits() {
            return new HttpConnectionLimits(
                    "http", maxConnections, maxConnectionsPerSource, requestTimeout, idleTimeout);
        }
    }

    /**
     * What one HTTP listener allows its clients (the {@code http} or {@code admin} keys named by {@code section}):
     * at most {@code maxConnections} open connections, {@code maxConnectionsPerSource} from one address (a new
     * connection over either cap closes the one, of that address or of all, that has gone longest without
     * sending a whole request, so the newest client, such as the kubelet's probe, is served); a request must
     * arrive whole within {@code requestTimeout} of the connection or of its first byte; a connection with
     * nothing read or written for {@code idleTimeout} is closed.
     */
    public record HttpConnectionLimits(
            String section,
            int maxConnections,
            int maxConnectionsPerSource,
            Duration requestTimeout,
            Duration idleTimeout) {
        /** These limits with the total cap lowered to {@code max} (and the per-source cap with it where it was higher). */
        public HttpConnectionLimits withMaxConnections(int max) {
            return new HttpConnectionLimits(
                    section, max, Math.min(max, maxConnectionsPerSource), requestTimeout, idleTimeout);
        }
    }

    private static int atLeastOne(String key, int value) {
        if (value < 1) {
            throw new InvalidValue(key, "must be at least 1, was " + value);
        }
        return value;
    }

    /**
     * The admin listener: the status page and {@code /api/*}, which show the whole zone (not-ready endpoints,
     * node names, zones). Loopback by default, reached with {@code kubectl port-forward}; any other address
     * only with a bearer token ({@code tokenFile}, relative to the config file), so the inventory is never
     * open wider than zone transfers are. Held to its own connection limits ({@link HttpConnectionLimits}; 64
     * connections, 16 per source, 5 s to send a request, 30 s idle by default).
     */
    public record Admin(
            InetAddress bind,
            Integer port,
            String tokenFile,
            Integer maxConnections,
            Integer maxConnectionsPerSource,

            @JsonDeserialize(using = ConfigValues.PositiveDuration.class)
            Duration requestTimeout,

            @JsonDeserialize(using = ConfigValues.PositiveDuration.class)
            Duration idleTimeout) {
        public static final int DEFAULT_PORT = 9154;

        public Admin {
            bind = bind == null ? LOOPBACK_IPV4 : bind;
            port = checkPort(port == null ? DEFAULT_PORT : port);
            // A browser opens about six connections; through kubectl port-forward every client is 127.0.0.1.
            maxConnections = atLeastOne("maxConnections", maxConnections == null ? 64 : maxConnections);
            maxConnectionsPerSource = atLeastOne(
                    "maxConnectionsPerSource",
                    maxConnectionsPerSource == null ? Math.min(16, maxConnections) : maxConnectionsPerSource);
            requestTimeout = requestTimeout == null ? Duration.ofSeconds(5) : requestTimeout;
            idleTimeout = idleTimeout == null ? Duration.ofSeconds(30) : idleTimeout;
            if (tokenFile != null && tokenFile.isBlank()) {
                throw new InvalidValue(
                        "tokenFile", "is empty; give the path of a file holding the bearer token, or leave it out");
            }
            if (tokenFile == null && !bind.isLoopbackAddress()) {
                throw new InvalidValue(
                        "bind",
                        "'" + NetUtil.toAddressString(bind) + "' is not a loopback address: the status"
                                + " page and /api/* list the whole zone, so a wider bind needs admin.tokenFile (a bearer token), or bind 127.0.0.1 and use "
                                + "kubectl port-forward");
            }
        }

        public Admin(InetAddress bind, Integer port, String tokenFile) {
            this(bind, port, tokenFile, null, null, null, null);
        }

        /** This listener with {@code tokenFile} made absolute against the config file's folder. */
        public Admin resolvedAgainst(Path configDir) {
            return tokenFile == null
                    ? this
                    : withListener(bind, port, configDir.resolve(tokenFile).toString());
        }

        /** This listener at {@code bind}/{@code port} with {@code tokenFile}, its connection limits kept. */
        Admin withListener(InetAddress bind, Integer port, String tokenFile) {
            return new Admin(
                    bind, port, tokenFile, maxConnections, maxConnectionsPerSource, requestTimeout, idleTimeout);
        }

        public HttpConnectionLimits limits() {
            return new HttpConnectionLimits(
                    "admin", maxConnections, maxConnectionsPerSource, requestTimeout, idleTimeout);
        }
    }

    /**
     * One name server of the zone: the name of an apex NS record and, when that name is inside the zone, its
     * addresses (served as its A/AAAA records and as glue with the NS records). Without any,
     * {@code ns.<zone>} with the DNS listener's address ({@link ZoneSettings}).
     */
    public record Nameserver(String name, List<InetAddress> addresses) {
        public Nameserver {
            if (name == null || name.isBlank()) {
                throw new InvalidValue(
                        "name", "is required: the name server's host name, such as ns1.clusterset.local");
            }
            try {
                name = DnsLabel.zone(name, false);
            } catch (IllegalArgumentException e) {
                throw new InvalidValue("name", e.getMessage());
            }
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }

    /**
     * Name servers inside the zone need their addresses here (nothing else can answer them: a resolver or
     * secondary following the NS record would find a lame server) and must not take a name meshdns serves;
     * those outside it are answered by their own zone, so addresses given for them would never be served.
     */
    private static void checkNameservers(String zone, List<Nameserver> nameservers) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < nameservers.size(); i++) {
            Nameserver ns = nameservers.get(i);
            if (!names.add(ns.name())) {
                throw new InvalidValue(List.of("nameservers", i, "name"), "'" + ns.name() + "' appears twice");
            }
            boolean inZone = ns.name().endsWith("." + zone);
            if (ns.name().equals(zone)
                    || ns.name().endsWith(".svc." + zone)
                    || ns.name().equals("svc." + zone)
                    || ns.name().equals("dns-version." + zone)) {
                throw new InvalidValue(
                        List.of("nameservers", i, "name"),
                        "'" + ns.name() + "' is a name meshdns answers" + " itself; choose one such as ns1." + zone);
            }
            if (inZone && ns.addresses().isEmpty()) {
                throw new InvalidValue(
                        List.of("nameservers", i),
                        "needs addresses: '" + ns.name() + "' is inside zone " + zone
                                + ", so nothing else can answer them, and a resolver or secondary following the NS record would find"
                                + " no server");
            }
            if (!inZone && !ns.addresses().isEmpty()) {
                throw new InvalidValue(
                        List.of("nameservers", i, "addresses"),
                        "'" + ns.name() + "' is outside zone " + zone
                                + ": its own zone answers its addresses; leave them out");
            }
        }
    }

    /**
     * Zone transfers to secondaries (AXFR, IXFR) and the NOTIFYs that tell them of a change. A transfer is
     * allowed from the client networks in {@code allow}; when TSIG keys are configured it must also be signed
     * with one of them ({@code allow} empty: from anywhere, signed). {@code notify}: the secondaries told
     * of each new serial ({@code ADDR} or {@code ADDR:PORT}, port 53 by default), signed with the first key.
     */
    public record Axfr(
            List<Cidr> allow,
            List<TsigKey> tsig,

            @JsonProperty("notify") @JsonDeserialize(contentUsing = ConfigValues.NotifyTarget.class)
            List<InetSocketAddress> notifyTo,

            Journal journal) {
        public Axfr {
            allow = allow == null ? List.of() : List.copyOf(allow);
            tsig = tsig == null ? List.of() : List.copyOf(tsig);
            Set<String> names = new HashSet<>();
            for (TsigKey key : tsig) {
                if (!names.add(key.name())) {
                    throw new InvalidValue("tsig", "key '" + key.name() + "' appears twice");
                }
            }
            notifyTo = notifyTo == null ? List.of() : List.copyOf(notifyTo);
            journal = journal == null ? new Journal(null, null) : journal;
        }

        /** Whether any client may transfer a zone. */
        public boolean enabled() {
            return !allow.isEmpty() || !tsig.isEmpty();
        }
    }

    /**
     * A TSIG key (RFC 8945): its name, algorithm ({@code hmac-sha256} by default; {@code hmac-sha384},
     * {@code hmac-sha512}) and base64 secret, given inline ({@code secret}) or read from a file
     * ({@code secretFile}, e.g. a mounted Kubernetes Secret; a relative path is relative to the config file).
     */
    public record TsigKey(
            String name,
            String algorithm,
            String secret,

            @JsonDeserialize(using = ConfigValues.FileNextToConfig.class)
            String secretFile) {
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
    public record Journal(
            Integer depth,

            @JsonDeserialize(using = ConfigValues.Size.class)
            Long size) {
        public Journal {
            depth = depth == null ? 100 : depth;
            if (depth < 0 || depth > 100_000) {
                throw new InvalidValue(
                        "depth", "must be between 0 (no IXFR: always a full transfer) and 100000, was " + depth);
            }
            size = size == null ? 16L << 20 : size;
        }
    }

    /**
     * How answers are chosen: the default policy, the answer cap, the EDNS0 option carrying the querier's
     * cluster, and the querier's topology zone by source network.
     */
    public record LoadBalancing(
            Policy policy,
            Integer maxAnswers,
            Integer ednsClusterOption,
            List<LoadBalancingConfig.TopologyZone> zones) {
        public LoadBalancing {
            // The values are the load balancer's, and so are their checks; here they get the file, line and key.
            policy = policy == null ? LoadBalancingConfig.DEFAULT_POLICY : policy;
            maxAnswers = maxAnswers == null ? LoadBalancingConfig.DEFAULT_MAX_ANSWERS : maxAnswers;
            try {
                LoadBalancingConfig.checkMaxAnswers(maxAnswers);
            } catch (IllegalArgumentException e) {
                throw new InvalidValue("maxAnswers", e.getMessage());
            }
            ednsClusterOption =
                    ednsClusterOption == null ? LoadBalancingConfig.DEFAULT_EDNS_CLUSTER_OPTION : ednsClusterOption;
            try {
                LoadBalancingConfig.checkEdnsClusterOption(ednsClusterOption);
            } catch (IllegalArgumentException e) {
                throw new InvalidValue("ednsClusterOption", e.getMessage());
            }
            zones = zones == null ? List.of() : List.copyOf(zones);
        }
    }

    /**
     * One member cluster. Its kubeconfig is {@code kubeconfig} (relative to the config file), else
     * {@code <kubeconfigDir>/<id>} when a kubeconfig directory is configured, else the in-cluster service
     * account ({@code inCluster: true} says so explicitly).
     */
    public record Cluster(
            String id,
            String kubeconfig,
            String context,
            Boolean inCluster,

            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            List<Reachability> reachability,

            Integer weight,
            Integer priority,
            List<Cidr> sourceCidrs,

            @JsonDeserialize(contentUsing = ConfigValues.CidrAsWritten.class)
            List<Cidr> reverseZones) {
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
            reachability = reachability == null || reachability.isEmpty()
                    ? List.of(Reachability.POD)
                    : checkReachability(reachability);
            weight = weight == null ? 1 : weight;
            if (weight < 0 || weight > LoadBalancingConfig.Cluster.MAX_WEIGHT) {
                throw new InvalidValue(
                        "weight",
                        "must be between 0 and " + LoadBalancingConfig.Cluster.MAX_WEIGHT + ", was " + weight);
            }
            priority = priority == null ? 0 : priority;
            sourceCidrs = sourceCidrs == null ? List.of() : List.copyOf(sourceCidrs);
            reverseZones = reverseZones == null ? List.of() : List.copyOf(reverseZones);
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
            return new ClusterSpec(ClusterId.of(id), file, context, reachability);
        }

        /** {@code pod}, or an ordered list such as {@code [pod, clusterIP]}: each kind at most once. */
        private static List<Reachability> checkReachability(List<Reachability> kinds) {
            for (int i = 0; i < kinds.size(); i++) {
                Reachability kind = kinds.get(i);
                if (kind == null) { // an empty item: the deserializer sees no value to name
                    throw ConfigValues.unknownReachability("reachability", null);
                }
                if (kinds.subList(0, i).contains(kind)) {
                    throw new InvalidValue("reachability", "lists '" + kind.configName() + "' twice");
                }
            }
            return List.copyOf(kinds);
        }
    }

    /**
     * Every network meshdns answers PTRs for: the top-level {@code reverseZones} (networks of no one cluster)
     * and each cluster's own ({@code clusters[].reverseZones}, its pod and service networks).
     */
    public List<Cidr> allReverseZones() {
        List<Cidr> all = new ArrayList<>(reverseZones);
        clusters.forEach(c -> all.addAll(c.reverseZones()));
        return List.copyOf(all);
    }

    /**
     * The networks whose reverse zones the CoreDNS of cluster {@code id} delegates to meshdns: the top-level
     * ones and the other clusters', never its own, so that its {@code kubernetes} plugin keeps answering its
     * own PTRs. A cluster not in the config delegates them all.
     */
    public List<Cidr> reverseZonesDelegatedBy(String id) {
        List<Cidr> delegated = new ArrayList<>(reverseZones);
        clusters.stream().filter(c -> !c.id().equals(id)).forEach(c -> delegated.addAll(c.reverseZones()));
        return List.copyOf(delegated);
    }

    /**
     * A network belongs to one cluster or to none: two clusters' networks, or a cluster's and a top-level one,
     * must not overlap, or the CoreDNS of the cluster owning one would delegate part of its own PTRs (the
     * more specific reverse zone wins in CoreDNS) and meshdns could not tell whose address it is. Overlaps
     * within one list are harmless and allowed.
     */
    private static void checkReverseNetworksDisjoint(List<Cidr> shared, List<Cluster> clusters) {
        record Owned(Cidr cidr, String key, int cluster) {}
        List<Owned> all = new ArrayList<>();
        shared.forEach(c -> all.add(new Owned(c, "reverseZones", -1)));
        for (int i = 0; i < clusters.size(); i++) {
            for (Cidr c : clusters.get(i).reverseZones()) {
                all.add(new Owned(c, "clusters[" + i + "].reverseZones", i));
            }
        }
        for (int b = 0; b < all.size(); b++) {
            for (int a = 0; a < b; a++) {
                Owned first = all.get(a);
                Owned second = all.get(b);
                if (first.cluster() != second.cluster() && overlap(first.cidr(), second.cidr())) {
                    String owner = first.cluster() < 0
                            ? "the top-level reverseZones (no cluster's)"
                            : "cluster " + clusters.get(first.cluster()).id() + " (" + first.key() + ")";
                    List<Object> path = second.cluster() < 0
                            ? List.of("reverseZones")
                            : List.of("clusters", second.cluster(), "reverseZones");
                    throw new InvalidValue(
                            path,
                            second.cidr().text() + " overlaps " + first.cidr().text() + " of " + owner
                                    + ": a network belongs to one cluster, or to none (top-level reverseZones); split it so that"
                                    + " no cluster's CoreDNS delegates its own PTRs");
                }
            }
        }
    }

    private static boolean overlap(Cidr a, Cidr b) {
        return a.network().length == b.network().length && (a.contains(b.network()) || b.contains(a.network()));
    }

    /**
     * For a live reload: a config without clusters (no {@code clusters} key; an empty list is refused as the
     * file is read) would stop watching every cluster, so it is an error unless {@code allowEmptyMesh}. At
     * start a config without the key is accepted: the demo and tests pass their clusters apart from the file.
     */
    public void requireClusters(String source) {
        if (clusters.isEmpty() && !allowEmptyMesh) {
            throw new ConfigException("config " + source + ", key clusters: " + NO_CLUSTERS);
        }
    }

    /** The cluster specs, with kubeconfig paths resolved against {@code configDir}. */
    public List<ClusterSpec> clusterSpecs(Path configDir) {
        Path dir = kubeconfigDir == null ? null : configDir.resolve(kubeconfigDir);
        return clusters.stream().map(c -> c.toSpec(configDir, dir)).toList();
    }

    /** With the command line's DNS listener overrides; a bad one is a config error naming the key. */
    public ServerConfig withDns(String bind, Integer port) {
        Dns d = commandLine(
                "dns",
                () -> new Dns(
                        bind != null ? ConfigValues.bindAddress("bind", bind) : dns.bind(),
                        port != null ? port : dns.port(),
                        dns.tcpIdleTimeout(),
                        dns.tcpQueryTimeout(),
                        dns.maxTcpConnections(),
                        dns.maxTcpConnectionsPerSource(),
                        dns.maxTcpPendingOutput(),
                        dns.maxTcpPendingOutputPerConnection(),
                        dns.cache(),
                        dns.chaos(),
                        dns.rateLimit(),
                        dns.tls(),
                        dns.cookies(),
                        dns.udpTransport()));
        return withListeners(d, http, admin);
    }

    /** With the command line's {@code --udp-transport} where given; a bad one is a config error naming the key. */
    public ServerConfig withUdpTransport(String transport) {
        if (transport == null) {
            return this;
        }
        return withListeners(
                dns.withUdpTransport(commandLine("dns", () -> UdpTransport.of("udpTransport", transport))),
                http,
                admin);
    }

    /** With DNS over TLS set to {@code t} (the demo's throwaway certificate, or paths resolved against the file). */
    public ServerConfig withDnsTls(Tls t) {
        return withListeners(dns.withTls(t), http, admin);
    }

    public ServerConfig withHttpPort(Integer port) {
        return withHttp(http.bind(), port);
    }

    /** With the command line's metrics listener overrides; a bad one is a config error naming the key. */
    public ServerConfig withHttp(String bind, Integer port) {
        return withHttp(
                commandLine("http", () -> bind != null ? ConfigValues.bindAddress("bind", bind) : http.bind()), port);
    }

    /** With the metrics listener on {@code bind}, and on {@code port} where given. */
    public ServerConfig withHttp(InetAddress bind, Integer port) {
        Http h = commandLine(
                "http",
                () -> new Http(
                        bind,
                        port != null ? port : http.port(),
                        http.maxConnections(),
                        http.maxConnectionsPerSource(),
                        http.requestTimeout(),
                        http.idleTimeout()));
        return withListeners(dns, h, admin);
    }

    /** The admin listener at {@code bind}/{@code port} where given (the token file is kept). */
    public ServerConfig withAdmin(String bind, Integer port) {
        return withAdmin(admin.withListener(
                bind != null ? ConfigValues.address("bind", bind) : admin.bind(),
                port != null ? port : admin.port(),
                admin.tokenFile()));
    }

    public ServerConfig withAdmin(Admin a) {
        return withListeners(dns, http, a);
    }

    private ServerConfig withListeners(Dns d, Http h, Admin a) {
        return new ServerConfig(
                zone,
                d,
                h,
                a,
                ttl,
                staleAfter,
                readyAfter,
                exportAll,
                clusterScopedNames,
                reverseZones,
                nameservers,
                axfr,
                loadBalancing,
                kubeconfigDir,
                clusters,
                coredns,
                allowEmptyMesh,
                status,
                logging);
    }

    /** {@code override}'s value; a bad one is a config error naming its key under {@code section}. */
    private static <T> T commandLine(String section, Supplier<T> override) {
        try {
            return override.get();
        } catch (InvalidValue e) {
            throw new ConfigException("command line, key " + section + "." + e.key + ": " + e.getMessage(), e);
        }
    }

    /** With the status page's name sampling on or off ({@code status.topNames.enabled}, the {@code --top-names} flag). */
    public ServerConfig withTopNames(boolean enabled) {
        return new ServerConfig(
                zone,
                dns,
                http,
                admin,
                ttl,
                staleAfter,
                readyAfter,
                exportAll,
                clusterScopedNames,
                reverseZones,
                nameservers,
                axfr,
                loadBalancing,
                kubeconfigDir,
                clusters,
                coredns,
                allowEmptyMesh,
                new StatusPage(new TopNamesSampling(enabled)),
                logging);
    }

    /** The status page (on the admin listener): {@code topNames}, the sampling behind {@code /api/top}. */
    public record StatusPage(TopNamesSampling topNames) {
        public StatusPage {
            topNames = topNames == null ? new TopNamesSampling(null) : topNames;
        }
    }

    /**
     * {@code enabled} (default true): sample one query in 16 for the most asked names over 15 minutes (NXDOMAIN
     * and existing); off, the query path skips it and {@code /api/top} says so.
     */
    public record TopNamesSampling(Boolean enabled) {
        public TopNamesSampling {
            enabled = enabled == null || enabled;
        }
    }

    /** A config with every default: what {@code demo} starts from. */
    public static ServerConfig defaults() {
        return new ServerConfig(
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new InvalidValue("port", "must be between 0 and 65535, was " + port);
        }
        return port;
    }
}
