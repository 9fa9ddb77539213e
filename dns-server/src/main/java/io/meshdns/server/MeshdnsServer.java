package io.meshdns.server;

import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.MeshWatcher;
import io.meshdns.discovery.WatchOptions;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.LoadBalancingConfig;
import io.meshdns.loadbalancer.QuerierResolver;
import io.meshdns.server.answer.QueryResponder;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import io.meshdns.server.http.FileDescriptorBudget;
import io.meshdns.server.http.HttpServer;
import io.meshdns.server.http.Readiness;
import io.meshdns.server.http.StatusApi;
import io.meshdns.server.http.StatusTraffic;
import io.meshdns.server.transfer.NotifySender;
import io.meshdns.server.transfer.TransferMetrics;
import io.meshdns.server.transfer.TsigKeyring;
import io.meshdns.server.transfer.ZoneTransfer;
import io.meshdns.server.transport.DnsServer;
import io.meshdns.server.transport.DotCertificate;
import io.meshdns.server.transport.QueryMetrics;
import io.meshdns.server.transport.TopNames;
import io.meshdns.server.transport.UdpTransportSelector;
import io.meshdns.server.zone.ServedZone;
import io.meshdns.server.zone.ZoneSettings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.NetUtil;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assembled application: discovery feeding the zone, the zone answered over UDP and TCP, and the
 * HTTP listener with metrics, probes and the status page.
 */
