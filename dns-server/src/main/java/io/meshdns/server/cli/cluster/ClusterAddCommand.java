package io.meshdns.server.cli.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Cluster;
import io.fabric8.kubernetes.api.model.Config;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.meshdns.discovery.ClusterId;
import io.meshdns.server.cli.ExitCode;
import io.meshdns.server.cli.LogOptions;
import io.meshdns.server.config.ServerConfig;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meshdns cluster add}: creates, or brings up to date, meshdns's read-only identity in a member cluster
 * ({@link MemberClusterRbac}) through an admin's kubeconfig context, obtains a token for it, writes the member
 * kubeconfig meshdns reads the cluster with, and prints the {@code clusters:} entry for meshdns's config. Only
 * that entry goes to stdout; what was done goes to stderr.
 */
@Command(
        name = "add",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Create meshdns's read-only identity in a member cluster and write the kubeconfig meshdns reads it with.",
            "",
            "Through the admin context (--kubeconfig, --context), creates or updates, all labelled"
                    + " app.kubernetes.io/managed-by=meshdns: the namespace (if missing), ServiceAccount "
                    + MemberClusterRbac.NAME
                    + ", ClusterRole " + MemberClusterRbac.NAME
                    + " (get/list/watch of services, endpointslices, serviceexports"
                    + " and serviceimports; get of their two CRDs and of the ClusterProperty id.k8s.io, by name; nothing else)"
                    + " and ClusterRoleBinding " + MemberClusterRbac.NAME
                    + ". Running it again updates them and renews the token.",
            "",
            "The token is a TokenRequest token that EXPIRES after --token-ttl (default 24h; the API server may shorten"
                    + " it). A running meshdns renews it at 80% of its lifetime (Role " + MemberClusterRbac.NAME
                    + " lets the ServiceAccount request its own tokens) and rewrites the kubeconfig file; where that"
                    + " file is read-only (the chart's Secret) a restarted meshdns starts from the token written here,"
                    + " so run 'cluster add' again before it expires (e.g. from a CronJob), or use --long-lived-token"
                    + " (a kubernetes.io/service-account-token Secret, valid until 'cluster remove').",
            "",
            "Writes <output-dir>/<id>.kubeconfig (mode 0600; server and CA from the admin context), and prints on stdout"
                    + " the entry to put under 'clusters:' in meshdns's config; with --secret-context, stores it as a Secret"
                    + " where meshdns runs and prints the chart's clusters: values entry instead. Everything else goes to"
                    + " stderr."
        })
public final class ClusterAddCommand implements Callable<Integer> {
    /** The shortest TokenRequest the API server accepts. */
    static final Duration SHORTEST_TOKEN = Duration.ofMinutes(10);

    private static final Pattern DURATION = Pattern.compile("([0-9]+)(s|m|h|d)");

    @CommandLine.Mixin
    KubeconfigContextOptions target = new KubeconfigContextOptions();

    @Option(
            names = "--namespace",
            paramLabel = "NS",
            defaultValue = "meshdns",
            description =
                    "The namespace of the ServiceAccount in the member cluster (created if missing). Default: ${DEFAULT-VALUE}.")
    String namespace;

    @Option(
            names = "--id",
            paramLabel = "ID",
            description = "The cluster id in meshdns's config and in DNS names (default: the context's name).")
    String id;

    @Option(
            names = "--output-dir",
            paramLabel = "DIR",
            description =
                    "Where to write <id>.kubeconfig. Default: the current directory, unless --secret-context is given.")
    Path outputDir;

    @Option(
            names = "--secret-context",
            paramLabel = "NAME",
            description =
                    "Store the kubeconfig as a Secret (key 'kubeconfig') in the cluster meshdns runs in, through this"
                            + " context, where the Helm chart mounts it; stdout then prints the chart's clusters: values entry. A file"
                            + " is written too only with --output-dir.")
    String secretContext;

    @Option(
            names = "--secret-kubeconfig",
            paramLabel = "FILE",
            description = "The kubeconfig holding --secret-context (default: the one of --kubeconfig).")
    Path secretKubeconfig;

    @Option(
            names = "--secret-namespace",
            paramLabel = "NS",
            defaultValue = "meshdns",
            description = "The namespace meshdns runs in, for the Secret. Default: ${DEFAULT-VALUE}.")
    String secretNamespace;

    @Option(
            names = "--secret-name",
            paramLabel = "NAME",
            description =
                    "The Secret's name (default: meshdns-kubeconfig-<id>, the chart's default for a release named meshdns).")
    String secretName;

    @Option(
            names = "--server",
            paramLabel = "URL",
            description =
                    "The API server address meshdns reaches the cluster at, when not the admin context's (e.g. a kind"
                            + " cluster's 127.0.0.1 port seen from another cluster).")
    String server;

