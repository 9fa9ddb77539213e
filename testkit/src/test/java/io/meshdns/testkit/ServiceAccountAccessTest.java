package io.meshdns.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A mock cluster authenticates the ServiceAccount tokens it issues and authorizes their requests with the
 * ClusterRoles bound to the account, as a real API server does; SelfSubjectAccessReviews answer from the same
 * rules. Other credentials (the testkit's kubeconfigs) stay the admin.
 */
class ServiceAccountAccessTest {
    private MockCluster cluster;
    private KubernetesClient admin;

    @BeforeEach
    void start() {
        cluster = MockCluster.start("east");
        admin = cluster.client();
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("meshdns")
                        .endMetadata()
                        .build())
                .create();
        admin.serviceAccounts()
                .inNamespace("meshdns")
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("reader")
                        .endMetadata()
                        .build())
                .create();
        admin.rbac()
                .clusterRoles()
                .resource(new ClusterRoleBuilder()
                        .withNewMetadata()
                        .withName("reader")
                        .endMetadata()
                        .withRules(
                                new PolicyRuleBuilder()
                                        .withApiGroups("")
                                        .withResources("services")
                                        .withVerbs("get", "list", "watch")
                                        .build(),
                                new PolicyRuleBuilder()
                                        .withApiGroups("apiextensions.k8s.io")
                                        .withResources("customresourcedefinitions")
                                        .withResourceNames("serviceexports.multicluster.x-k8s.io")
                                        .withVerbs("get")
                                        .build(),
                                new PolicyRuleBuilder()
                                        .withApiGroups("discovery.k8s.io")
                                        .withResources("*")
                                        .withVerbs("*")
                                        .build())
                        .build())
                .create();
        admin.rbac()
                .clusterRoleBindings()
                .resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName("reader")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "reader")
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName("reader")
                        .withNamespace("meshdns")
                        .endSubject()
                        .build())
                .create();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private TokenRequest tokenRequest(String account, long seconds) {
        return admin.serviceAccounts()
                .inNamespace("meshdns")
                .withName(account)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(seconds)
                        .endSpec()
                        .build());
    }

    private KubernetesClient as(String token) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + cluster.port())
                .withOauthToken(token)
                .withRequestRetryBackoffLimit(0)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private boolean allowed(KubernetesClient client, String verb, String group, String resource, String name) {
        return client.authorization()
                .v1()
                .selfSubjectAccessReview()
                .create(new SelfSubjectAccessReviewBuilder()
                        .withNewSpec()
                        .withNewResourceAttributes()
                        .withVerb(verb)
                        .withGroup(group)
                        .withResource(resource)
                        .withName(name)
                        .endResourceAttributes()
                        .endSpec()
                        .build())
                .getStatus()
                .getAllowed();
    }

    @Test
    void aTokenRequestGivesATokenThatExpiresWhenAsked() {
        Instant before = Instant.now();

        TokenRequest answered = tokenRequest("reader", 7200);

        assertThat(answered.getStatus().getToken()).isNotBlank();
        assertThat(Instant.parse(answered.getStatus().getExpirationTimestamp()))
                .isBetween(before.plus(Duration.ofSeconds(7199)), Instant.now().plus(Duration.ofSeconds(7200)));
    }

    @Test
    void aTokenRequestForAMissingServiceAccountIsNotFound() {
        assertThatThrownBy(() -> tokenRequest("nobody", 3600))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(404));
    }

    @Test
    void aServiceAccountTokenMayDoWhatItsClusterRoleGrantsAndNothingElse() {
        try (KubernetesClient reader =
                as(tokenRequest("reader", 3600).getStatus().getToken())) {
            assertThat(reader.services().inAnyNamespace().list().getItems()).isEmpty();
            assertThat(reader.discovery()
                            .v1()
                            .endpointSlices()
                            .inAnyNamespace()
                            .list()
                            .getItems())
                    .isEmpty();

            assertThatThrownBy(() -> reader.secrets().inAnyNamespace().list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage())
                                .contains("system:serviceaccount:meshdns:reader")
                                .contains("cannot list");
                    });
            assertThatThrownBy(() -> reader.services()
                            .inNamespace("meshdns")
                            .resource(new ServiceBuilder()
                                    .withNewMetadata()
                                    .withName("x")
                                    .endMetadata()
                                    .build())
                            .create())
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(403));
        }
    }

    @Test
    void selfSubjectAccessReviewsAnswerFromTheBoundRulesWildcardsAndResourceNamesIncluded() {
        try (KubernetesClient reader =
                as(tokenRequest("reader", 3600).getStatus().getToken())) {
            assertThat(allowed(reader, "watch", "", "services", null)).isTrue();
            assertThat(allowed(reader, "delete", "", "services", null)).isFalse();
            assertThat(allowed(reader, "list", "", "secrets", null)).isFalse();
            assertThat(allowed(reader, "delete", "discovery.k8s.io", "endpointslices", null))
                    .isTrue();
            assertThat(allowed(
                            reader,
                            "get",
                            "apiextensions.k8s.io",
                            "customresourcedefinitions",
                            "serviceexports.multicluster.x-k8s.io"))
                    .isTrue();
            assertThat(allowed(reader, "get", "apiextensions.k8s.io", "customresourcedefinitions", "other.example.com"))
                    .isFalse();
            assertThat(allowed(reader, "list", "apiextensions.k8s.io", "customresourcedefinitions", null))
                    .isFalse();

            admin.rbac().clusterRoles().withName("reader").edit(role -> {
                role.getRules().remove(0);
                return role;
            });

            assertThat(allowed(reader, "watch", "", "services", null)).isFalse();
        }
        assertThat(allowed(admin, "delete", "", "secrets", null)).isTrue();
    }

    @Test
    void aTokenSecretGetsALongLivedTokenThatWorksUntilTheSecretIsDeleted() {
        admin.secrets()
                .inNamespace("meshdns")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("reader-token")
                        .addToAnnotations("kubernetes.io/service-account.name", "reader")
                        .endMetadata()
                        .withType("kubernetes.io/service-account-token")
                        .build())
                .create();
        String token = new String(
                Base64.getDecoder()
                        .decode(admin.secrets()
                                .inNamespace("meshdns")
                                .withName("reader-token")
                                .get()
                                .getData()
                                .get("token")),
                StandardCharsets.UTF_8);

        try (KubernetesClient reader = as(token)) {
            assertThat(reader.services().inAnyNamespace().list().getItems()).isEmpty();

            admin.secrets().inNamespace("meshdns").withName("reader-token").delete();

            assertThatThrownBy(() -> reader.services().inAnyNamespace().list())
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(401));
        }
    }

    @Test
    void otherSecretsAreStoredAsSent() {
        admin.secrets()
                .inNamespace("meshdns")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("plain")
                        .endMetadata()
                        .withType("Opaque")
                        .addToData("key", "dmFsdWU=")
                        .build())
                .create();

        assertThat(admin.secrets()
                        .inNamespace("meshdns")
                        .withName("plain")
                        .get()
                        .getData())
                .containsExactly(java.util.Map.entry("key", "dmFsdWU="));
    }

    @Test
    void aTokenStopsAuthenticatingWhenItsServiceAccountIsDeleted() {
        try (KubernetesClient reader =
                as(tokenRequest("reader", 3600).getStatus().getToken())) {
            admin.serviceAccounts().inNamespace("meshdns").withName("reader").delete();

            assertThatThrownBy(() -> reader.services().inAnyNamespace().list())
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(401));
        }
    }
}
