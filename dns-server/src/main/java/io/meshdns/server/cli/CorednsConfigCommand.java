package io.meshdns.server.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshdns.core.Cidr;
import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.forwarder.AnswerCaching;
import io.meshdns.forwarder.ConfigMapChange;
import io.meshdns.forwarder.CorednsConfigException;
import io.meshdns.forwarder.CorednsConfigMaps;
import io.meshdns.forwarder.Corefile;
import io.meshdns.forwarder.CorefileException;
import io.meshdns.forwarder.ForwardAddresses;
import io.meshdns.forwarder.ForwardOptions;
import io.meshdns.forwarder.ForwardTls;
import io.meshdns.forwarder.MeshdnsStanza;
import io.meshdns.forwarder.UnifiedDiff;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meshdns coredns-config}: writes the CoreDNS configuration that makes each member cluster
 * delegate the global zone to meshdns. Against the clusters of the config ({@code --print},
 * {@code --output yaml}, {@code --dry-run}, {@code --apply}, {@code --rollback}), or on a Corefile file
 * for GitOps ({@code --corefile}). A cluster that fails is reported and the others still proceed.
 * Exit codes: 0 done, 1 a cluster failed (unreachable, forbidden, conflicts), 2 bad input (flags,
 * config, a Corefile that cannot be parsed).
 */
@Command(
        name = "coredns-config",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Generate and apply the CoreDNS configuration that delegates the global zone to meshdns.",
            "",
            "With --config: for each cluster of the config (or those named by --cluster), --print shows the server "
                    + "block, --output yaml the ConfigMaps, --dry-run a unified diff, --apply writes it, --rollback undoes "
                    + "the last write.",
            "",
            "With --corefile FILE: prints FILE with the meshdns block put in (or, with --remove, taken out); no "
                    + "cluster is needed.",
            "",
            "What a pod will observe with the chosen --cache and --loadbalance (how long an answer is reused, whether "
                    + "its order rotates) is printed on stderr; stdout carries only the block, Corefile, YAML or diff.",
            "",
            "Exit codes: 0 done, 1 a cluster failed (unreachable, forbidden, conflicts), 2 bad input."
        })