    @Option(
            names = "--token-ttl",
            paramLabel = "DURATION",
            defaultValue = "24h",
            description =
                    "How long the TokenRequest token lasts (s, m, h or d; at least 10m). Default: ${DEFAULT-VALUE}."
                            + " Run 'cluster add' again before it ends.")
    String tokenTtl;

    @Option(
            names = "--long-lived-token",
            description = "Use a token that does not expire (a kubernetes.io/service-account-token Secret) instead.")
    boolean longLivedToken;

    @CommandLine.Mixin
    LogOptions logs = new LogOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        logs.validate(spec.commandLine());
        logs.apply(ServerConfig.defaults().logging());
        String apiServer = "?";
        try {
            Duration ttl = longLivedToken ? null : ttl();
            Config admin = target.read();
            String context = target.contextName(admin);
            Cluster cluster = target.cluster(admin, context);
            String clusterId = clusterId(context);
            KubeconfigContextOptions hub = secretContext == null ? null : hub();
            apiServer = cluster.getServer();
            String token;
            try (KubernetesClient client = target.connect(context)) {
                apiServer = client.getMasterUrl().toString();
                createIdentity(client, err);
                token = longLivedToken ? longLivedToken(client, err) : tokenRequest(client, ttl, err);
            }
            String kubeconfig = MemberKubeconfig.text(
                    clusterId, cluster, target.file().toAbsolutePath().getParent(), server, token);
            Path file = null;
            if (outputDir != null || hub == null) {
                file = (outputDir != null ? outputDir : Path.of("."))
                        .resolve(clusterId + ".kubeconfig")
                        .toAbsolutePath()
                        .normalize();
                MemberKubeconfig.write(file, kubeconfig);
                err.printf(
                        "cluster add: wrote %s (context %s, user %s@%s)%n",
                        file, clusterId, MemberClusterRbac.NAME, clusterId);
            }
            if (hub != null) {
                String name = secretName != null ? secretName : "meshdns-kubeconfig-" + clusterId;
                apiServer = "?";
                try (KubernetesClient client = hub.connect(hub.context)) {
                    apiServer = client.getMasterUrl().toString();
                    apply(client, MemberClusterRbac.kubeconfigSecret(secretNamespace, name, kubeconfig), err);
                }
                out.print(valuesEntry(clusterId, name));
                err.println("cluster add: put the entry above under 'clusters:' in the chart's values");
            } else {
                out.print(entry(clusterId, file));
                err.println(
                        "cluster add: put the entry above under 'clusters:' in meshdns's config; 'meshdns cluster check"
                                + " --kubeconfig " + file + "' verifies its permissions");
            }
            out.flush();
            err.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("meshdns: " + e.getMessage());
            err.flush();
            return ExitCode.BAD_INPUT;
        } catch (KubernetesClientException e) {
            err.println("meshdns: cluster add: " + ClusterCommand.problem(apiServer, e)
                    + (e.getCode() == 403
                            ? " (the context's user needs to create namespaces, ServiceAccounts, ClusterRoles and"
                                    + " ClusterRoleBindings, as cluster-admin can)"
                            : ""));
            err.flush();
            return ExitCode.FAILED;
        } catch (IllegalStateException | UncheckedIOException e) {
            err.println("meshdns: cluster add: " + e.getMessage());
            err.flush();
            return ExitCode.FAILED;
        }
    }

    /** The context of the cluster meshdns runs in, checked before anything is changed. */
    private KubeconfigContextOptions hub() {
        KubeconfigContextOptions hub = new KubeconfigContextOptions();
        hub.kubeconfig = secretKubeconfig != null ? secretKubeconfig : target.file();
        hub.context = secretContext;
        hub.contextName(hub.read());
        return hub;
    }

    private Duration ttl() {
        Matcher m = DURATION.matcher(tokenTtl.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "--token-ttl must be a duration like 24h, 90m or 7d; was '" + tokenTtl + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.compareTo(SHORTEST_TOKEN) < 0) {
            throw new IllegalArgumentException(
                    "--token-ttl must be at least 10m (the API server's shortest); was '" + tokenTtl + "'");
        }
        return d;
    }

    private String clusterId(String context) {
        String value = id != null ? id : context;
        try {
            return ClusterId.of(value).value();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    (id != null ? "--id: " : "the context's name is not a cluster id, give --id: ") + e.getMessage());
        }
    }

    /** The namespace (if missing), ServiceAccount, ClusterRole and binding; each created or updated. */
    private void createIdentity(KubernetesClient client, PrintWriter err) {
        Namespace existing = client.namespaces().withName(namespace).get();
        if (existing == null) {
            client.namespaces().resource(MemberClusterRbac.namespace(namespace)).create();
            err.printf("cluster add: created Namespace %s%n", namespace);
        }
        apply(client, MemberClusterRbac.serviceAccount(namespace), err);
        apply(client, MemberClusterRbac.clusterRole(), err);
        apply(client, MemberClusterRbac.clusterRoleBinding(namespace), err);
        apply(client, MemberClusterRbac.tokenRenewalRole(namespace), err);
        apply(client, MemberClusterRbac.tokenRenewalRoleBinding(namespace), err);
    }

    /** Creates {@code desired}, or replaces the one {@code cluster add} made before; never takes over another's. */
    private static void apply(KubernetesClient client, HasMetadata desired, PrintWriter err) {
        HasMetadata existing = client.resource(desired).get();
        String what = desired.getKind() + " "
                + (desired.getMetadata().getNamespace() == null
                        ? ""
                        : desired.getMetadata().getNamespace() + "/")
                + desired.getMetadata().getName();
        if (existing == null) {
            client.resource(desired).create();
            err.printf("cluster add: created %s%n", what);
            return;
        }
        if (!MemberClusterRbac.managed(existing)) {
            throw new IllegalStateException(what
                    + " exists and was not made by 'meshdns cluster add' (it lacks the label "
                    + MemberClusterRbac.MANAGED_BY + "=" + MemberClusterRbac.MESHDNS + "); delete it, or choose another"
                    + " namespace or name");
        }
        desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        client.resource(desired).update();
        err.printf("cluster add: updated %s%n", what);
    }

    private String tokenRequest(KubernetesClient client, Duration ttl, PrintWriter err) {
        TokenRequest answer = client.serviceAccounts()
                .inNamespace(namespace)
                .withName(MemberClusterRbac.NAME)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(ttl.toSeconds())
                        .endSpec()
                        .build());
        String expires = answer.getStatus().getExpirationTimestamp();
        err.printf(
                "cluster add: token of ServiceAccount %s/%s expires at %s: run 'meshdns cluster add' again before then"
                        + " (or use --long-lived-token)%n",
                namespace, MemberClusterRbac.NAME, expires);
        try {
            Duration granted = Duration.between(Instant.now(), Instant.parse(expires));
            if (granted.compareTo(ttl.minusMinutes(1)) < 0) {
                err.printf(
                        "cluster add: note: the API server granted %d minutes, not the %d asked for (its"
                                + " --service-account-max-token-expiration)%n",
                        granted.toMinutes(), ttl.toMinutes());
            }
        } catch (DateTimeParseException e) {
            // the expiry was printed as the API server wrote it
        }
        return answer.getStatus().getToken();
    }

    /** The token the token controller puts into the Secret; it comes shortly after the Secret is created. */
    private String longLivedToken(KubernetesClient client, PrintWriter err) {
        Secret desired = MemberClusterRbac.tokenSecret(namespace);
        Secret existing = client.secrets()
                .inNamespace(namespace)
                .withName(MemberClusterRbac.TOKEN_SECRET)
                .get();
        String what = "Secret " + namespace + "/" + MemberClusterRbac.TOKEN_SECRET;
        if (existing == null) {
            client.resource(desired).create();
            err.printf(
                    "cluster add: created %s (a token that does not expire; 'meshdns cluster remove' revokes it)%n",
                    what);
        } else if (!MemberClusterRbac.managed(existing)) {
            throw new IllegalStateException(
                    what + " exists and was not made by 'meshdns cluster add'; delete it, or choose"
                            + " another --namespace");
        } else {
            err.printf("cluster add: reusing %s%n", what);
        }
        Secret filled;
        try {
            filled = client.secrets()
                    .inNamespace(namespace)
                    .withName(MemberClusterRbac.TOKEN_SECRET)
                    .waitUntilCondition(
                            s -> s != null && s.getData() != null && s.getData().get("token") != null,
                            60,
                            TimeUnit.SECONDS);
        } catch (KubernetesClientTimeoutException e) {
            throw new IllegalStateException(
                    "the cluster's token controller did not put a token into " + what + " within 60 s");
        }
        return new String(Base64.getDecoder().decode(filled.getData().get("token")), StandardCharsets.UTF_8);
    }

    /** The list item for the Helm chart's {@code clusters:} values: the cluster and the Secret of its kubeconfig. */
    static String valuesEntry(String clusterId, String secret) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("id", clusterId);
        Map<String, String> ref = new LinkedHashMap<>(); // in the order charts/meshdns/values.yaml shows them
        ref.put("name", secret);
        ref.put("key", MemberClusterRbac.KUBECONFIG_KEY);
        entry.put("kubeconfigSecret", ref);
        return yaml(List.of(entry));
    }

    /** The list item for meshdns's {@code clusters:}. */
    static String entry(String clusterId, Path kubeconfig) {
        Map<String, String> entry = new LinkedHashMap<>();
        entry.put("id", clusterId);
        entry.put("kubeconfig", kubeconfig.toString());
        return yaml(List.of(entry));
    }

    private static String yaml(Object value) {
        try {
            return new YAMLMapper()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the clusters entry as YAML", e);
        }
    }
}
