package io.meshdns.discovery;

import io.meshdns.core.ConfigException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * How to reach one member cluster's API server and what it contributes to answers.
 *
 * @param kubeconfig the kubeconfig file, or {@code null} for the in-cluster service account
 * @param context the kubeconfig context to use, or {@code null} for the file's current context
 * @param reachability what the mesh routes to this cluster, in order of preference: a Service's addresses
 *     come from the first kind that can serve its ports (see {@link Reachability}); default {@code [POD]}
 */
public record ClusterSpec(ClusterId id, Path kubeconfig, String context, List<Reachability> reachability) {
    public ClusterSpec {
        Objects.requireNonNull(id, "id");
        reachability =
                reachability == null || reachability.isEmpty() ? List.of(Reachability.POD) : List.copyOf(reachability);
        if (new HashSet<>(reachability).size() != reachability.size()) {
            throw new IllegalArgumentException("cluster " + id + ": reachability lists a kind twice: " + reachability);
        }
    }

    /** A cluster with one reachability kind. */
    public ClusterSpec(ClusterId id, Path kubeconfig, String context, Reachability reachability) {
        this(id, kubeconfig, context, reachability == null ? List.of() : List.of(reachability));
    }

    public static ClusterSpec ofKubeconfig(String id, Path kubeconfig, String context) {
        return new ClusterSpec(ClusterId.of(id), kubeconfig, context, Reachability.POD);
    }

    public boolean inCluster() {
        return kubeconfig == null;
    }

    /**
     * Checks, without contacting the cluster, that its kubeconfig can be read and names the context.
     *
     * @throws ConfigException naming the cluster, the file and what is wrong
     */
    public void checkKubeconfig() {
        KubernetesClients.config(this);
    }
}
