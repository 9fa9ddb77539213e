package io.meshdns.server.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRefBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.server.Main;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.testkit.MockCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code meshdns cluster add|remove|check} against a mock member cluster whose API server issues ServiceAccount
 * tokens and authorizes them with the ClusterRoles stored in it (testkit), as a real one does.
 */
class ClusterCommandTest {
    /** The rules the README documents for ClusterRole meshdns-reader, and no others. */
    static final List<PolicyRule> DOCUMENTED_RULES = List.of(
            new PolicyRuleBuilder()
                    .withApiGroups("")
                    .withResources("services")
                    .withVerbs("get", "list", "watch")
                    .build(),
            new PolicyRuleBuilder()
                    .withApiGroups("discovery.k8s.io")
                    .withResources("endpointslices")
                    .withVerbs("get", "list", "watch")
                    .build(),
            new PolicyRuleBuilder()
                    .withApiGroups("multicluster.x-k8s.io")
                    .withResources("serviceexports", "serviceimports")
                    .withVerbs("get", "list", "watch")
                    .build(),
            new PolicyRuleBuilder()
                    .withApiGroups("apiextensions.k8s.io")
                    .withResources("customresourcedefinitions")
                    .withResourceNames("serviceexports.multicluster.x-k8s.io", "serviceimports.multicluster.x-k8s.io")
                    .withVerbs("get")
                    .build(),
            new PolicyRuleBuilder()
                    .withApiGroups("about.k8s.io")
                    .withResources("clusterproperties")
                    .withResourceNames("id.k8s.io")
                    .withVerbs("get")
                    .build());

    static final Map<String, String> LABEL = Map.of("app.kubernetes.io/managed-by", "meshdns");

    @TempDir
    Path dir;

    private MockCluster west;
    private KubernetesClient admin;
    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void start() {
        west = MockCluster.start("west", dir);
        admin = west.client();
    }