public final class MeshdnsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeshdnsServer.class);
    private final MeshWatcher mesh;
    private final DnsServer dns;
    private final HttpServer http;
    private final HttpServer admin;
    private final JvmGcMetrics gcMetrics;
    private final AtomicReference<MeshSnapshot> judged;
    private final NotifySender notifier;
    /** DNS over TLS's certificate, or null when it is off. */
    private final DotCertificate certificate;
    /** Judges readiness from {@code readyAfter} on, until ready; stops the thread when closed. */
    private final AutoCloseable readinessTimer;
    /** The status page's charts and top names, with their background thread. */
    private final StatusTraffic traffic;

    private MeshdnsServer(
            MeshWatcher mesh,
            DnsServer dns,
            HttpServer http,
            HttpServer admin,
            JvmGcMetrics gcMetrics,
            AtomicReference<MeshSnapshot> judged,
            NotifySender notifier,
            DotCertificate certificate,
            AutoCloseable readinessTimer,
            StatusTraffic traffic) {
        this.traffic = traffic;
        this.readinessTimer = readinessTimer;
        this.notifier = notifier;
        this.certificate = certificate;
        this.mesh = mesh;
        this.dns = dns;
        this.http = http;
        this.admin = admin;
        this.gcMetrics = gcMetrics;
        this.judged = judged;
    }

    /**
     * Starts watching {@code clusters}, serving DNS and HTTP. Returns once the listeners are bound; clusters
     * sync in the background (an unreachable one does not hold up the others).
     */
    public static MeshdnsServer start(ServerConfig config, List<ClusterSpec> clusters) {
        String adminToken = adminToken(config.admin());
        UdpTransport udpTransport = udpTransport(config.dns().udpTransport()); // before anything starts
        // A kubeconfig that cannot be used is a config error: refuse to start rather than serve a mesh
        // silently missing that cluster. (An unreachable API server, by contrast, is retried in the background.)
        clusters.forEach(ClusterSpec::checkKubeconfig);
        Instant startedAt = Instant.now();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmGcMetrics gcMetrics = bindJvmAndProcessMetrics(registry);
        BuildInfo.current().register(registry);
        // An unreadable or mismatched certificate or key is a config error (exit 2), before anything listens.
        DotCertificate certificate;
        try {
            certificate = config.dns().tls().enabled()
                    ? DotCertificate.load(config.dns().tls(), registry, java.time.Clock.systemUTC())
                    : null;
        } catch (RuntimeException e) {
            gcMetrics.close();
            throw e;
        }

        LoadBalancingConfig balancing = loadBalancing(config, clusters);
        var selector = new EndpointSelector(balancing);
        ZoneSettings settings = ZoneSettings.of(config);
        if (settings.lameDefault()) {
            log.warn(
                    "nameservers is not set and dns.bind {} is a wildcard: the zone's NS record names {}, which has no"
                            + " address; set nameservers to the names and addresses resolvers and secondaries reach meshdns at",
                    config.dns().bind().getHostAddress(),
                    settings.primary());
        }
        // The zone database: the responder answers from it, the status API and NOTIFY read it, discovery's
        // publications update it.
        var zone = new ServedZone(settings);
        var responder =
                responder(zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing), registry);
        var meshMetrics = new MeshMetrics(registry, responder::cacheStats);
        WatchOptions watching =
                WatchOptions.defaults().withStaleAfter(config.staleAfter()).withExportAll(config.exportAll());
        // Never wait for first lists beyond readyAfter: a cluster waiting is not shown synced, so it would hold
        // readiness by readyAfter back.
        if (config.readyAfter().compareTo(watching.firstListsWait()) < 0) {
            watching = watching.withFirstListsWait(config.readyAfter());
        }
        var mesh = new MeshWatcher(watching);
        mesh.addListener(selector::update); // before the responder, so a published name is already prepared
        mesh.addListener(snapshot -> {
            zone.update(snapshot);
            meshMetrics.installed(snapshot); // right after: the propagation delay ends when the responder has it
        });
        AtomicReference<MeshSnapshot> served = new AtomicReference<>(MeshSnapshot.empty());
        mesh.addListener(served::set); // the snapshot DNS answers from
        mesh.addListener(new MeshEventLog());
        // Judged on the snapshot DNS answers from, not the newest published: building the answers for a large
        // first sync takes a while, and a replica must not take traffic while it would still answer NXDOMAIN.
        // The first verdict that is ready opens in-zone answers, zone transfers and NOTIFYs, for good: one signal.
        var readiness = new Readiness(served::get, mesh::clusters, config.readyAfter(), startedAt, zone::markReady);
        NotifySender notifier = config.axfr().notifyTo().isEmpty()
                ? null
                : new NotifySender(
                        config.axfr().notifyTo(),
                        new TsigKeyring(config.axfr().tsig()).first(),
                        new TransferMetrics(registry));
        // What awaitServed sees: a snapshot after its readiness verdict, so that once it shows a mesh that makes
        // meshdns ready, in-zone queries are already answered from the zone (not SERVFAIL).
        AtomicReference<MeshSnapshot> judged = new AtomicReference<>(MeshSnapshot.empty());
        mesh.addListener(snapshot -> {
            readiness.check(); // opens the responder once ready; also logs readiness changes as they happen
            judged.set(snapshot);
            if (notifier != null && zone.ready()) {
                notifier.published(zone.index()); // secondaries hear of the zone once it is ready, then of each change
            }
        });
        // Ready by readyAfter alone comes with no publication: look every second from then until ready.
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshdns-readiness");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(
                () -> {
                    if (readiness.check().ready()) {
                        timer.shutdown();
                    }
                },
                config.readyAfter().toMillis(),
                1000,
                TimeUnit.MILLISECONDS);
        AutoCloseable readinessTimer = timer::shutdownNow;
        if (notifier != null) {
            notifier.watch(zone::index, zone::ready, Duration.ofSeconds(1));
        }
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ServerConfig.Dns d = config.dns();
        // The charts and top names: a background thread and fixed rings; the query path only samples names.
        var traffic = new StatusTraffic(
                registry, served::get, config.status().topNames().enabled(), responder::lastQuerierCluster);
        mesh.addListener(traffic::published);
        log.info(
                "status page top names: {}",
                traffic.names() != null
                        ? "sampling 1 query in " + TopNames.SAMPLE_EVERY
                        : "off (status.topNames.enabled false)");
        var queryMetrics = new QueryMetrics(registry);
        queryMetrics.sampleNames(traffic.names());
        DnsServer dns = new DnsServer(
                responder,
                queryMetrics,
                threads,
                d.tcpIdleTimeout(),
                d.tcpQueryTimeout(),
                d.maxTcpConnections(),
                d.maxTcpConnectionsPerSource(),
                d.maxTcpPendingOutput(),
                d.maxTcpPendingOutputPerConnection(),
                d.rateLimit(),
                udpTransport);
        // The HTTP listeners' caps, fitted to the process's file-descriptor limit so DNS keeps its descriptors.
        var fds = FileDescriptorBudget.ofThisProcess()
                .fit(List.of(config.http().limits(), config.admin().limits()), d.maxTcpConnections());
        log.info(fds.summary());
        fds.warnings().forEach(log::warn);
        HttpServer http = null;
        HttpServer admin = null;
        try {
            listen("DNS", d.bind(), d.port(), "dns.bind, dns.port", () -> dns.start(d.bind(), d.port()));
            if (certificate != null) {
                listen(
                        "DNS over TLS",
                        d.bind(),
                        d.tls().port(),
                        "dns.bind, dns.tls.port",
                        () -> dns.startTls(d.bind(), d.tls().port(), certificate));
                certificate.watch(DotCertificate.DEFAULT_INTERVAL);
            }
            var api = new StatusApi(
                    config.zone(),
                    zone,
                    responder,
                    selector,
                    mesh,
                    readiness,
                    config.loadBalancing().ednsClusterOption(),
                    dns.address().getAddress(),
                    dns.address().getPort(),
                    dns.dotAddress(),
                    certificate,
                    traffic);
            HttpServer metricsHttp = HttpServer.metrics(
                    registry, readiness, dns::listening, fds.listeners().get(0));
            http = metricsHttp;
            ServerConfig.Http h = config.http();
            listen("HTTP", h.bind(), h.port(), "http.bind, http.port", () -> metricsHttp.start(h.bind(), h.port()));
            HttpServer adminHttp =
                    HttpServer.admin(api, adminToken, fds.listeners().get(1), registry);
            admin = adminHttp;
            ServerConfig.Admin a = config.admin();
            listen(
                    "the status page and API",
                    a.bind(),
                    a.port(),
                    "admin.bind, admin.port",
                    () -> adminHttp.start(a.bind(), a.port()));
        } catch (RuntimeException e) {
            stop(admin, http, dns, certificate, mesh, gcMetrics, notifier, readinessTimer, traffic);
            throw e;
        }
        mesh.setClusters(clusters).join();
        return new MeshdnsServer(
                mesh, dns, http, admin, gcMetrics, judged, notifier, certificate, readinessTimer, traffic);
    }

    /** The UDP transport to run; {@code ffm} where it cannot run is a configuration problem (exit code 2). */
    private static UdpTransport udpTransport(UdpTransport asked) {
        try {
            return UdpTransportSelector.resolve(asked);
        } catch (IllegalStateException e) {
            throw new ConfigException("dns.udpTransport (or --udp-transport) is ffm, but " + e.getMessage(), e);
        }
    }

    /** Starts one listener; Netty rethrows bind failures (IOException) unchecked, hence {@code Exception}. */
    private interface Listener {
        void start() throws Exception;
    }

    /** A taken port or an address not on this host is a configuration problem (exit code 2) naming its keys. */
    private static void listen(String what, InetAddress bind, int port, String keys, Listener listener) {
        try {
            listener.start();
        } catch (Exception e) {
            throw new ConfigException(
                    "cannot listen for " + what + " on " + NetUtil.toAddressString(bind) + " port " + port + " (keys "
                            + keys + "): " + e.getMessage(),
                    e);
        }
    }

    /** The admin bearer token from {@code admin.tokenFile} (surrounding whitespace dropped), or null. */
    static String adminToken(ServerConfig.Admin admin) {
        if (admin.tokenFile() == null) {
            return null;
        }
        java.nio.file.Path file = java.nio.file.Path.of(admin.tokenFile());
        String token;
        try {
            token = java.nio.file.Files.readString(file).strip();
        } catch (java.io.IOException | RuntimeException e) {
            throw new ConfigException("admin.tokenFile " + file + " cannot be read: " + e);
        }
        if (token.isEmpty()) {
            throw new ConfigException("admin.tokenFile " + file + " is empty: it must hold the admin bearer token");
        }
        return token;
    }

    /**
     * Micrometer's JVM and process binders, with the two names {@code promtool check metrics} rejects put
     * right: the process CPU time in seconds under the usual Prometheus name, and the CPU count as a gauge
     * not ending in {@code _count}.
     */
    private static JvmGcMetrics bindJvmAndProcessMetrics(PrometheusMeterRegistry registry) {
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return id.getName().equals("process.cpu.time") ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
                    .description("CPU time used by the meshdns process")
                    .baseUnit("seconds")
                    .register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return gc;
    }

    /**
     * The load balancer's view of the config. Every watched cluster is listed (those only in {@code clusters},
     * as in the demo, with weight 1, priority 0, no source networks), so an EDNS0 option naming any of them
     * is recognised.
     */
    /**
     * The query path with its zone transfers (built on its compiler), waiting for the mesh to be ready.
     *
     * @param axfr who may transfer the zone, with which keys, and the IXFR journal's bounds
     */
    public static QueryResponder responder(
            ServedZone zone,
            ServerConfig.Dns dns,
            ServerConfig.Axfr axfr,
            EndpointSelector selector,
            QuerierResolver querier,
            MeterRegistry registry) {
        return new QueryResponder(
                zone,
                dns,
                selector,
                querier,
                registry,
                compiler -> new ZoneTransfer(axfr, zone.settings(), selector, compiler, new TransferMetrics(registry)));
    }

    /** As {@link #responder(ServedZone, ServerConfig.Dns, ServerConfig.Axfr, EndpointSelector, QuerierResolver,
     * MeterRegistry)} on a zone that is ready at once, with its own meters: for the answers alone (tests,
     * benchmarks), which update {@code zone} themselves. */
    public static QueryResponder responder(
            ServedZone zone,
            ServerConfig.Dns dns,
            ServerConfig.Axfr axfr,
            EndpointSelector selector,
            QuerierResolver querier) {
        zone.markReady(); // no mesh to wait for
        return responder(zone, dns, axfr, selector, querier, new SimpleMeterRegistry());
    }

    public static LoadBalancingConfig loadBalancing(ServerConfig config, List<ClusterSpec> clusters) {
        Map<ClusterId, LoadBalancingConfig.Cluster> byId = new LinkedHashMap<>();
        for (ServerConfig.Cluster c : config.clusters()) {
            ClusterId id = ClusterId.of(c.id());
            byId.put(id, new LoadBalancingConfig.Cluster(id, c.weight(), c.priority(), c.sourceCidrs()));
        }
        for (ClusterSpec spec : clusters) {
            byId.putIfAbsent(spec.id(), LoadBalancingConfig.Cluster.of(spec.id()));
        }
        var lb = config.loadBalancing();
        return new LoadBalancingConfig(
                lb.policy(), lb.maxAnswers(), lb.ednsClusterOption(), List.copyOf(byId.values()), lb.zones());
    }

    public InetSocketAddress dnsAddress() {
        return dns.address();
    }

    /** The UDP transport that runs: {@code ffm}, {@code netty-epoll} or {@code netty-nio}. */
    public String udpTransport() {
        return dns.udpTransportName();
    }

    /** Where DNS over TLS is served, or {@code null} when {@code dns.tls} has no certificate. */
    public InetSocketAddress dotAddress() {
        return dns.dotAddress();
    }

    /** Where /metrics, /healthz and /readyz are served. */
    public InetSocketAddress httpAddress() {
        return http.address();
    }

    /** Where the status page and /api/* are served. */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** Whether /api/* needs the admin bearer token. */
    public boolean adminTokenRequired() {
        return admin.tokenRequired();
    }

    public MeshWatcher mesh() {
        return mesh;
    }

    /**
     * Waits until the snapshot DNS answers from satisfies {@code condition}, readiness judged on it (a mesh that
     * makes meshdns ready is answered from the zone, not with start-up SERVFAIL, once this returns). The
     * watcher's own snapshot ({@link MeshWatcher#snapshot()}) is ahead of it while the zone index is rebuilt.
     */
    public boolean awaitServed(Predicate<MeshSnapshot> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(judged.get())) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public void close() {
        stop(admin, http, dns, certificate, mesh, gcMetrics, notifier, readinessTimer, traffic);
    }

    /** Closes what was started, listeners first; a part that never started is {@code null}. */
    private static void stop(
            HttpServer admin,
            HttpServer http,
            DnsServer dns,
            DotCertificate certificate,
            MeshWatcher mesh,
            JvmGcMetrics gcMetrics,
            NotifySender notifier,
            AutoCloseable readinessTimer,
            AutoCloseable traffic) {
        for (AutoCloseable part :
                new AutoCloseable[] {admin, http, dns, certificate, mesh, gcMetrics, notifier, readinessTimer, traffic
                }) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    log.warn("closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
                }
            }
        }
    }
}
