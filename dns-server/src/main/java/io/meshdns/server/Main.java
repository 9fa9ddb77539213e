package io.meshdns.server;

import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterState;
import io.meshdns.server.cli.CorednsConfigCommand;
import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.cli.ExitCode;
import io.meshdns.server.cli.LogOptions;
import io.meshdns.server.cli.cluster.ClusterCommand;
import io.meshdns.server.config.ConfigFileWatcher;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.LogOutput;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.transport.DnsServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code meshdns} command line. Exit codes: 0 done, 1 runtime failure, 2 bad usage, config or input. */
@Command(
        name = "meshdns",
        mixinStandardHelpOptions = true,
        versionProvider = BuildInfo.VersionProvider.class,
        description = "Cross-cluster DNS and service discovery for Kubernetes cluster meshes.",
        subcommands = {
            Main.Serve.class,
            Main.Demo.class,
            CorednsConfigCommand.class,
            ClusterCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    /** A runtime failure (for {@code coredns-config}: a cluster failed). */
    public static final int EXIT_FAILED = ExitCode.FAILED;
    /** Bad usage, config or input: the one exit code every command gives for what the user must fix. */
    public static final int EXIT_BAD_INPUT = ExitCode.BAD_INPUT;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    static int run(PrintWriter out, PrintWriter err, String... args) {
        routeJulToSlf4j();
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException) {
                cmd.getErr().println("meshdns: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            cmd.getErr().println("meshdns: " + e.getMessage());
            return EXIT_FAILED;
        });
        return cli.execute(args);
    }

    /** fabric8's mock server logs through java.util.logging; one logging backend for everything. */
    private static void routeJulToSlf4j() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /** Listener overrides shared by {@code serve} and {@code demo}. */
    static final class ListenOptions {
        @Option(names = "--bind", paramLabel = "ADDR", description = "DNS listen address (overrides the config).")
        String bind;

        @Option(names = "--dns-port", paramLabel = "N", description = "DNS port, UDP and TCP (overrides the config).")
        Integer dnsPort;

        @Option(
                names = "--http-port",
                paramLabel = "N",
                description = "Port of /metrics, /healthz and /readyz (overrides http.port; 0 = any free port).")
        Integer httpPort;

        @Option(
                names = "--admin-port",
                paramLabel = "N",
                description = "Port of the status page and /api/* (overrides admin.port, default "
                        + ServerConfig.Admin.DEFAULT_PORT + "; 0 = any free port).")
        Integer adminPort;

        @Option(
                names = "--query-log",
                description = "Log one line per DNS query (logger " + DnsServer.QUERY_LOG
                        + " at debug). Costs throughput; for debugging.")
        boolean queryLog;

        // The system property lets scripts that start meshdns with fixed flags (bench/dnsperf.sh) toggle it
        // through the JVM options.
        @Option(
                names = "--top-names",
                arity = "1",
                paramLabel = "true|false",
                defaultValue = "${sys:meshdns.topNames}",
                description =
                        "Sample queries for the status page's most asked names (overrides status.topNames.enabled;"
                                + " default from the system property meshdns.topNames, else the config).")
        Boolean topNames;

        /** {@code cfg} with the flags that are not listener addresses applied. */
        ServerConfig applyTo(ServerConfig cfg) {
            cfg = cfg.withUdpTransport(udpTransport);
            return topNames == null ? cfg : cfg.withTopNames(topNames);
        }

        @Option(
                names = "--udp-transport",
                paramLabel = "auto|netty|ffm",
                description =
                        "UDP sockets (overrides dns.udpTransport): ffm, meshdns's own through java.lang.foreign"
                                + " (JDK 22+, Linux x86_64/aarch64); netty, Netty's epoll; auto (default), ffm where it can run.")
        String udpTransport;

        /** Rejects a port out of range naming the flag (exit code 2), before anything starts. */
        void validate(CommandLine cli) {
            checkPort(cli, "--dns-port", dnsPort);
            checkPort(cli, "--http-port", httpPort);
            checkPort(cli, "--admin-port", adminPort);
        }

        static void checkPort(CommandLine cli, String flag, Integer port) {
            if (port != null && (port < 0 || port > 65535)) {
                throw new CommandLine.ParameterException(cli, flag + " must be between 0 and 65535, was " + port);
            }
        }

        /** The query log at debug whatever --log-level says: asking for it is asking to see it. */
        void applyLogging() {
            if (queryLog) {
                LogOutput.enableDebug(DnsServer.QUERY_LOG);
            }
        }
    }

    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description = "Watch the clusters in the config file and serve the global zone.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--config", required = true, paramLabel = "FILE", description = "The meshdns YAML config.")
        Path config;

        @CommandLine.Mixin
        ListenOptions listen = new ListenOptions();

        @CommandLine.Mixin
        LogOptions logs = new LogOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            listen.validate(spec.commandLine());
            logs.validate(spec.commandLine());
            ServerConfig fromFile = ConfigLoader.load(config);
            LogOutput.Format logFormat = logs.apply(fromFile.logging());
            Path dir = config.toAbsolutePath().getParent();
            ServerConfig cfg = fromFile.withDns(listen.bind, listen.dnsPort)
                    .withHttpPort(listen.httpPort)
                    .withAdmin(null, listen.adminPort);
            cfg = cfg.withAdmin(cfg.admin().resolvedAgainst(dir))
                    .withDnsTls(cfg.dns().tls().resolvedAgainst(dir));
            listen.applyLogging();
            cfg = listen.applyTo(cfg);
            Shutdown shutdown = Shutdown.install();
            MeshdnsServer server;
            try {
                server = shutdown.add(MeshdnsServer.start(cfg, cfg.clusterSpecs(dir)));
                // Clusters added to or removed from the file are applied without a restart.
                shutdown.add(
                        ConfigFileWatcher.start(config, fromFile, server.mesh(), ConfigFileWatcher.DEFAULT_INTERVAL));
            } catch (RuntimeException e) {
                shutdown.cancel();
                throw e;
            }
            String started = String.format(
                    "meshdns serving zone %s on %s port %d%s; metrics and probes on %s;"
                            + " status page and API on %s%s",
                    cfg.zone(),
                    server.dnsAddress().getAddress().getHostAddress(),
                    server.dnsAddress().getPort(),
                    server.dotAddress() == null
                            ? ""
                            : " (DNS over TLS on port " + server.dotAddress().getPort() + ")",
                    url(server.httpAddress()),
                    url(server.adminAddress()),
                    server.adminTokenRequired() ? " (bearer token from admin.tokenFile)" : "");
            if (logFormat == LogOutput.Format.JSON) {
                // A log pipeline reading the container's output as JSON lines gets this line as one of them.
                org.slf4j.LoggerFactory.getLogger(Main.class).info(started);
            } else {
                spec.commandLine().getOut().println(started);
                spec.commandLine().getOut().flush();
            }
            shutdown.await();
            return 0;
        }
    }

    @Command(
            name = "demo",
            mixinStandardHelpOptions = true,
            description = {
                "Run meshdns on an embedded two-cluster mesh (east, west) of mock Kubernetes API servers.",
                "With --services, --pods-per-cluster or --clusters other than 2: a synthetic mesh of clusters c0..cN-1 "
                        + "(every service in every cluster, loaded through the same discovery path)."
            })
    static final class Demo implements Callable<Integer> {
        static final int DEMO_DOT_PORT = 8853;

        @CommandLine.Mixin
        ListenOptions listen = new ListenOptions();

        @CommandLine.Mixin
        LogOptions logs = new LogOptions();

        @Option(
                names = "--kubeconfig-dir",
                paramLabel = "DIR",
                description =
                        "Where to write <cluster>.kubeconfig for each demo cluster (default: a new temporary folder).")
        Path kubeconfigDir;

        @Option(names = "--clusters", paramLabel = "C", description = "Synthetic mesh: number of clusters (default 2).")
        Integer clusters;

        @Option(
                names = "--services",
                paramLabel = "N",
                description = "Synthetic mesh: services, each exported by every cluster (default 100).")
        Integer services;

        @Option(
                names = "--pods-per-cluster",
                paramLabel = "K",
                description = "Synthetic mesh: ready pods of each service in each cluster (default 3).")
        Integer podsPerCluster;

        @Option(
                names = "--tls",
                description = {
                    "Also serve DNS over TLS, with a throwaway CA and certificate made at start",
                    "(ca.crt, tls.crt, tls.key, and a client certificate client.crt/client.key, in the kubeconfig directory)."
                })
        boolean tls;

        @Option(
                names = "--dot-port",
                paramLabel = "N",
                description = "DNS-over-TLS port with --tls (default " + DEMO_DOT_PORT + "; 0 = any free port).")
        Integer dotPort;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // The mock API servers ship in meshdns-demo.jar, beside meshdns.jar in a build, absent from the server
            // image.
            if (Main.class.getClassLoader().getResource("io/meshdns/testkit/MockCluster.class") == null) {
                spec.commandLine()
                        .getErr()
                        .println("meshdns demo needs meshdns-demo.jar (the demo's mock Kubernetes API "
                                + "servers) beside meshdns.jar; the server image leaves it out: build the image's demo target "
                                + "(docker build --target demo .)");
                return 2;
            }
            listen.validate(spec.commandLine());
            ListenOptions.checkPort(spec.commandLine(), "--dot-port", dotPort);
            if (dotPort != null && !tls) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--dot-port needs --tls");
            }
            logs.validate(spec.commandLine());
            logs.apply(ServerConfig.defaults().logging());
            DemoMesh.Size size = syntheticSize();
            Path dir = kubeconfigDir != null ? kubeconfigDir : Files.createTempDirectory("meshdns-demo-");
            // From here on, Ctrl-C or SIGTERM closes whatever has started, within Shutdown.BUDGET.
            Shutdown shutdown = Shutdown.install();
            DemoMesh demo;
            ServerConfig cfg;
            MeshdnsServer server;
            long seedMillis;
            try {
                long seedStart = System.nanoTime();
                demo = shutdown.add(size == null ? DemoMesh.start(dir) : DemoMesh.startSynthetic(dir, size));
                seedMillis = (System.nanoTime() - seedStart) / 1_000_000;
                cfg = ConfigLoader.parse("(demo)", demo.config()).withDns(listen.bind, listen.dnsPort);
                // The demo's metrics listener follows its DNS address (loopback unless --bind says otherwise); its
                // status page and API stay on loopback.
                cfg = cfg.withHttp(cfg.dns().bind(), listen.httpPort).withAdmin("127.0.0.1", listen.adminPort);
                if (tls) {
                    cfg = cfg.withDnsTls(DemoTls.writeDemoCertificates(dir, dotPort == null ? DEMO_DOT_PORT : dotPort));
                }
                listen.applyLogging();
                cfg = listen.applyTo(cfg);
                server = shutdown.add(MeshdnsServer.start(cfg, demo.specs()));
            } catch (RuntimeException e) {
                shutdown.cancel();
                throw e;
            }
            if (size == null) {
                printWelcome(spec.commandLine().getOut(), cfg, server, demo);
            } else {
                printSynthetic(spec.commandLine().getOut(), cfg, server, demo, seedMillis);
            }
            shutdown.await();
            return 0;
        }

        /** The synthetic size, or {@code null} for the classic two-cluster demo. */
        private DemoMesh.Size syntheticSize() {
            if (services == null && podsPerCluster == null && (clusters == null || clusters == 2)) {
                return null;
            }
            try {
                return new DemoMesh.Size(
                        clusters == null ? 2 : clusters,
                        services == null ? 100 : services,
                        podsPerCluster == null ? 3 : podsPerCluster);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }

        /** Waits for the whole synthetic mesh to be in a snapshot, then says so (scripts wait for that line). */
        private static void printSynthetic(
                PrintWriter out, ServerConfig cfg, MeshdnsServer server, DemoMesh demo, long seedMillis)
                throws InterruptedException {
            DemoMesh.Size size = demo.size();
            var dns = server.dnsAddress();
            String at = dns.getAddress().getHostAddress();
            out.printf("meshdns demo: zone %s on %s port %d (UDP and TCP)%n", cfg.zone(), at, dns.getPort());
            if (server.dotAddress() != null) {
                out.printf("DNS over TLS on port %d%n", server.dotAddress().getPort());
            }
            out.printf(
                    "Synthetic mesh: %d clusters (c0..c%d) x %d services x %d pods = %d endpoints, created in %.1f s%n",
                    size.clusters(),
                    size.clusters() - 1,
                    size.services(),
                    size.podsPerCluster(),
                    size.endpoints(),
                    seedMillis / 1000.0);
            out.printf("  kubeconfigs in %s%n", demo.cluster("c0").kubeconfig().getParent());
            out.printf(
                    "Status page: %s  (metrics and probes on %s)%n",
                    url(server.adminAddress()), url(server.httpAddress()));
            out.flush();
            long start = System.nanoTime();
            boolean synced = server.awaitServed(
                    s -> s.clusters().size() == size.clusters()
                            && s.clusters().values().stream().allMatch(h -> h.state() == ClusterState.SYNCED)
                            && s.clusters().values().stream()
                                            .mapToLong(h -> h.endpoints())
                                            .sum()
                                    == size.endpoints(),
                    Duration.ofMinutes(10));
            out.printf(
                    synced
                            ? "mesh synced: %d endpoints in the zone after %.1f s%n"
                            : "mesh NOT synced after %2$.1f s (expected %1$d endpoints)%n",
                    size.endpoints(),
                    (System.nanoTime() - start) / 1e9);
            out.printf(
                    "Try: dig @%s -p %d %s.%s.svc.%s +short%n",
                    at, dns.getPort(), DemoMesh.serviceName(0), DemoMesh.namespaceName(0), cfg.zone());
            out.println("Press Ctrl-C to stop.");
            out.flush();
        }

        private static void printWelcome(PrintWriter out, ServerConfig cfg, MeshdnsServer server, DemoMesh demo) {
            var dns = server.dnsAddress();
            String at = dns.getAddress().getHostAddress();
            out.printf("meshdns demo: zone %s on %s port %d (UDP and TCP)%n", cfg.zone(), at, dns.getPort());
            var dot = server.dotAddress();
            if (dot != null) {
                out.printf(
                        "DNS over TLS on port %d, certificate for %s from the CA in %s%n",
                        dot.getPort(),
                        DemoTls.SERVER_NAME,
                        Path.of(cfg.dns().tls().certFile()).resolveSibling("ca.crt"));
            }
            out.println();
            out.println("Demo clusters (mock Kubernetes API servers):");
            for (var c : demo.clusters()) {
                out.printf("  %-5s http://127.0.0.1:%d  kubeconfig %s%n", c.id(), c.port(), c.kubeconfig());
            }
            out.println();
            out.printf(
                    "Status page: %s  (JSON under /api/; /metrics, /healthz, /readyz on %s)%n",
                    url(server.adminAddress()), url(server.httpAddress()));
            out.println();
            out.println("Try:");
            out.printf("  dig @%s -p %d web.shop.svc.%s +short%n", at, dns.getPort(), cfg.zone());
            out.printf("  dig @%s -p %d cart.shop.svc.%s%n", at, dns.getPort(), cfg.zone());
            out.printf("  dig @%s -p %d _postgres._tcp.db.shop.svc.%s SRV%n", at, dns.getPort(), cfg.zone());
            out.printf("  dig @%s -p %d -x 10.10.3.1%n", at, dns.getPort());
            out.printf(
                    "  dig @%s -p %d %s NS        (ns.%s, with this listener's address as glue)%n",
                    at, dns.getPort(), cfg.zone(), cfg.zone());
            out.printf("  dig @%s -p %d %s AXFR%n", at, dns.getPort(), cfg.zone());
            if (dot != null) {
                out.printf(
                        "  kdig @%s -p %d +tls-ca=%s +tls-hostname=%s web.shop.svc.%s%n",
                        at,
                        dot.getPort(),
                        Path.of(cfg.dns().tls().certFile()).resolveSibling("ca.crt"),
                        DemoTls.SERVER_NAME,
                        cfg.zone());
            }
            out.printf("  curl -s %smetrics | grep '^meshdns_'%n", localUrl(server.httpAddress()));
            out.printf(
                    "  kubectl --kubeconfig %s -n shop get endpointslices%n",
                    demo.cluster("west").kubeconfig());
            out.printf(
                    "  kubectl --kubeconfig %s -n shop delete service web%n",
                    demo.cluster("west").kubeconfig());
            out.println();
            out.println("Press Ctrl-C to stop.");
            out.flush();
        }
    }

    /**
     * The base URL of an HTTP listener as bound: a wildcard bind is shown as it is, marked "(all addresses)", so an
     * operator is not told it listens on loopback only.
     */
    static String url(java.net.InetSocketAddress at) {
        var a = at.getAddress();
        if (!a.isAnyLocalAddress()) {
            return baseUrl(at, a.getHostAddress());
        }
        return baseUrl(at, a instanceof java.net.Inet6Address ? "::" : "0.0.0.0") + " (all addresses)";
    }

    /** A URL to open on this machine in a command line: a wildcard bind is reached through loopback. */
    static String localUrl(java.net.InetSocketAddress at) {
        var a = at.getAddress();
        return baseUrl(at, a.isAnyLocalAddress() ? "127.0.0.1" : a.getHostAddress());
    }

    private static String baseUrl(java.net.InetSocketAddress at, String host) {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + at.getPort() + "/";
    }
}
