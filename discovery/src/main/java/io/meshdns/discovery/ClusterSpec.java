package io.meshdns.discovery;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to reach one member cluster's API server and what it contributes to answers.
 *
 * @param kubeconfig the kubeconfig file, or {@code null} for the in-cluster service account
 * @param context the kubeconfig context to use, or {@code null} for the file's current context
 */
public record ClusterSpec(ClusterId id, Path kubeconfig, String context, Reachability reachability) {
  public ClusterSpec {
    Objects.requireNonNull(id, "id");
    reachability = reachability == null ? Reachability.POD : reachability;
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
   * @throws ClusterConfigException naming the cluster, the file and what is wrong
   */
  public void checkKubeconfig() {
    KubernetesClients.config(this);
  }
}
