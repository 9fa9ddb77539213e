package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** examples/member-cluster-rbac.yaml: the read-only identity meshdns uses in a remote member cluster. */
class MemberClusterRbacExampleTest {
    private final Rendered example = parse();

    private static Rendered parse() {
        try {
            return Rendered.parse(Files.readString(MeshdnsChart.DIR.resolve("examples/member-cluster-rbac.yaml")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void grantsExactlyTheRulesOfTheChartsOwnClusterRole() {
        ClusterRole chartRole = MeshdnsChart.template().one(ClusterRole.class);

        assertThat(example.one(ClusterRole.class).getRules()).isEqualTo(chartRole.getRules());
    }

    @Test
    void letsTheServiceAccountRenewOnlyItsOwnTokenInItsOwnNamespace() {
        ServiceAccount account = example.one(ServiceAccount.class);
        Role role = example.one(Role.class);
        RoleBinding binding = example.one(RoleBinding.class);

        assertThat(role.getMetadata().getNamespace())
                .isEqualTo(account.getMetadata().getNamespace());
        assertThat(role.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactly("serviceaccounts/token");
            assertThat(rule.getResourceNames())
                    .containsExactly(account.getMetadata().getName());
            assertThat(rule.getVerbs()).containsExactly("create");
        });
        assertThat(binding.getMetadata().getNamespace())
                .isEqualTo(account.getMetadata().getNamespace());
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(s.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
        });
    }

    @Test
    void bindsTheRoleToTheServiceAccountWhoseTokenItCreates() {
        ServiceAccount account = example.one(ServiceAccount.class);
        ClusterRoleBinding binding = example.one(ClusterRoleBinding.class);
        Secret token = example.one(Secret.class);

        assertThat(binding.getRoleRef().getName())
                .isEqualTo(example.one(ClusterRole.class).getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(s.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
        });
        assertThat(token.getType()).isEqualTo("kubernetes.io/service-account-token");
        assertThat(token.getMetadata().getAnnotations())
                .containsEntry(
                        "kubernetes.io/service-account.name",
                        account.getMetadata().getName());
        assertThat(token.getMetadata().getNamespace())
                .isEqualTo(account.getMetadata().getNamespace());
    }
}
