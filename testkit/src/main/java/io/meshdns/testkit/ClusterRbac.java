package io.meshdns.testkit;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingList;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingList;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import java.util.List;
import java.util.function.Function;

/**
 * RBAC as Kubernetes's authorizer decides it, over the ClusterRoles and ClusterRoleBindings stored in one mock
 * API server: a ServiceAccount may do a verb on a resource when a ClusterRoleBinding naming it (or the groups
 * {@code system:serviceaccounts}, {@code system:serviceaccounts:NS}, {@code system:authenticated}) refers to a
 * ClusterRole with a rule whose apiGroups, resources ({@code resource/subresource} for a subresource) and verbs
 * hold the request's values or {@code *}, and whose resourceNames, when set, hold the request's name (so such
 * a rule never grants list or watch); a RoleBinding likewise grants the rules of its Role (or ClusterRole) in its
 * own namespace only. Rules only grant. Aggregated ClusterRoles are not evaluated: meshdns's member-cluster
 * identity uses none.
 */
final class ClusterRbac {
    static final String BINDINGS = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    static final String ROLES = "/apis/rbac.authorization.k8s.io/v1/clusterroles/";

    /** A read of a stored object or list by its API path (the CRUD dispatcher's get). */
    private final Function<String, MockResponse> get;

    ClusterRbac(Function<String, MockResponse> get) {
        this.get = get;
    }

    /**
     * Whether {@code namespace/serviceAccount} may do it; {@code name} is {@code null} for collections,
     * {@code requestNamespace} is the namespace of the object or collection asked about ({@code null} for a
     * cluster-scoped one or all namespaces).
     */
    boolean allows(
            String namespace,
            String serviceAccount,
            String verb,
            String group,
            String resource,
            String name,
            String requestNamespace) {
        ClusterRoleBindingList bindings = read(BINDINGS, ClusterRoleBindingList.class);
        if (bindings != null && bindings.getItems() != null) {
            for (ClusterRoleBinding binding : bindings.getItems()) {
                if (binds(binding.getSubjects(), namespace, serviceAccount)
                        && binding.getRoleRef() != null
                        && "ClusterRole".equals(binding.getRoleRef().getKind())
                        && grants(
                                read(ROLES + binding.getRoleRef().getName(), ClusterRole.class),
                                verb,
                                group,
                                resource,
                                name)) {
                    return true;
                }
            }
        }
        if (requestNamespace == null) {
            return false;
        }
        // A RoleBinding grants in its own namespace only, the rules of a Role of that namespace or of a ClusterRole.
        String namespaced = "/apis/rbac.authorization.k8s.io/v1/namespaces/" + requestNamespace;
        RoleBindingList roleBindings = read(namespaced + "/rolebindings", RoleBindingList.class);
        if (roleBindings == null || roleBindings.getItems() == null) {
            return false;
        }
        for (RoleBinding binding : roleBindings.getItems()) {
            if (!binds(binding.getSubjects(), namespace, serviceAccount) || binding.getRoleRef() == null) {
                continue;
            }
            String kind = binding.getRoleRef().getKind();
            String role = binding.getRoleRef().getName();
            if ("Role".equals(kind)
                    && grants(read(namespaced + "/roles/" + role, Role.class), verb, group, resource, name)) {
                return true;
            }
            if ("ClusterRole".equals(kind)
                    && grants(read(ROLES + role, ClusterRole.class), verb, group, resource, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean grants(HasMetadata role, String verb, String group, String resource, String name) {
        List<PolicyRule> rules =
                role instanceof ClusterRole c ? c.getRules() : role instanceof Role r ? r.getRules() : null;
        return rules != null && rules.stream().anyMatch(rule -> grants(rule, verb, group, resource, name));
    }

    private static boolean binds(List<Subject> subjects, String namespace, String serviceAccount) {
        if (subjects == null) {
            return false;
        }
        for (Subject s : subjects) {
            if ("ServiceAccount".equals(s.getKind())
                    && serviceAccount.equals(s.getName())
                    && namespace.equals(s.getNamespace())) {
                return true;
            }
            if ("Group".equals(s.getKind())
                    && List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated")
                            .contains(s.getName())) {
                return true;
            }
        }
        return false;
    }

    static boolean grants(PolicyRule rule, String verb, String group, String resource, String name) {
        boolean named = rule.getResourceNames() == null
                || rule.getResourceNames().isEmpty()
                || (name != null && rule.getResourceNames().contains(name));
        return matches(rule.getApiGroups(), group)
                && matches(rule.getResources(), resource)
                && matches(rule.getVerbs(), verb)
                && named;
    }

    private static boolean matches(List<String> allowed, String value) {
        return allowed != null && (allowed.contains("*") || allowed.contains(value));
    }

    /** The stored object or list a read answered with, as JSON; {@code null} when it is missing (404, a Status). */
    static String stored(MockResponse response) {
        if (response.getBody() == null) {
            return null;
        }
        String body = response.getBody().readUtf8();
        return body.isBlank()
                        || "Status"
                                .equals(Serialization.unmarshal(body, GenericKubernetesResource.class)
                                        .getKind())
                ? null
                : body;
    }

    private <T> T read(String path, Class<T> type) {
        String body = stored(get.apply(path));
        return body == null ? null : Serialization.unmarshal(body, type);
    }
}
