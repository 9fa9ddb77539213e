package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.readySlice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshdns.testkit.MeshObjects;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A member kubeconfig holding an expiring TokenRequest token of ServiceAccount {@code meshdns-reader} (what
 * {@code meshdns cluster add} writes): the watcher renews the token before it ends, with the token's own right to
 * {@code create serviceaccounts/token} on its ServiceAccount, and keeps the kubeconfig file current.
 */
class TokenRenewalTest extends WatchedClusters {
    private static final String NS = "meshdns-reader";
    private static final String SA = "meshdns-reader";
    /** The lifetime of the expiring token the first test starts with; its renewals ask for the same. */
    private static final int LIFETIME_SECONDS = 5;

    TokenRenewalTest() {
        super(1);
    }

    @Test
    void aClusterKeepsSyncingAfterItsOriginalTokenExpiredAndTheKubeconfigHoldsTheRenewedOne() throws IOException {
        KubernetesClient admin = east.client();
        readerIdentity(admin);
        // 5 s: each renewal, at 80% of a lifetime, has a second before the token it renews with ends (3 s left
        // 0.6 s, which a loaded machine once missed).
        String original = token(admin, LIFETIME_SECONDS);
        Instant originalExpiry = MemberToken.claims(original).expires();
        Path kubeconfig = dir.resolve("east-member.kubeconfig");
        Files.writeString(kubeconfig, Files.readString(east.kubeconfig()).replace("token: mock", "token: " + original));
        east.create(MeshObjects.service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-1", "10.0.0.1"));

        // The services watch delivers nothing until it ends: east learns of cart only by a relist, made after the
        // original token ended, which must authenticate with the renewed one.
        east.stallNextWatchOf("services");
        mesh = TestMesh.start(TestMesh.fast(), ClusterSpec.ofKubeconfig(east.id(), kubeconfig, east.id()));
        await(mesh, "east's web", has(east, "shop", "web"));
        // Renewed at 80% of each lifetime: the first renewal ends before originalExpiry + lifetime, the second,
        // made after the original token ended, after it.
        await(mesh, "a token renewed after the original ended", s -> {
            Instant expires = s.clusters().get(ClusterId.of("east")).credentialExpires();
            return expires != null && expires.isAfter(originalExpiry.plusSeconds(LIFETIME_SECONDS));
        });
        assertThatThrownBy(() -> readAs(original))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(401));

        east.create(MeshObjects.service("shop", "cart", "10.96.0.11", true));
        east.create(readySlice("shop", "cart", "cart-1", "10.0.0.2"));
        east.expireStalledWatches();
        await(mesh, "east's cart, relisted after the original token expired", has(east, "shop", "cart"));

        String saved = Files.readAllLines(kubeconfig).stream()
                .filter(l -> l.trim().startsWith("token:"))
                .map(l -> l.trim().substring("token:".length()).trim())
                .findFirst()
                .orElseThrow();
        assertThat(saved).isNotEqualTo(original);
        assertThat(MemberToken.claims(saved).expires()).isAfter(originalExpiry);
        assertThat(readAs(saved)).isNotNull();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kubeconfig)))
                .isEqualTo("rw-------");
    }

    @Test
    void aClusterRefusingAnExpiredTokenTakesTheNewTokenAnOperatorWritesIntoTheKubeconfig() throws IOException {
        KubernetesClient admin = east.client();
        readerIdentity(admin);
        Path kubeconfig = dir.resolve("east-member.kubeconfig");
        String template = Files.readString(east.kubeconfig());
        // Ended already (a pod restarted from a Secret whose token nobody renewed): renewing with it is refused.
        Files.writeString(kubeconfig, template.replace("token: mock", "token: " + token(admin, 0)));
        east.create(MeshObjects.service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-1", "10.0.0.1"));

        mesh = TestMesh.start(TestMesh.fast(), ClusterSpec.ofKubeconfig(east.id(), kubeconfig, east.id()));
        await(mesh, "east refusing the expired token", s -> {
            ClusterHealth h = s.clusters().get(ClusterId.of("east")); // absent from snapshots before it is added
            return h != null
                    && h.state() == ClusterState.ERROR
                    && h.reason() != null
                    && h.reason().contains("401");
        });

        // What 'meshdns cluster add' run again does: a new token in the kubeconfig file (or its Secret).
        String fresh = token(admin, 600);
        Files.writeString(kubeconfig, template.replace("token: mock", "token: " + fresh));

        var s = await(mesh, "east's web, read with the operator's new token", has(east, "shop", "web"));
        assertThat(s.clusters().get(ClusterId.of("east")).credentialExpires())
                .isEqualTo(MemberToken.claims(fresh).expires());
    }

    /** What {@code meshdns cluster add} creates: read rules cluster-wide, token renewal in its own namespace. */
    private static void readerIdentity(KubernetesClient admin) {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NS)
                        .endMetadata()
                        .build())
                .create();
        admin.serviceAccounts()
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(SA)
                        .withNamespace(NS)
                        .endMetadata()
                        .build())
                .create();
        admin.rbac()
                .clusterRoles()
                .resource(new ClusterRoleBuilder()
                        .withNewMetadata()
                        .withName(SA)
                        .endMetadata()
                        .withRules(
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
                                        .withApiGroups("apiextensions.k8s.io")
                                        .withResources("customresourcedefinitions")
                                        .withVerbs("get")
                                        .build())
                        .build())
                .create();
        admin.rbac()
                .clusterRoleBindings()
                .resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName(SA)
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", SA)
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(SA)
                        .withNamespace(NS)
                        .endSubject()
                        .build())
                .create();
        admin.rbac()
                .roles()
                .resource(new RoleBuilder()
                        .withNewMetadata()
                        .withName(SA)
                        .withNamespace(NS)
                        .endMetadata()
                        .addNewRule()
                        .withApiGroups("")
                        .withResources("serviceaccounts/token")
                        .withResourceNames(SA)
                        .withVerbs("create")
                        .endRule()
                        .build())
                .create();
        admin.rbac()
                .roleBindings()
                .resource(new RoleBindingBuilder()
                        .withNewMetadata()
                        .withName(SA)
                        .withNamespace(NS)
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", SA)
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(SA)
                        .withNamespace(NS)
                        .endSubject()
                        .build())
                .create();
    }

    /** A TokenRequest token of the reader, as {@code cluster add} requests it (the mock allows seconds). */
    private static String token(KubernetesClient admin, long seconds) {
        return admin.serviceAccounts()
                .inNamespace(NS)
                .withName(SA)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(seconds)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
    }

    /** The services of namespace shop, read with {@code token} alone. */
    private Object readAs(String token) {
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl(east.client().getMasterUrl().toString())
                        .withOauthToken(token)
                        .withTrustCerts(true)
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build()) {
            return client.services().inNamespace("shop").list();
        }
    }
}
