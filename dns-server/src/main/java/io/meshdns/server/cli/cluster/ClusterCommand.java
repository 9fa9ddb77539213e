package io.meshdns.server.cli.cluster;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshdns.server.cli.ExitCode;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code meshdns cluster add|remove|check}: onboarding a member cluster in one command, as
 * {@code cilium clustermesh connect} or {@code linkerd multicluster link} do: the read-only identity meshdns
 * uses there ({@link MemberClusterRbac}), a kubeconfig holding its token ({@link MemberKubeconfig}), and a
 * check of its permissions with SelfSubjectAccessReviews.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = {
            "Onboard a member cluster: create meshdns's read-only identity in it and write the kubeconfig meshdns reads"
                    + " it with (add), undo that (remove), or check the permissions a kubeconfig has there (check).",
            "",
            "Exit codes: 0 done (check: every permission allowed), 1 the cluster failed (unreachable, refused, a"
                    + " permission missing), 2 bad input."
        },
        subcommands = {ClusterAddCommand.class, ClusterRemoveCommand.class, ClusterCheckCommand.class})
public final class ClusterCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("meshdns cluster: give a subcommand: add, remove or check");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.BAD_INPUT;
    }

    /** What an API call's failure means to the operator, naming the API server. */
    static String problem(String server, KubernetesClientException e) {
        if (e.getCode() <= 0) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return "cannot reach the API server at " + server + ": "
                    + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        }
        if (e.getCode() == 401) {
            return "the API server at " + server
                    + " refused the credentials (HTTP 401 Unauthorized): the token expired or"
                    + " its ServiceAccount or Secret was deleted; run 'meshdns cluster add' again";
        }
        String message = e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage();
        return "the API server at " + server + " answered HTTP " + e.getCode() + ": " + message;
    }
}