    @AfterEach
    void stop() {
        west.close();
    }

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = new CommandLine(new ClusterCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private int add(String... more) {
        String[] args = {
            "add",
            "--kubeconfig",
            west.kubeconfig().toString(),
            "--context",
            "west",
            "--output-dir",
            dir.resolve("out").toString()
        };
        return run(concat(args, more));
    }

    private int remove(String... more) {
        return run(concat(
                new String[] {"remove", "--kubeconfig", west.kubeconfig().toString(), "--context", "west"}, more));
    }

    private int check(Path kubeconfig) {
        return run("check", "--kubeconfig", kubeconfig.toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private Path written() {
        return dir.resolve("out").resolve("west.kubeconfig").toAbsolutePath();
    }

    private String tokenIn(Path kubeconfig) {
        return KubeConfigUtils.parseConfig(kubeconfig.toFile())
                .getUsers()
                .get(0)
                .getUser()
                .getToken();
    }

    @Test
    void isASubcommandOfMeshdns() {
        assertThat(new CommandLine(new Main()).getSubcommands().get("cluster").getSubcommands())
                .containsKeys("add", "remove", "check");
    }

    @Test
    void clusterWithoutASubcommandIsBadUsage() {
        assertThat(run()).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("give a subcommand: add, remove or check");
    }

    @Test
    void aMissingKubeconfigIsBadInputNamingTheFile() {
        Path missing = dir.resolve("missing.kubeconfig");

        assertThat(run("add", "--kubeconfig", missing.toString(), "--context", "west"))
                .isEqualTo(2);

        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .isEqualTo(
                        "meshdns: kubeconfig " + missing + " is missing or unreadable (give" + " --kubeconfig FILE)\n");
    }

    @Test
    void anUnknownContextIsBadInputListingTheKnownOnes() {
        assertThat(run("check", "--kubeconfig", west.kubeconfig().toString(), "--context", "east"))
                .isEqualTo(2);

        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .contains("context 'east' does not exist in kubeconfig " + west.kubeconfig() + " (contexts: west)");
    }

    @Test
    void anIdThatIsNotADnsLabelIsBadInputAndChangesNothing() {
        assertThat(add("--id", "West_1")).isEqualTo(2);

        assertThat(err.toString()).contains("--id: cluster id 'West_1' is not a lowercase DNS label");
        assertThat(admin.namespaces().withName("meshdns").get()).isNull();
    }

    @Test
    void addCreatesExactlyTheDocumentedObjects() {
        assertThat(add()).as(err.toString()).isZero();

        assertThat(admin.namespaces().withName("meshdns").get().getMetadata().getLabels())
                .isEqualTo(LABEL);
        assertThat(admin.serviceAccounts().inAnyNamespace().list().getItems())
                .singleElement()
                .satisfies(sa -> {
                    assertThat(sa.getMetadata().getNamespace()).isEqualTo("meshdns");
                    assertThat(sa.getMetadata().getName()).isEqualTo("meshdns-reader");
                    assertThat(sa.getMetadata().getLabels()).isEqualTo(LABEL);
                    assertThat(sa.getAutomountServiceAccountToken()).isFalse();
                });
        ClusterRole role =
                admin.rbac().clusterRoles().list().getItems().stream().collect(single());
        assertThat(role.getMetadata().getName()).isEqualTo("meshdns-reader");
        assertThat(role.getMetadata().getLabels()).isEqualTo(LABEL);
        assertThat(role.getRules()).isEqualTo(DOCUMENTED_RULES);
        ClusterRoleBinding binding =
                admin.rbac().clusterRoleBindings().list().getItems().stream().collect(single());
        assertThat(binding.getMetadata().getName()).isEqualTo("meshdns-reader");
        assertThat(binding.getMetadata().getLabels()).isEqualTo(LABEL);
        assertThat(binding.getRoleRef())
                .isEqualTo(new RoleRefBuilder()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("ClusterRole")
                        .withName("meshdns-reader")
                        .build());
        assertThat(binding.getSubjects())
                .containsExactly(new SubjectBuilder()
                        .withKind("ServiceAccount")
                        .withName("meshdns-reader")
                        .withNamespace("meshdns")
                        .build());
        // The default token is a TokenRequest's: no Secret holds it.
        assertThat(admin.secrets().inAnyNamespace().list().getItems()).isEmpty();
    }

    @Test
    void addLetsTheServiceAccountRenewItsOwnTokenInItsNamespaceOnly() {
        assertThat(add()).as(err.toString()).isZero();

        Role role =
                admin.rbac().roles().inAnyNamespace().list().getItems().stream().collect(single());
        assertThat(role.getMetadata().getNamespace()).isEqualTo("meshdns");
        assertThat(role.getMetadata().getName()).isEqualTo("meshdns-reader");
        assertThat(role.getMetadata().getLabels()).isEqualTo(LABEL);
        assertThat(role.getRules())
                .containsExactly(new PolicyRuleBuilder()
                        .withApiGroups("")
                        .withResources("serviceaccounts/token")
                        .withResourceNames("meshdns-reader")
                        .withVerbs("create")
                        .build());
        RoleBinding binding = admin.rbac().roleBindings().inAnyNamespace().list().getItems().stream()
                .collect(single());
        assertThat(binding.getMetadata().getNamespace()).isEqualTo("meshdns");
        assertThat(binding.getMetadata().getLabels()).isEqualTo(LABEL);
        assertThat(binding.getRoleRef())
                .isEqualTo(new RoleRefBuilder()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("Role")
                        .withName("meshdns-reader")
                        .build());
        assertThat(binding.getSubjects())
                .containsExactly(new SubjectBuilder()
                        .withKind("ServiceAccount")
                        .withName("meshdns-reader")
                        .withNamespace("meshdns")
                        .build());
    }

    private static <T> java.util.stream.Collector<T, ?, T> single() {
        return java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), list -> {
            assertThat(list).hasSize(1);
            return list.get(0);
        });
    }

    @Test
    void theClusterRoleHasTheRulesOfTheChartsMemberClusterExample() throws Exception {
        List<HasMetadata> example;
        try (var in = Files.newInputStream(Path.of("../charts/meshdns/examples/member-cluster-rbac.yaml"))) {
            example = admin.load(in).items();
        }

        assertThat(example)
                .filteredOn(o -> o instanceof ClusterRole)
                .singleElement()
                .satisfies(o -> assertThat(((ClusterRole) o).getRules())
                        .isEqualTo(MemberClusterRbac.clusterRole().getRules()));
    }

    @Test
    void theTokenRenewalRoleHasTheRulesOfTheChartsMemberClusterExample() throws Exception {
        List<HasMetadata> example;
        try (var in = Files.newInputStream(Path.of("../charts/meshdns/examples/member-cluster-rbac.yaml"))) {
            example = admin.load(in).items();
        }

        assertThat(example)
                .filteredOn(o -> o instanceof Role)
                .singleElement()
                .satisfies(o -> assertThat(((Role) o).getRules())
                        .isEqualTo(MemberClusterRbac.tokenRenewalRole("meshdns").getRules()));
    }

    @Test
    void stdoutHoldsOnlyTheClustersEntryThatMeshdnsConfigAccepts() throws Exception {
        assertThat(add()).isZero();

        assertThat(out.toString()).isEqualTo("- id: west\n  kubeconfig: " + written() + "\n");
        assertThat(err.toString()).contains("created ClusterRole meshdns-reader", "wrote " + written());
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "clusters:\n" + out.toString().indent(2));
        assertThat(ConfigLoader.load(config).clusterSpecs(dir))
                .containsExactly(ClusterSpec.ofKubeconfig("west", written(), null));
    }

