package io.meshdns.forwarder;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.KubernetesClients;
import io.meshdns.forwarder.ConfigMapChange.Kind;
import io.meshdns.forwarder.CorednsConfigException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CoreDNS configuration of one cluster, in its kube-system ConfigMaps: finds where the meshdns block
 * belongs, shows the change, writes it and takes it back.
 *
 * <p>Where the block goes ({@link Target#AUTO}): where it already is; else, when the Corefile imports
 * {@code *.server} files (k3s, AKS), the key {@code meshdns.server} of {@code coredns-custom}, which the
 * distribution does not overwrite; else between markers in the Corefile of {@code coredns} (or RKE2's
 * {@code rke2-coredns-rke2-coredns}). A cluster with NodeLocal DNSCache also gets the block, with its
 * {@code bind} line, in {@code node-local-dns}. A cluster with no CoreDNS ConfigMap but a {@code kube-dns}
 * one gets {@code stubDomains}.
 *
 * <p>Writes use the resourceVersion that was read (optimistic concurrency): on a conflict everything is
 * read and computed again, up to {@value #ATTEMPTS} times. Because the change is computed as "make the
 * block be this", a retry after a partial write is safe. Every written key keeps the value it replaced in
 * the annotation {@code meshdns.io/previous.<key>} and a hash of what meshdns wrote in
 * {@code meshdns.io/applied-sha256.<key>}, so {@link #rollback()} can undo the last write, and refuses to
 * when someone changed the key since.
 */
public final class CorednsConfigMaps {
    private static final Logger LOG = LoggerFactory.getLogger(CorednsConfigMaps.class);

    public static final String NAMESPACE = "kube-system";
    static final List<String> COREDNS_NAMES = List.of("coredns", "rke2-coredns-rke2-coredns");
    static final String CUSTOM = "coredns-custom";
    static final String CUSTOM_KEY = "meshdns.server";
    static final String NODE_LOCAL = "node-local-dns";
    static final String KUBE_DNS = "kube-dns";
    static final String COREFILE_KEY = "Corefile";
    static final String STUB_DOMAINS_KEY = "stubDomains";
    static final String PREVIOUS = "meshdns.io/previous.";
    static final String APPLIED = "meshdns.io/applied-sha256.";
    static final int ATTEMPTS = 5;
    /** Annotations of one object may hold 256 KiB in all. */
    static final int MAX_PREVIOUS = 200_000;

    /** Where to put the block. */
    public enum Target {
        AUTO,
        COREDNS,
        COREDNS_CUSTOM,
        KUBE_DNS
    }

    private final KubernetesClient client;
    private final String cluster;
    private final Target target;
    private final String corednsName;

    /**
     * @param corednsName the CoreDNS ConfigMap's name when it is not one of the usual ones, else {@code null}
     */
    public CorednsConfigMaps(KubernetesClient client, String cluster, Target target, String corednsName) {
        this.client = Objects.requireNonNull(client);
        this.cluster = Objects.requireNonNull(cluster);
        this.target = target == null ? Target.AUTO : target;
        this.corednsName = corednsName;
    }

    /**
     * A client for the cluster of {@code spec}. Unlike the long-lived informers of discovery, a one-shot command
     * should tell quickly that a cluster is unreachable, so retries and timeouts are short.
     *
     * @throws CorednsConfigException naming the cluster and the file when the kubeconfig cannot be used
     */
    public static KubernetesClient connect(ClusterSpec spec) {
        try {
            return KubernetesClients.create(spec, config -> {
                config.setRequestRetryBackoffLimit(1);
                config.setRequestRetryBackoffInterval(200);
                config.setConnectionTimeout(5_000);
                config.setRequestTimeout(15_000);
            });
        } catch (ConfigException e) {
            throw new CorednsConfigException(
                    Files.isReadable(spec.kubeconfig()) ? Reason.FAILED : Reason.NOT_FOUND, e.getMessage(), e);
        }
    }

    /** What {@link #apply} would change; writes nothing. */
    public List<ConfigMapChange> plan(MeshdnsStanza stanza) {
        return changes(read(), stanza, false);
    }

    /** What {@link #remove} would change; writes nothing. */
    public List<ConfigMapChange> planRemoval(MeshdnsStanza stanza) {
        return changes(read(), stanza, true);
    }

    /** Puts the meshdns block in place; a second call with the same stanza writes nothing. */
    public List<ConfigMapChange> apply(MeshdnsStanza stanza) {
        return write(state -> changes(state, stanza, false));
    }

    /** Takes the meshdns block out (the stanza's zones name what to remove from kube-dns stubDomains). */
    public List<ConfigMapChange> remove(MeshdnsStanza stanza) {
        return write(state -> changes(state, stanza, true));
    }

    /** Puts back the values that the last write by meshdns replaced. */
    public List<ConfigMapChange> rollback() {
        return write(this::rollbacks);
    }

    // ---- reading ----

    /** The ConfigMaps that matter, as read now ({@code null} when absent). */
    record State(ConfigMap coredns, ConfigMap custom, ConfigMap nodeLocal, ConfigMap kubeDns) {
        List<ConfigMap> all() {
            List<ConfigMap> all = new ArrayList<>();
            for (ConfigMap cm : new ConfigMap[] {coredns, custom, nodeLocal, kubeDns}) {
                if (cm != null) {
                    all.add(cm);
                }
            }
            return all;
        }
    }

    private State read() {
        ConfigMap coredns = null;
        for (String name : corednsName != null ? List.of(corednsName) : COREDNS_NAMES) {
            coredns = get(name);
            if (coredns != null) {
                break;
            }
        }
        return new State(coredns, get(CUSTOM), get(NODE_LOCAL), get(KUBE_DNS));
    }

    private ConfigMap get(String name) {
        try {
            return client.configMaps().inNamespace(NAMESPACE).withName(name).get();
        } catch (KubernetesClientException e) {
            throw describe(cluster, "ConfigMap " + NAMESPACE + "/" + name, e);
        }
    }

    // ---- planning ----

    private List<ConfigMapChange> changes(State s, MeshdnsStanza stanza, boolean remove) {
        List<ConfigMapChange> changes = new ArrayList<>();
        boolean kubeDns =
                target == Target.KUBE_DNS || (target == Target.AUTO && s.coredns() == null && s.kubeDns() != null);
        if (kubeDns) {
            String before = data(s.kubeDns(), STUB_DOMAINS_KEY);
            String after = StubDomains.merge(source(KUBE_DNS, STUB_DOMAINS_KEY), before, stanza, remove);
            changes.add(change(s.kubeDns(), KUBE_DNS, STUB_DOMAINS_KEY, Kind.KUBE_DNS, before, after, null));
        } else {
            if (s.coredns() == null) {
                throw new CorednsConfigException(
                        Reason.NOT_FOUND,
                        "cluster " + cluster + ": no CoreDNS ConfigMap (looked for "
                                + String.join(
                                        ", ",
                                        (corednsName != null ? List.of(corednsName) : COREDNS_NAMES)
                                                .stream()
                                                        .map(n -> NAMESPACE + "/" + n)
                                                        .toList())
                                + ") and no " + NAMESPACE + "/" + KUBE_DNS + " ConfigMap; name it with --configmap");
            }
            String name = s.coredns().getMetadata().getName();
            String text = data(s.coredns(), COREFILE_KEY);
            if (text == null) {
                throw new CorefileException("cluster " + cluster + ": ConfigMap " + NAMESPACE + "/" + name + " has no "
                        + COREFILE_KEY + " key");
            }
            Corefile corefile = Corefile.parse(source(name, COREFILE_KEY), text);
            boolean custom = switch (target) {
                case COREDNS -> false;
                case COREDNS_CUSTOM -> true;
                default ->
                    data(s.custom(), CUSTOM_KEY) != null
                            || (!corefile.hasMeshdnsBlock() && corefile.importsServerFiles());
            };
            if (custom) {
                if (!corefile.importsServerFiles()) {
                    throw new CorefileException(
                            source(name, COREFILE_KEY) + ": does not 'import' any *.server files, so CoreDNS"
                                    + " would ignore " + NAMESPACE + "/" + CUSTOM + "; use --target coredns");
                }
                String before = data(s.custom(), CUSTOM_KEY);
                String after = null;
                if (!remove) {
                    String nl = corefile.lineSeparator();
                    after = String.join(
                                    nl,
                                    stanza.lines(
                                            new MeshdnsStanza.Layout(corefile.rootPort(), corefile.indentUnit(), nl)))
                            + nl;
                    Corefile.parse(source(CUSTOM, CUSTOM_KEY), after); // must parse back
                    corefile.checkNoOtherBlockServes(stanza);
                    checkOtherServerFiles(s.custom(), stanza);
                }
                changes.add(change(
                        s.custom(),
                        CUSTOM,
                        CUSTOM_KEY,
                        Kind.CUSTOM_SERVER,
                        before,
                        after,
                        "CoreDNS reads a new or changed coredns-custom key only when it restarts: kubectl -n "
                                + NAMESPACE + " rollout restart deployment coredns"));
            } else {
                Corefile patched = remove ? corefile.withoutMeshdnsBlock() : corefile.withMeshdnsBlock(stanza);
                changes.add(change(
                        s.coredns(),
                        name,
                        COREFILE_KEY,
                        Kind.COREFILE,
                        text,
                        patched.text(),
                        corefile.usesPlugin("reload")
                                ? null
                                : "this Corefile has no 'reload' plugin: restart CoreDNS to use the"
                                        + " change (kubectl -n " + NAMESPACE + " rollout restart deployment coredns)"));
            }
            String nodeLocal = data(s.nodeLocal(), COREFILE_KEY);
            if (nodeLocal != null) {
                Corefile nl = Corefile.parse(source(NODE_LOCAL, COREFILE_KEY), nodeLocal);
                Corefile patched;
                if (remove) {
                    patched = nl.withoutMeshdnsBlock();
                } else {
                    List<String> bind = nl.bindAddresses();
                    if (bind.isEmpty()) {
                        throw new CorefileException(
                                source(NODE_LOCAL, COREFILE_KEY) + ": has no 'bind' line to copy; NodeLocal"
                                        + " DNSCache server blocks must listen only on its own addresses");
                    }
                    patched = nl.withMeshdnsBlock(stanza.withBind(bind));
                }
                changes.add(change(
                        s.nodeLocal(), NODE_LOCAL, COREFILE_KEY, Kind.NODE_LOCAL, nodeLocal, patched.text(), null));
            }
        }
        return changes;
    }

    /** Another coredns-custom {@code *.server} key serving one of our zones would make CoreDNS refuse to start. */
    private void checkOtherServerFiles(ConfigMap custom, MeshdnsStanza stanza) {
        if (custom == null || custom.getData() == null) {
            return;
        }
        for (Map.Entry<String, String> e : custom.getData().entrySet()) {
            if (e.getKey().endsWith(".server") && !e.getKey().equals(CUSTOM_KEY) && e.getValue() != null) {
                Corefile.parse(source(CUSTOM, e.getKey()), e.getValue()).checkNoOtherBlockServes(stanza);
            }
        }
    }

    private List<ConfigMapChange> rollbacks(State s) {
        List<ConfigMapChange> changes = new ArrayList<>();
        for (ConfigMap cm : s.all()) {
            Map<String, String> annotations = cm.getMetadata().getAnnotations();
            if (annotations == null) {
                continue;
            }
            for (Map.Entry<String, String> a : annotations.entrySet()) {
                if (!a.getKey().startsWith(APPLIED)) {
                    continue;
                }
                String key = a.getKey().substring(APPLIED.length());
                String name = cm.getMetadata().getName();
                String current = data(cm, key);
                if (!hash(current).equals(a.getValue())) {
                    throw new CorednsConfigException(
                            Reason.REFUSED,
                            "cluster " + cluster + ": " + NAMESPACE + "/" + name + " "
                                    + key
                                    + " was changed after meshdns wrote it; rolling back would lose that change. Use --remove to take"
                                    + " only the meshdns block out");
                }
                String previous = annotations.get(PREVIOUS + key);
                changes.add(new ConfigMapChange(
                        cluster, cm, NAMESPACE, name, key, kindOf(name, key), current, previous, null, true));
            }
        }
        if (changes.isEmpty()) {
            throw new CorednsConfigException(
                    Reason.NOT_FOUND,
                    "cluster " + cluster + ": nothing to roll back (no ConfigMap" + " in " + NAMESPACE + " carries a "
                            + APPLIED + "* annotation)");
        }
        return changes;
    }

    private Kind kindOf(String name, String key) {
        if (name.equals(CUSTOM)) {
            return Kind.CUSTOM_SERVER;
        }
        if (name.equals(NODE_LOCAL)) {
            return Kind.NODE_LOCAL;
        }
        return key.equals(STUB_DOMAINS_KEY) ? Kind.KUBE_DNS : Kind.COREFILE;
    }

    private ConfigMapChange change(
            ConfigMap cm, String name, String key, Kind kind, String before, String after, String hint) {
        return new ConfigMapChange(cluster, cm, NAMESPACE, name, key, kind, before, after, hint, false);
    }

    private String source(String name, String key) {
        return "cluster " + cluster + ": " + NAMESPACE + "/" + name + " " + key;
    }

    private static String data(ConfigMap cm, String key) {
        return cm == null || cm.getData() == null ? null : cm.getData().get(key);
    }

    // ---- writing ----

    private List<ConfigMapChange> write(Function<State, List<ConfigMapChange>> planner) {
        Map<String, ConfigMapChange> written = new LinkedHashMap<>();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            List<ConfigMapChange> changes = planner.apply(read());
            try {
                for (ConfigMapChange c : changes) {
                    if (c.changed()) {
                        write(c);
                        written.put(c.configMap() + " " + c.key(), c);
                    }
                }
                // report what an earlier, conflicted attempt already wrote as written
                return changes.stream()
                        .map(c -> written.getOrDefault(c.configMap() + " " + c.key(), c))
                        .toList();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 && e.getCode() != 404) {
                    throw describe(cluster, "writing ConfigMap", e);
                }
                LOG.info(
                        "cluster {}: {} changed while meshdns was writing it (attempt {} of {}); reading it again",
                        cluster,
                        e.getCode() == 409 ? "a ConfigMap" : "a ConfigMap was deleted and",
                        attempt,
                        ATTEMPTS);
            }
        }
        throw new CorednsConfigException(
                Reason.CONFLICT,
                "cluster " + cluster + ": the CoreDNS ConfigMaps kept changing"
                        + " while meshdns was writing them (" + ATTEMPTS
                        + " conflicts on resourceVersion); nothing more was written,"
                        + " try again");
    }

    private void write(ConfigMapChange c) {
        Map<String, String> data = new LinkedHashMap<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        if (c.original != null) {
            if (c.original.getData() != null) {
                data.putAll(c.original.getData());
            }
            if (c.original.getMetadata().getAnnotations() != null) {
                annotations.putAll(c.original.getMetadata().getAnnotations());
            }
        }
        if (c.after() == null) {
            data.remove(c.key());
        } else {
            data.put(c.key(), c.after());
        }
        if (c.rollback) {
            annotations.remove(PREVIOUS + c.key());
            annotations.remove(APPLIED + c.key());
        } else {
            if (c.before() == null) {
                annotations.remove(PREVIOUS + c.key());
            } else if (c.before().length() > MAX_PREVIOUS) {
                throw new CorednsConfigException(
                        Reason.REFUSED,
                        "cluster " + cluster + ": " + c.configMap() + " " + c.key() + " is too large ("
                                + c.before().length() + " characters) to keep in an annotation for --rollback");
            } else {
                annotations.put(PREVIOUS + c.key(), c.before());
            }
            annotations.put(APPLIED + c.key(), hash(c.after()));
        }
        var configMaps = client.configMaps().inNamespace(NAMESPACE);
        if (c.original == null) {
            configMaps
                    .resource(new ConfigMapBuilder()
                            .withNewMetadata()
                            .withName(c.configMap().substring(NAMESPACE.length() + 1))
                            .withNamespace(NAMESPACE)
                            .withAnnotations(annotations)
                            .endMetadata()
                            .withData(data)
                            .build())
                    .create();
        } else {
            // the resourceVersion read with the original makes this update fail with 409 if anyone wrote in between
            configMaps
                    .resource(new ConfigMapBuilder(c.original)
                            .editMetadata()
                            .withAnnotations(annotations)
                            .endMetadata()
                            .withData(data)
                            .build())
                    .update();
        }
        LOG.debug("cluster {}: wrote {} {}", cluster, c.configMap(), c.key());
    }

    static String hash(String value) {
        if (value == null) {
            return "absent";
        }
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client error as a report line: forbidden (RBAC), unreachable, or what the API server said. */
    static CorednsConfigException describe(String cluster, String what, KubernetesClientException e) {
        String status = e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage();
        if (e.getCode() == 403) {
            return new CorednsConfigException(
                    Reason.FORBIDDEN, "cluster " + cluster + ": " + what + ": forbidden (RBAC): " + status, e);
        }
        if (e.getCode() == 401) {
            return new CorednsConfigException(
                    Reason.FORBIDDEN,
                    "cluster " + cluster + ": " + what + ": unauthorized (check the kubeconfig's credentials): "
                            + status,
                    e);
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return new CorednsConfigException(
                        Reason.UNREACHABLE,
                        "cluster " + cluster + ": API server unreachable: "
                                + t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()),
                        e);
            }
        }
        return new CorednsConfigException(Reason.FAILED, "cluster " + cluster + ": " + what + ": " + status, e);
    }
}
