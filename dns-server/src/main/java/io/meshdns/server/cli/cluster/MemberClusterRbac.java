package io.meshdns.server.cli.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.meshdns.core.KubernetesNames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The read-only identity meshdns uses in a member cluster, as {@code meshdns cluster add} creates it: a
 * ServiceAccount in a namespace of its own, a ClusterRole with the rules below and nothing else, the binding of
 * the two, a Role and RoleBinding letting it renew its own token ({@link #tokenRenewalRule}), and (with {@code --long-lived-token}) a token Secret. Every object carries
 * {@code app.kubernetes.io/managed-by: meshdns}, so that {@code cluster remove} deletes only what add made.
 * The rules are those of the chart's ClusterRole and of {@code charts/meshdns/examples/member-cluster-rbac.yaml}:
 * what {@code ClusterWatcher} reads. {@code cluster check} checks exactly these permissions.
 */
final class MemberClusterRbac {
    /** The name of the ServiceAccount, the ClusterRole and the ClusterRoleBinding. */
    static final String NAME = "meshdns-reader";
    /** The Secret holding a long-lived token, with {@code --long-lived-token}. */
    static final String TOKEN_SECRET = "meshdns-reader-token";

    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MESHDNS = "meshdns";
    private static final Map<String, String> LABELS = Map.of(MANAGED_BY, MESHDNS);
    private static final String RBAC_GROUP = "rbac.authorization.k8s.io";

    private MemberClusterRbac() {}

    /** get/list/watch of what meshdns watches; get of the two MCS CRDs and of the cluster's id property, by name. */
    static List<PolicyRule> rules() {
        String[] read = {"get", "list", "watch"};
        return List.of(
                new PolicyRuleBuilder()
                        .withApiGroups("")
                        .withResources("services")
                        .withVerbs(read)
                        .build(),
                new PolicyRuleBuilder()
                        .withApiGroups("discovery.k8s.io")
                        .withResources("endpointslices")
                        .withVerbs(read)
                        .build(),
                new PolicyRuleBuilder()
                        .withApiGroups(KubernetesNames.MCS_GROUP)
                        .withResources(KubernetesNames.SERVICE_EXPORT.plural(), KubernetesNames.SERVICE_IMPORT.plural())
                        .withVerbs(read)
                        .build(),
                // Whether ServiceExports and ServiceImports exist in the cluster: these two CRDs by name, nothing else.
                new PolicyRuleBuilder()
                        .withApiGroups("apiextensions.k8s.io")
                        .withResources("customresourcedefinitions")
                        .withResourceNames(
                                KubernetesNames.SERVICE_EXPORT.crdName(), KubernetesNames.SERVICE_IMPORT.crdName())
                        .withVerbs("get")
                        .build(),
                // KEP-2149: the cluster's own id, checked against the configured one.
                new PolicyRuleBuilder()
                        .withApiGroups(KubernetesNames.ABOUT_GROUP)
                        .withResources(KubernetesNames.CLUSTER_PROPERTY.plural())
                        .withResourceNames(KubernetesNames.CLUSTER_ID_PROPERTY)
                        .withVerbs("get")
                        .build());
    }

    /** One permission of {@link #rules}: {@code verb} on {@code resource} of {@code group}, {@code name} or all. */
    record Permission(String verb, String group, String resource, String name, String namespace) {
        Permission(String verb, String group, String resource, String name) {
            this(verb, group, resource, name, null);
        }

        /**
         * As kubectl names it: {@code list services}, {@code get customresourcedefinitions.apiextensions.k8s.io/NAME},
         * {@code create serviceaccounts/token/NAME in namespace NS}.
         */
        String text() {
            return verb + " " + resource + (group.isEmpty() ? "" : "." + group) + (name == null ? "" : "/" + name)
                    + (namespace == null ? "" : " in namespace " + namespace);
        }
    }

    /** Every permission the rules grant, and the renewal of the ServiceAccount's token in {@code namespace}. */
    static List<Permission> permissions(String namespace) {
        List<Permission> all = new ArrayList<>(permissions());
        PolicyRule renewal = tokenRenewalRule();
        all.add(new Permission(
                renewal.getVerbs().get(0),
                renewal.getApiGroups().get(0),
                renewal.getResources().get(0),
                renewal.getResourceNames().get(0),
                namespace));
        return all;
    }

    /** Every permission the rules grant, one per verb, resource and name. */
    static List<Permission> permissions() {
        List<Permission> all = new ArrayList<>();
        for (PolicyRule rule : rules()) {
            for (String resource : rule.getResources()) {
                List<String> names =
                        rule.getResourceNames().isEmpty() ? Collections.singletonList(null) : rule.getResourceNames();
                for (String verb : rule.getVerbs()) {
                    for (String name : names) {
                        all.add(new Permission(verb, rule.getApiGroups().get(0), resource, name));
                    }
                }
            }
        }
        return all;
    }

    static Namespace namespace(String namespace) {
        return new NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .withLabels(LABELS)
                .endMetadata()
                .build();
    }

    static ServiceAccount serviceAccount(String namespace) {
        // meshdns authenticates with a token; it never runs pods here.
        return new ServiceAccountBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .endMetadata()
                .withAutomountServiceAccountToken(false)
                .build();
    }

    static ClusterRole clusterRole() {
        return new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withLabels(LABELS)
                .endMetadata()
                .withRules(rules())
                .build();
    }

    static ClusterRoleBinding clusterRoleBinding(String namespace) {
        return new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withLabels(LABELS)
                .endMetadata()
                .withNewRoleRef(RBAC_GROUP, "ClusterRole", NAME)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(NAME)
                .withNamespace(namespace)
                .endSubject()
                .build();
    }

    /**
     * The one thing meshdns may do in the namespace of its ServiceAccount: request a new token for that
     * ServiceAccount (TokenRequest, {@code create serviceaccounts/token} by name), so that the server renews the
     * expiring token of its kubeconfig before it ends. A Role, not a rule of the ClusterRole: it grants in this
     * namespace only, and the ClusterRole stays the read-only rules the chart's own ClusterRole has.
     */
    static PolicyRule tokenRenewalRule() {
        return new PolicyRuleBuilder()
                .withApiGroups("")
                .withResources("serviceaccounts/token")
                .withResourceNames(NAME)
                .withVerbs("create")
                .build();
    }

    static Role tokenRenewalRole(String namespace) {
        return new RoleBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .endMetadata()
                .withRules(tokenRenewalRule())
                .build();
    }

    static RoleBinding tokenRenewalRoleBinding(String namespace) {
        return new RoleBindingBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .endMetadata()
                .withNewRoleRef(RBAC_GROUP, "Role", NAME)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(NAME)
                .withNamespace(namespace)
                .endSubject()
                .build();
    }

    /** A token that does not expire, filled in by the cluster's token controller (Kubernetes 1.24+ makes none itself). */
    static Secret tokenSecret(String namespace) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(TOKEN_SECRET)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .addToAnnotations("kubernetes.io/service-account.name", NAME)
                .endMetadata()
                .withType("kubernetes.io/service-account-token")
                .build();
    }

    /** The key of the kubeconfig in its Secret, where the Helm chart looks for it. */
    static final String KUBECONFIG_KEY = "kubeconfig";

    /** The member kubeconfig as a Secret in the cluster meshdns runs in (not in the member cluster). */
    static Secret kubeconfigSecret(String namespace, String name, String kubeconfig) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .endMetadata()
                .withType("Opaque")
                .addToData(
                        KUBECONFIG_KEY, Base64.getEncoder().encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    /** Whether {@code object} was made by {@code cluster add} (and so may be changed or deleted by it). */
    static boolean managed(HasMetadata object) {
        return object.getMetadata().getLabels() != null
                && MESHDNS.equals(object.getMetadata().getLabels().get(MANAGED_BY));
    }
}