    @Test
    void theKubeconfigIsTheOwnersOnlyAndCarriesTheTokenAndTheAdminsServer() {
        assertThat(add()).isZero();

        var written = KubeConfigUtils.parseConfig(written().toFile());
        assertThat(written.getCurrentContext()).isEqualTo("west");
        assertThat(written.getClusters())
                .singleElement()
                .satisfies(c -> assertThat(c.getCluster().getServer()).isEqualTo("http://127.0.0.1:" + west.port()));
        assertThat(tokenIn(written())).isNotBlank().isNotEqualTo("mock");
        assertThat(PosixFilePermissions.toString(unchecked(() -> Files.getPosixFilePermissions(written()))))
                .isEqualTo("rw-------");
    }

    private static <T> T unchecked(java.util.concurrent.Callable<T> c) {
        try {
            return c.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theTokenExpiresAfterTheTokenTtl() {
        Instant before = Instant.now();

        assertThat(add("--token-ttl", "2h")).isZero();

        Matcher expiry = Pattern.compile("expires at (\\S+):").matcher(err.toString());
        assertThat(expiry.find()).as(err.toString()).isTrue();
        assertThat(Instant.parse(expiry.group(1)))
                .isBetween(
                        before.plus(Duration.ofHours(2)).minusSeconds(1),
                        Instant.now().plus(Duration.ofHours(2)));
    }

    @Test
    void aTokenTtlUnderTenMinutesIsBadInput() {
        assertThat(add("--token-ttl", "5m")).isEqualTo(2);
        assertThat(err.toString()).contains("--token-ttl must be at least 10m");
        assertThat(admin.rbac().clusterRoles().list().getItems()).isEmpty();
    }

    @Test
    void runningAddAgainUpdatesTheSameObjectsAndRenewsTheToken() {
        assertThat(add()).isZero();
        String first = tokenIn(written());

        assertThat(add()).as(err.toString()).isZero();

        assertThat(err.toString())
                .contains("updated ClusterRole meshdns-reader", "updated ServiceAccount meshdns/meshdns-reader");
        assertThat(admin.serviceAccounts().inAnyNamespace().list().getItems()).hasSize(1);
        assertThat(admin.rbac().clusterRoles().list().getItems()).hasSize(1);
        assertThat(admin.rbac().clusterRoleBindings().list().getItems()).hasSize(1);
        assertThat(admin.rbac().clusterRoles().withName("meshdns-reader").get().getRules())
                .isEqualTo(DOCUMENTED_RULES);
        assertThat(tokenIn(written())).isNotEqualTo(first);
    }

    @Test
    void addRestoresARuleThatWasRemoved() {
        assertThat(add()).isZero();
        admin.rbac().clusterRoles().withName("meshdns-reader").edit(r -> {
            r.getRules().remove(1);
            return r;
        });

        assertThat(add()).isZero();

        assertThat(admin.rbac().clusterRoles().withName("meshdns-reader").get().getRules())
                .isEqualTo(DOCUMENTED_RULES);
    }

    @Test
    void addDoesNotTakeOverAClusterRoleItDidNotMake() {
        admin.rbac()
                .clusterRoles()
                .resource(new ClusterRoleBuilder()
                        .withNewMetadata()
                        .withName("meshdns-reader")
                        .endMetadata()
                        .addNewRule()
                        .withApiGroups("")
                        .withResources("secrets")
                        .withVerbs("get")
                        .endRule()
                        .build())
                .create();

        assertThat(add()).isEqualTo(1);

        assertThat(err.toString())
                .contains("ClusterRole meshdns-reader exists and was not made by 'meshdns cluster add'");
        assertThat(admin.rbac().clusterRoles().withName("meshdns-reader").get().getRules())
                .singleElement()
                .satisfies(r -> assertThat(r.getResources()).containsExactly("secrets"));
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aLongLivedTokenComesFromAServiceAccountTokenSecret() {
        assertThat(add("--long-lived-token")).as(err.toString()).isZero();

        var secret = admin.secrets()
                .inNamespace("meshdns")
                .withName("meshdns-reader-token")
                .get();
        assertThat(secret.getType()).isEqualTo("kubernetes.io/service-account-token");
        assertThat(secret.getMetadata().getLabels()).isEqualTo(LABEL);
        assertThat(secret.getMetadata().getAnnotations())
                .containsEntry("kubernetes.io/service-account.name", "meshdns-reader");
        assertThat(tokenIn(written()))
                .isEqualTo(
                        new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8));
        assertThat(check(written())).isZero();
    }

    @Test
    void withASecretContextTheKubeconfigBecomesASecretWhereMeshdnsRunsAndStdoutTheChartsValuesEntry() throws Exception {
        try (MockCluster hub = MockCluster.start("hub", dir)) {
            hub.namespace("meshdns");

            assertThat(run(
                            "add",
                            "--kubeconfig",
                            west.kubeconfig().toString(),
                            "--context",
                            "west",
                            "--secret-kubeconfig",
                            hub.kubeconfig().toString(),
                            "--secret-context",
                            "hub"))
                    .as(err.toString())
                    .isZero();

            assertThat(out.toString()).isEqualTo("""
          - id: west
            kubeconfigSecret:
              name: meshdns-kubeconfig-west
              key: kubeconfig
          """);
            var secret = hub.client()
                    .secrets()
                    .inNamespace("meshdns")
                    .withName("meshdns-kubeconfig-west")
                    .get();
            assertThat(secret.getMetadata().getLabels()).isEqualTo(LABEL);
            Path fromSecret = dir.resolve("from-secret.kubeconfig");
            Files.write(fromSecret, Base64.getDecoder().decode(secret.getData().get("kubeconfig")));
            assertThat(err.toString())
                    .doesNotContain("wrote")
                    .contains("created Secret meshdns/meshdns-kubeconfig-west");
            assertThat(check(fromSecret)).as(err.toString()).isZero();
        }
    }

    @Test
    void checkReportsEveryPermissionAllowedAfterAdd() {
        assertThat(add()).isZero();

        assertThat(check(written())).as(err.toString()).isZero();

        assertThat(out.toString()).isEqualTo("""
        allowed  get services
        allowed  list services
        allowed  watch services
        allowed  get endpointslices.discovery.k8s.io
        allowed  list endpointslices.discovery.k8s.io
        allowed  watch endpointslices.discovery.k8s.io
        allowed  get serviceexports.multicluster.x-k8s.io
        allowed  list serviceexports.multicluster.x-k8s.io
        allowed  watch serviceexports.multicluster.x-k8s.io
        allowed  get serviceimports.multicluster.x-k8s.io
        allowed  list serviceimports.multicluster.x-k8s.io
        allowed  watch serviceimports.multicluster.x-k8s.io
        allowed  get customresourcedefinitions.apiextensions.k8s.io/serviceexports.multicluster.x-k8s.io
        allowed  get customresourcedefinitions.apiextensions.k8s.io/serviceimports.multicluster.x-k8s.io
        allowed  get clusterproperties.about.k8s.io/id.k8s.io
        allowed  create serviceaccounts/token/meshdns-reader in namespace meshdns
        """);
        assertThat(err.toString()).contains("all 16 permissions allowed");
    }

    @Test
    void checkNamesTheMissingPermissionWhenARuleLosesAVerb() {
        assertThat(add()).isZero();
        admin.rbac().clusterRoles().withName("meshdns-reader").edit(r -> {
            r.getRules().get(1).setVerbs(List.of("get", "list"));
            return r;
        });

        assertThat(check(written())).isEqualTo(1);

        assertThat(out.toString().lines().filter(l -> l.startsWith("missing")))
                .containsExactly("missing  watch endpointslices.discovery.k8s.io");
        assertThat(out.toString().lines()).hasSize(16);
        assertThat(err.toString()).contains("1 of 16 permissions missing", "watch endpointslices.discovery.k8s.io");
    }

    @Test
    void checkNamesTheTokenRenewalWhenItsRoleBindingIsGone() {
        assertThat(add()).isZero();
        admin.rbac()
                .roleBindings()
                .inNamespace("meshdns")
                .withName("meshdns-reader")
                .delete();

        assertThat(check(written())).isEqualTo(1);

        assertThat(out.toString().lines().filter(l -> l.startsWith("missing")))
                .containsExactly("missing  create serviceaccounts/token/meshdns-reader in namespace meshdns");
    }

    @Test
    void checkSaysClearlyWhenTheClusterIsUnreachable() {
        assertThat(add()).isZero();
        west.stop();

        assertThat(check(written())).isEqualTo(1);

        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .startsWith("meshdns: cluster check: cannot reach the API server at http://127.0.0.1:" + west.port());
    }

    @Test
    void removeDeletesWhatAddMadeAndTheTokenStopsWorking() {
        assertThat(add()).isZero();
        admin.rbac()
                .clusterRoles()
                .resource(new ClusterRoleBuilder()
                        .withNewMetadata()
                        .withName("someone-elses")
                        .endMetadata()
                        .build())
                .create();

        assertThat(remove()).as(err.toString()).isZero();

        assertThat(out.toString()).isEmpty();
        assertThat(err.toString())
                .contains(
                        "deleted RoleBinding meshdns/meshdns-reader",
                        "deleted Role meshdns/meshdns-reader",
                        "deleted ClusterRoleBinding meshdns-reader",
                        "deleted ClusterRole meshdns-reader",
                        "deleted ServiceAccount meshdns/meshdns-reader",
                        "deleted Namespace meshdns",
                        "6 object(s) deleted");
        assertThat(admin.rbac().clusterRoles().list().getItems())
                .extracting(r -> r.getMetadata().getName())
                .containsExactly("someone-elses");
        assertThat(admin.rbac().clusterRoleBindings().list().getItems()).isEmpty();
        assertThat(admin.rbac().roles().inAnyNamespace().list().getItems()).isEmpty();
        assertThat(admin.rbac().roleBindings().inAnyNamespace().list().getItems())
                .isEmpty();
        assertThat(admin.serviceAccounts().inAnyNamespace().list().getItems()).isEmpty();
        assertThat(admin.namespaces().withName("meshdns").get()).isNull();

        assertThat(check(written())).isEqualTo(1);
        assertThat(err.toString()).contains("HTTP 401");
    }

    @Test
    void removeDeletesTheLongLivedTokenSecret() {
        assertThat(add("--long-lived-token")).isZero();

        assertThat(remove()).isZero();

        assertThat(err.toString()).contains("deleted Secret meshdns/meshdns-reader-token");
        assertThat(admin.secrets().inAnyNamespace().list().getItems()).isEmpty();
    }

    @Test
    void removeTwiceFindsNothingTheSecondTime() {
        assertThat(add()).isZero();
        assertThat(remove()).isZero();

        assertThat(remove()).isZero();

        assertThat(err.toString()).contains("0 object(s) deleted");
    }

    @Test
    void removeKeepsTheNamespaceWhenItHoldsSomethingElse() {
        assertThat(add()).isZero();
        admin.configMaps()
                .inNamespace("meshdns")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("mine")
                        .endMetadata()
                        .build())
                .create();

        assertThat(remove()).isZero();

        assertThat(err.toString()).contains("kept Namespace meshdns: it holds 1 configmaps");
        assertThat(admin.namespaces().withName("meshdns").get()).isNotNull();
        assertThat(admin.serviceAccounts().inAnyNamespace().list().getItems()).isEmpty();
    }

    @Test
    void removeKeepsANamespaceThatExistedBeforeAdd() {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("meshdns")
                        .endMetadata()
                        .build())
                .create();
        assertThat(add()).isZero();

        assertThat(remove()).isZero();

        assertThat(admin.namespaces().withName("meshdns").get()).isNotNull();
        assertThat(admin.rbac().clusterRoles().list().getItems()).isEmpty();
    }
}