public final class CorednsConfigCommand implements Callable<Integer> {

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "The meshdns YAML config (clusters, zone, ttl, coredns.forwardTo).")
    Path config;

    @Option(
            names = "--corefile",
            paramLabel = "FILE",
            description = "Patch this Corefile and print it; needs --cluster and --forward-to.")
    Path corefile;

    @Option(
            names = "--cluster",
            split = ",",
            paramLabel = "ID",
            description = "Only these clusters (with --corefile: the one cluster).")
    List<String> clusters;

    @Option(
            names = "--forward-to",
            split = ",",
            paramLabel = "ADDR",
            description = "meshdns addresses to forward to, nearest first (overrides the config).")
    List<String> forwardTo;

    @Option(names = "--print", description = "Print the server block (default).")
    boolean print;

    @Option(
            names = "--output",
            paramLabel = "yaml",
            description = "Print the ConfigMaps as YAML, for kubectl apply or GitOps.")
    String output;

    @Option(names = "--dry-run", description = "Print a unified diff of what --apply would change; change nothing.")
    boolean dryRun;

    @Option(names = "--apply", description = "Write the CoreDNS ConfigMaps of each cluster.")
    boolean apply;

    @Option(names = "--rollback", description = "Put back what the last --apply of each cluster replaced.")
    boolean rollback;

    @Option(names = "--remove", description = "Take the meshdns block out instead of putting it in.")
    boolean remove;

    @Option(
            names = "--target",
            paramLabel = "WHERE",
            defaultValue = "auto",
            description =
                    "auto, coredns (Corefile in place), coredns-custom (*.server key), kube-dns (stubDomains). Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(
            names = "--configmap",
            paramLabel = "NAME",
            description = "The CoreDNS ConfigMap in kube-system, when not coredns or rke2-coredns-rke2-coredns.")
    String configMap;

    @Option(
            names = "--zone",
            paramLabel = "ZONE",
            description = "The global zone (default: the config's, else clusterset.local).")
    String zone;

    @Option(
            names = "--reverse-zone",
            split = ",",
            paramLabel = "CIDR",
            description =
                    "Networks whose reverse zones go to meshdns too (default: the config's top-level reverseZones and the other clusters' clusters[].reverseZones).")
    List<String> reverseZones;

    @Option(
            names = {"--cache", "--ttl"},
            paramLabel = "SECONDS",
            description =
                    "Longest time CoreDNS reuses an answer: at most meshdns's ttl (the default); 0 = no cache, every query reaches meshdns.")
    Integer cache;

    @Option(
            names = "--loadbalance",
            paramLabel = "auto|on|off",
            defaultValue = "auto",
            description =
                    "CoreDNS shuffles every answer (loadbalance round_robin): auto = unless the policy's order means something (weighted; zone-aware with loadBalancing.zones). Default: ${DEFAULT-VALUE}.")
    String loadbalance;

    @Option(
            names = "--policy",
            paramLabel = "POLICY",
            description = "forward policy: random, round_robin, sequential (default).")
    String policy;

    @Option(
            names = "--health-check",
            paramLabel = "DURATION",
            description = "forward health_check interval (default 5s).")
    String healthCheck;

    @Option(names = "--max-fails", paramLabel = "N", description = "forward max_fails.")
    Integer maxFails;

    @Option(names = "--expire", paramLabel = "DURATION", description = "forward expire.")
    String expire;

    @Option(names = "--prefer-udp", description = "forward prefer_udp.")
    boolean preferUdp;

    @Option(names = "--force-tcp", description = "forward force_tcp.")
    boolean forceTcp;

    @Option(
            names = "--tls-servername",
            paramLabel = "NAME",
            description = "Forward over TLS (tls://ADDR:853) to meshdns's"
                    + " DNS-over-TLS listener, checking that its certificate names NAME (tls_servername).")
    String tlsServerName;

    @Option(
            names = "--tls-port",
            paramLabel = "N",
            description = "meshdns's DNS-over-TLS port, with --tls-servername (default 853;"
                    + " replaces the port of the forward addresses).")
    Integer tlsPort;

    @Option(
            names = "--tls-ca",
            paramLabel = "FILE",
            description = "With --tls-servername: the CA bundle that issued meshdns's"
                    + " certificate, as a path inside the CoreDNS pod (default: the system's CAs).")
    String tlsCa;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "With --tls-servername, for mutual TLS: CoreDNS's client"
                    + " certificate, a path inside the CoreDNS pod (with --tls-key).")
    String tlsCert;

    @Option(
            names = "--tls-key",
            paramLabel = "FILE",
            description = "The key of --tls-cert, a path inside the CoreDNS pod.")
    String tlsKey;

    @Option(
            names = "--node-local",
            description =
                    "The block for NodeLocal DNSCache (with a bind line); with --corefile, FILE is node-local-dns's Corefile.")
    boolean nodeLocal;

    @Option(
            names = "--node-local-bind",
            split = ",",
            paramLabel = "ADDR",
            description = "NodeLocal DNSCache's listen addresses (default: copied from its Corefile).")
    List<String> nodeLocalBind;

    @CommandLine.Mixin
    LogOptions logs = new LogOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private boolean badInput;
    private boolean failed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        logs.validate(spec.commandLine());
        // Logs (the Kubernetes client's warnings) go to stderr; the config's logging key is serve's.
        logs.apply(ServerConfig.defaults().logging());
        try {
            int code = corefile != null ? fileMode(out, err) : clusterMode(out, err);
            out.flush();
            return code;
        } catch (CorefileException | IllegalArgumentException | ConfigException e) {
            out.flush();
            err.println("meshdns: " + e.getMessage());
            err.flush();
            return ExitCode.BAD_INPUT;
        }
    }

    private int fileMode(PrintWriter out, PrintWriter err) {
        if (apply || rollback) {
            throw new IllegalArgumentException("--apply and --rollback write to clusters; with --corefile the result is"
                    + " printed (use --dry-run for a diff)");
        }
        checkOneMode();
        if (clusters == null || clusters.size() != 1) {
            throw new IllegalArgumentException(
                    "--corefile needs exactly one --cluster ID (the id the EDNS0 option carries)");
        }
        String text;
        try {
            text = Files.readString(corefile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("Corefile " + corefile + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("Corefile " + corefile + " cannot be read: " + e.getMessage());
        }
        ServerConfig cfg = config == null ? ServerConfig.defaults() : ConfigLoader.load(config);
        Corefile parsed = Corefile.parse(corefile.toString(), text);
        String id = clusters.get(0);
        ClusterId.of(id);
        Corefile result;
        if (remove) {
            result = parsed.withoutMeshdnsBlock();
        } else {
            MeshdnsStanza stanza = stanza(cfg, id, addressesFromFlagsOrConfig(cfg, id));
            printPodView(err, cfg, stanza.caching(), false);
            if (nodeLocal) {
                stanza = stanza.withBind(bindFor(parsed));
            }
            if (print) {
                out.print(stanza.serverBlock());
                return 0;
            }
            result = parsed.withMeshdnsBlock(stanza);
        }
        if (dryRun) {
            out.print(UnifiedDiff.of(corefile.getFileName().toString(), text, result.text()));
        } else if (output != null) {
            String name = configMap != null ? configMap : nodeLocal ? "node-local-dns" : "coredns";
            out.print(ConfigMapChange.offline(
                            id,
                            CorednsConfigMaps.NAMESPACE,
                            name,
                            "Corefile",
                            nodeLocal ? ConfigMapChange.Kind.NODE_LOCAL : ConfigMapChange.Kind.COREFILE,
                            text,
                            result.text())
                    .yaml());
        } else {
            out.print(result.text());
        }
        return 0;
    }

    private List<String> bindFor(Corefile nodeLocalCorefile) {
        if (nodeLocalBind != null && !nodeLocalBind.isEmpty()) {
            return nodeLocalBind;
        }
        List<String> bind = nodeLocalCorefile.bindAddresses();
        if (bind.isEmpty()) {
            throw new IllegalArgumentException(corefile + ": has no 'bind' line to copy for NodeLocal DNSCache; give"
                    + " --node-local-bind ADDR[,ADDR]");
        }
        return bind;
    }

    private int clusterMode(PrintWriter out, PrintWriter err) {
        checkOneMode();
        if (config == null) {
            throw new IllegalArgumentException("give --config FILE (the clusters to configure), or --corefile FILE");
        }
        ServerConfig cfg = ConfigLoader.load(config);
        Path dir = config.toAbsolutePath().getParent();
        List<ClusterSpec> specs = selected(cfg, cfg.clusterSpecs(dir));
        CorednsConfigMaps.Target where = target();
        if (remove && !apply && !dryRun && output == null) {
            throw new IllegalArgumentException(
                    "--remove goes with --apply, --dry-run or --output yaml (or --corefile)");
        }
        if (!remove && !rollback) {
            printPodView(err, cfg, caching(cfg), where == CorednsConfigMaps.Target.KUBE_DNS);
        }
        KubernetesClient hub = null;
        int done = 0;
        try {
            for (ClusterSpec cluster : specs) {
                String id = cluster.id().value();
                KubernetesClient client = null;
                try {
                    if (rollback) {
                        client = CorednsConfigMaps.connect(cluster);
                        report(out, err, new CorednsConfigMaps(client, id, where, configMap).rollback(), "rolled back");
                        done++;
                        continue;
                    }
                    List<String> addresses;
                    if (remove) {
                        addresses = List.of("127.0.0.1"); // taking the block out needs only the zones
                    } else if (forwardTo != null || cfg.coredns().forwardTo().containsKey(id)) {
                        addresses = addressesFromFlagsOrConfig(cfg, id);
                    } else {
                        ClusterSpec hubSpec = hubSpec(cfg, dir);
                        if (hub == null) {
                            hub = CorednsConfigMaps.connect(hubSpec);
                        }
                        addresses = ForwardAddresses.fromService(
                                hub,
                                hubSpec.id().value(),
                                serviceNamespace(cfg),
                                serviceName(cfg),
                                hubSpec.id().equals(cluster.id()),
                                hubSpec.reachability().contains(Reachability.CLUSTER_IP));
                    }
                    MeshdnsStanza stanza = stanza(cfg, id, addresses);
                    if (!apply && !dryRun && output == null) {
                        printStanza(out, specs.size() > 1, stanza, where);
                        done++;
                        continue;
                    }
                    client = CorednsConfigMaps.connect(cluster);
                    CorednsConfigMaps coredns = new CorednsConfigMaps(client, id, where, configMap);
                    if (apply) {
                        report(
                                out,
                                err,
                                remove ? coredns.remove(stanza) : coredns.apply(stanza),
                                remove ? "block removed" : "updated");
                    } else {
                        List<ConfigMapChange> changes = remove ? coredns.planRemoval(stanza) : coredns.plan(stanza);
                        for (ConfigMapChange c : changes) {
                            if (dryRun) {
                                out.print(
                                        c.changed()
                                                ? c.diff()
                                                : "# " + id + ": " + c.configMap() + " " + c.key() + ": no change\n");
                            } else {
                                out.print(
                                        "---\n# cluster " + id + (c.changed() ? "" : " (no change)") + "\n" + c.yaml());
                            }
                        }
                    }
                    done++;
                } catch (CorefileException | IllegalArgumentException e) {
                    badInput = true;
                    err.println("meshdns: " + prefixed(id, e.getMessage()));
                } catch (CorednsConfigException e) {
                    failed = true;
                    err.println("meshdns: " + prefixed(id, e.getMessage()));
                } catch (KubernetesClientException e) {
                    failed = true;
                    err.println("meshdns: cluster " + id + ": " + e.getMessage());
                } finally {
                    if (client != null) {
                        client.close();
                    }
                }
            }
        } finally {
            if (hub != null) {
                hub.close();
            }
        }
        // The summary goes to stderr: stdout carries only the block, YAML or diff, so `> cm.yaml` captures just that.
        if (apply || rollback || specs.size() - done > 0) {
            err.printf(
                    "coredns-config: %d of %d cluster(s) done%s%n",
                    done,
                    specs.size(),
                    specs.size() == done ? "" : ", " + (specs.size() - done) + " failed (see above)");
        }
        err.flush();
        return badInput ? ExitCode.BAD_INPUT : failed ? ExitCode.FAILED : 0;
    }

    private void printStanza(PrintWriter out, boolean several, MeshdnsStanza stanza, CorednsConfigMaps.Target where) {
        if (where == CorednsConfigMaps.Target.KUBE_DNS) {
            if (several) {
                out.println("# cluster " + stanza.cluster() + ": kube-system/kube-dns stubDomains");
            }
            out.println(stanza.stubDomainsJson());
            return;
        }
        if (nodeLocal) {
            if (nodeLocalBind == null || nodeLocalBind.isEmpty()) {
                throw new IllegalArgumentException("--node-local with --print needs --node-local-bind ADDR[,ADDR] (the"
                        + " cache's listen addresses, such as 169.254.20.10 and the kube-dns ClusterIP)");
            }
            stanza = stanza.withBind(nodeLocalBind);
        }
        out.print(stanza.serverBlock());
    }

    /** What changed goes to stdout; a note (advice, not the result) to stderr. */
    private void report(PrintWriter out, PrintWriter err, List<ConfigMapChange> changes, String verb) {
        for (ConfigMapChange c : changes) {
            out.printf("%s: %s %s: %s%n", c.cluster(), c.configMap(), c.key(), c.changed() ? verb : "unchanged");
            if (c.changed() && c.hint() != null) {
                err.printf("%s:   note: %s%n", c.cluster(), c.hint());
            }
        }
    }

    private static String prefixed(String id, String message) {
        return message.startsWith("cluster ") ? message : "cluster " + id + ": " + message;
    }

    private List<String> addressesFromFlagsOrConfig(ServerConfig cfg, String id) {
        if (forwardTo != null && !forwardTo.isEmpty()) {
            return forwardTo;
        }
        List<String> configured = cfg.coredns().forwardTo().get(id);
        if (configured == null) {
            throw new IllegalArgumentException("cluster " + id + ": no meshdns address to forward to: give --forward-to"
                    + " ADDR[,ADDR] or set coredns.forwardTo." + id + " in the config");
        }
        return configured;
    }

    private MeshdnsStanza stanza(ServerConfig cfg, String id, List<String> addresses) {
        ForwardOptions.Transport transport = preferUdp && forceTcp
                ? null
                : preferUdp
                        ? ForwardOptions.Transport.PREFER_UDP
                        : forceTcp ? ForwardOptions.Transport.FORCE_TCP : ForwardOptions.Transport.AS_CLIENT;
        if (transport == null) {
            throw new IllegalArgumentException("--prefer-udp and --force-tcp exclude each other");
        }
        return new MeshdnsStanza(
                ClusterId.of(id),
                zone != null ? zone : cfg.zone(),
                reverseZones != null
                        ? reverseZones
                        : cfg.reverseZonesDelegatedBy(id).stream()
                                .map(Cidr::text)
                                .toList(),
                addresses,
                caching(cfg),
                cfg.loadBalancing().ednsClusterOption(),
                new ForwardOptions(policy, healthCheck, maxFails, expire, transport, tls()),
                List.of());
    }

    /** DNS over TLS to meshdns when {@code --tls-servername} asks for it, else {@code null}. */
    private ForwardTls tls() {
        if (tlsServerName == null) {
            if (tlsPort != null || tlsCa != null || tlsCert != null || tlsKey != null) {
                throw new IllegalArgumentException(
                        "--tls-port, --tls-ca, --tls-cert and --tls-key need --tls-servername NAME");
            }
            return null;
        }
        return new ForwardTls(tlsServerName, tlsPort, tlsCa, tlsCert, tlsKey);
    }

    private AnswerCaching caching(ServerConfig cfg) {
        Boolean shuffle = switch (loadbalance.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "on" -> true;
            case "off" -> false;
            default ->
                throw new IllegalArgumentException("--loadbalance must be auto, on or off; was '" + loadbalance + "'");
        };
        try {
            // meshdns's SOA minimum, the TTL of its negative answers, is its ttl (ZoneIndex)
            return AnswerCaching.of(
                    cfg.loadBalancing().policy(),
                    cfg.ttl(),
                    cfg.ttl(),
                    cache,
                    shuffle,
                    !cfg.loadBalancing().zones().isEmpty());
        } catch (IllegalArgumentException e) {
            throw cache == null ? e : new IllegalArgumentException("--cache " + cache + ": " + e.getMessage(), e);
        }
    }

    /**
     * What a pod will observe with these settings, on stderr so that stdout stays the block, Corefile, YAML or
     * diff a script consumes.
     */
    private void printPodView(PrintWriter err, ServerConfig cfg, AnswerCaching caching, boolean kubeDns) {
        err.printf(
                "coredns-config: what a pod will observe (policy %s, ttl %d s, cache %d s, loadbalance %s%s):%n",
                caching.policy(),
                cfg.ttl(),
                caching.cacheTtl(),
                caching.shuffle() ? "on" : "off",
                loadbalance.equalsIgnoreCase("auto") ? " by policy" : " by --loadbalance");
        if (kubeDns) {
            err.printf(
                    "  - kube-dns's stubDomains cannot set caching or order: its dnsmasq caches answers up to their TTL"
                            + " (%d s) and orders them itself.%n",
                    cfg.ttl());
        } else {
            caching.podView().forEach(line -> err.println("  - " + line));
        }
        err.flush();
    }

    private ClusterSpec hubSpec(ServerConfig cfg, Path dir) {
        if (cfg.coredns().service() == null) {
            throw new IllegalArgumentException("no meshdns address to forward to: give --forward-to ADDR[,ADDR], or set"
                    + " coredns.forwardTo (per cluster) or coredns.service and coredns.serviceCluster in " + config);
        }
        return cfg.clusterSpecs(dir).stream()
                .filter(s -> s.id().value().equals(cfg.coredns().serviceCluster()))
                .findFirst()
                .orElseThrow();
    }

    private static String serviceNamespace(ServerConfig cfg) {
        return cfg.coredns().service().substring(0, cfg.coredns().service().indexOf('/'));
    }

    private static String serviceName(ServerConfig cfg) {
        return cfg.coredns().service().substring(cfg.coredns().service().indexOf('/') + 1);
    }

    private List<ClusterSpec> selected(ServerConfig cfg, List<ClusterSpec> all) {
        if (all.isEmpty()) {
            throw new IllegalArgumentException("config " + config + " has no clusters");
        }
        if (clusters == null || clusters.isEmpty()) {
            return all;
        }
        List<ClusterSpec> chosen = new ArrayList<>();
        for (String id : clusters) {
            chosen.add(all.stream()
                    .filter(s -> s.id().value().equals(id))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--cluster " + id + ": not in " + config
                            + " (clusters: "
                            + String.join(
                                    ", ", all.stream().map(s -> s.id().value()).toList()) + ")")));
        }
        return chosen;
    }

    private CorednsConfigMaps.Target target() {
        return switch (target.toLowerCase(Locale.ROOT)) {
            case "auto" -> CorednsConfigMaps.Target.AUTO;
            case "coredns" -> CorednsConfigMaps.Target.COREDNS;
            case "coredns-custom" -> CorednsConfigMaps.Target.COREDNS_CUSTOM;
            case "kube-dns" -> CorednsConfigMaps.Target.KUBE_DNS;
            default ->
                throw new IllegalArgumentException(
                        "--target must be auto, coredns, coredns-custom or kube-dns; was '" + target + "'");
        };
    }

    private void checkOneMode() {
        if (output != null && !output.equals("yaml")) {
            throw new IllegalArgumentException("--output supports only yaml; was '" + output + "'");
        }
        int modes =
                (print ? 1 : 0) + (output != null ? 1 : 0) + (dryRun ? 1 : 0) + (apply ? 1 : 0) + (rollback ? 1 : 0);
        if (modes > 1) {
            throw new IllegalArgumentException("choose one of --print, --output yaml, --dry-run, --apply, --rollback");
        }
    }
}
