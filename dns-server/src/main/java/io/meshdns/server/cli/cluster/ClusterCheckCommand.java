package io.meshdns.server.cli.cluster;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
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

/**
 * {@code meshdns cluster check}: asks the member cluster, with one SelfSubjectAccessReview per permission, whether
 * the kubeconfig's identity may do each thing meshdns reads there ({@link MemberClusterRbac#permissions}). One
 * line per permission on stdout ({@code allowed} or {@code missing}); the summary on stderr.
 */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Check that a kubeconfig (the member kubeconfig 'cluster add' wrote, or any context) may read what meshdns"
                    + " reads in that cluster, and renew its token in --namespace: one SelfSubjectAccessReview per permission,"
                    + " printed as 'allowed' or"
                    + " 'missing' on stdout.",
            "",
            "Exit codes: 0 every permission allowed, 1 one missing or the cluster unreachable or refusing the"
                    + " credentials, 2 bad input."
        })
public final class ClusterCheckCommand implements Callable<Integer> {
    @CommandLine.Mixin
    KubeconfigContextOptions target = new KubeconfigContextOptions();

    @CommandLine.Option(
            names = "--namespace",
            paramLabel = "NS",
            defaultValue = "meshdns",
            description =
                    "The namespace of the ServiceAccount, where it may renew its token. Default: ${DEFAULT-VALUE}.")
    String namespace;

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
            String context = target.contextName(target.read());
            List<String> missing = new ArrayList<>();
            List<MemberClusterRbac.Permission> permissions = MemberClusterRbac.permissions(namespace);
            try (KubernetesClient client = target.connect(context)) {
                apiServer = client.getMasterUrl().toString();
                for (MemberClusterRbac.Permission p : permissions) {
                    boolean allowed = allowed(client, p);
                    if (!allowed) {
                        missing.add(p.text());
                    }
                    out.printf("%-7s  %s%n", allowed ? "allowed" : "missing", p.text());
                }
            }
            out.flush();
            if (missing.isEmpty()) {
                err.printf("cluster check: all %d permissions allowed (context %s)%n", permissions.size(), context);
            } else {
                err.printf(
                        "cluster check: %d of %d permissions missing (context %s): %s; run 'meshdns cluster add' with an"
                                + " admin context to restore the ClusterRole and Role %s%n",
                        missing.size(),
                        permissions.size(),
                        context,
                        String.join(", ", missing),
                        MemberClusterRbac.NAME);
            }
            err.flush();
            return missing.isEmpty() ? 0 : ExitCode.FAILED;
        } catch (IllegalArgumentException e) {
            out.flush();
            err.println("meshdns: " + e.getMessage());
            err.flush();
            return ExitCode.BAD_INPUT;
        } catch (KubernetesClientException e) {
            out.flush();
            err.println("meshdns: cluster check: " + ClusterCommand.problem(apiServer, e));
            err.flush();
            return ExitCode.FAILED;
        }
    }

    private static boolean allowed(KubernetesClient client, MemberClusterRbac.Permission p) {
        SelfSubjectAccessReview review = client.authorization()
                .v1()
                .selfSubjectAccessReview()
                .create(new SelfSubjectAccessReviewBuilder()
                        .withNewSpec()
                        .withNewResourceAttributes()
                        .withVerb(p.verb())
                        .withGroup(p.group())
                        .withResource(p.resource().split("/")[0])
                        .withSubresource(
                                p.resource().contains("/") ? p.resource().split("/", 2)[1] : null)
                        .withName(p.name())
                        .withNamespace(p.namespace())
                        .endResourceAttributes()
                        .endSpec()
                        .build());
        return review.getStatus() != null
                && Boolean.TRUE.equals(review.getStatus().getAllowed());
    }
}
