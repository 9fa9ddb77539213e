package io.meshdns.coredns;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshdns.discovery.ClusterSpec;
import java.nio.file.Files;

/**
 * The fabric8 client for one cluster of the config. Unlike the long-lived informers of discovery, a
 * one-shot command should tell quickly that a cluster is unreachable, so retries and timeouts are short.
 */
final class KubeconfigClients {
  private KubeconfigClients() {}

  static KubernetesClient connect(ClusterSpec spec) {
    Config config;
    if (spec.inCluster()) {
      config = Config.autoConfigure(null);
    } else {
      if (!Files.isReadable(spec.kubeconfig())) {
        throw new CorednsConfigException(CorednsConfigException.Reason.NOT_FOUND,
            "cluster " + spec.id() + ": kubeconfig " + spec.kubeconfig() + " is missing or unreadable");
      }
      try {
        config = spec.context() == null
            ? Config.fromKubeconfig(null, spec.kubeconfig().toFile())
            : Config.fromKubeconfig(spec.context(), spec.kubeconfig().toFile());
      } catch (RuntimeException e) {
        throw new CorednsConfigException(CorednsConfigException.Reason.FAILED,
            "cluster " + spec.id() + ": kubeconfig " + spec.kubeconfig() + " cannot be used: " + e.getMessage(), e);
      }
    }
    config.setRequestRetryBackoffLimit(1);
    config.setRequestRetryBackoffInterval(200);
    config.setConnectionTimeout(5_000);
    config.setRequestTimeout(15_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
