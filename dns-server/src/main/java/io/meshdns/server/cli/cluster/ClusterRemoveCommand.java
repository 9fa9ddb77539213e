package io.meshdns.server.cli.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshdns.server.cli.ExitCode;
import io.meshdns.server.cli.LogOptions;
import io.meshdns.server.config.ServerConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meshdns cluster remove}: deletes what {@code cluster add} created in a member cluster, by name and
 * only when it carries add's label, which revokes its tokens. The namespace goes only if add created it and
 * nothing else is left in it. Running it again finds nothing to delete. Reports on stderr; stdout stays empty.
 */
@Command(
        name = "remove",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Delete what 'meshdns cluster add' created in a member cluster: RoleBinding, Role, ClusterRoleBinding, ClusterRole,"
                    + " ServiceAccount and token Secret " + MemberClusterRbac.NAME + "*, each only if labelled"
                    + " app.kubernetes.io/managed-by=meshdns. Its tokens stop working. The namespace is deleted only if add"
                    + " created it and it holds nothing else (pods, services, configmaps, secrets, serviceaccounts,"
                    + " deployments, statefulsets, daemonsets, jobs). Idempotent. The kubeconfig file and the config entry"
                    + " are yours to delete."
        })
public final class ClusterRemoveCommand implements Callable<Integer> {
    @CommandLine.Mixin
    KubeconfigContextOptions target = new KubeconfigContextOptions();

    @Option(
            names = "--namespace",
            paramLabel = "NS",
            defaultValue = "meshdns",
            description = "The namespace given to 'cluster add'. Default: ${DEFAULT-VALUE}.")
    String namespace;

    @CommandLine.Mixin
    LogOptions logs = new LogOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        logs.validate(spec.commandLine());
        logs.apply(ServerConfig.defaults().logging());
        String apiServer = "?";
        try {
            String context = target.contextName(target.read());
            try (KubernetesClient client = target.connect(context)) {
                apiServer = client.getMasterUrl().toString();
                int removed = 0;
                removed += delete(client, MemberClusterRbac.tokenRenewalRoleBinding(namespace), err);
                removed += delete(client, MemberClusterRbac.tokenRenewalRole(namespace), err);
                removed += delete(client, MemberClusterRbac.clusterRoleBinding(namespace), err);
                removed += delete(client, MemberClusterRbac.clusterRole(), err);
                removed += delete(client, MemberClusterRbac.tokenSecret(namespace), err);
                removed += delete(client, MemberClusterRbac.serviceAccount(namespace), err);
                removed += deleteNamespaceIfEmpty(client, err);
                err.printf("cluster remove: %d object(s) deleted from context %s%n", removed, context);
            }
            err.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("meshdns: " + e.getMessage());
            err.flush();
            return ExitCode.BAD_INPUT;
        } catch (KubernetesClientException e) {
            err.println("meshdns: cluster remove: " + ClusterCommand.problem(apiServer, e));
            err.flush();
            return ExitCode.FAILED;
        }
    }

    private static int delete(KubernetesClient client, HasMetadata made, PrintWriter err) {
        String what = made.getKind() + " "
                + (made.getMetadata().getNamespace() == null
                        ? ""
                        : made.getMetadata().getNamespace() + "/")
                + made.getMetadata().getName();
        HasMetadata existing = client.resource(made).get();
        if (existing == null) {
            return 0;
        }
        if (!MemberClusterRbac.managed(existing)) {
            err.printf(
                    "cluster remove: left %s: not made by 'meshdns cluster add' (no label %s=%s)%n",
                    what, MemberClusterRbac.MANAGED_BY, MemberClusterRbac.MESHDNS);
            return 0;
        }
        client.resource(existing).delete();
        err.printf("cluster remove: deleted %s%n", what);
        return 1;
    }

    private int deleteNamespaceIfEmpty(KubernetesClient client, PrintWriter err) {
        Namespace existing = client.namespaces().withName(namespace).get();
        if (existing == null || !MemberClusterRbac.managed(existing)) {
            return 0; // it was there before cluster add, or is gone already
        }
        List<String> held = new ArrayList<>();
        count(held, "pods", client.pods().inNamespace(namespace).list().getItems());
        count(held, "services", client.services().inNamespace(namespace).list().getItems());
        count(
                held,
                "configmaps",
                client.configMaps().inNamespace(namespace).list().getItems().stream()
                        .filter(c -> !c.getMetadata().getName().equals("kube-root-ca.crt"))
                        .toList());
        count(held, "secrets", client.secrets().inNamespace(namespace).list().getItems());
        count(
                held,
                "serviceaccounts",
                client.serviceAccounts().inNamespace(namespace).list().getItems().stream()
                        .filter(s -> !s.getMetadata().getName().equals("default"))
                        .toList());
        count(
                held,
                "deployments",
                client.apps().deployments().inNamespace(namespace).list().getItems());
        count(
                held,
                "statefulsets",
                client.apps().statefulSets().inNamespace(namespace).list().getItems());
        count(
                held,
                "daemonsets",
                client.apps().daemonSets().inNamespace(namespace).list().getItems());
        count(
                held,
                "jobs",
                client.batch().v1().jobs().inNamespace(namespace).list().getItems());
        if (!held.isEmpty()) {
            err.printf("cluster remove: kept Namespace %s: it holds %s%n", namespace, String.join(", ", held));
            return 0;
        }
        client.resource(existing).delete();
        err.printf("cluster remove: deleted Namespace %s%n", namespace);
        return 1;
    }

    private static void count(List<String> held, String kind, List<?> items) {
        if (!items.isEmpty()) {
            held.add(items.size() + " " + kind);
        }
    }
}
