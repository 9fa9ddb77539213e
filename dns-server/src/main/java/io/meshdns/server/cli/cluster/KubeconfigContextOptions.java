package io.meshdns.server.cli.cluster;

import io.fabric8.kubernetes.api.model.Cluster;
import io.fabric8.kubernetes.api.model.Config;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.meshdns.core.ConfigException;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.KubernetesClients;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * {@code --kubeconfig} and {@code --context} of a {@code cluster} command, found as kubectl finds them: the
 * file from the flag, else the first of {@code $KUBECONFIG}, else {@code ~/.kube/config}; the context from the
 * flag, else the file's current context.
 */
public final class KubeconfigContextOptions {
    @Option(
            names = "--kubeconfig",
            paramLabel = "FILE",
            description = "The kubeconfig (default: the first file of $KUBECONFIG, else ~/.kube/config).")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "Its context (default: its current context).")
    String context;

    /** The kubeconfig file in use. */
    Path file() {
        if (kubeconfig != null) {
            return kubeconfig;
        }
        String env = System.getenv("KUBECONFIG");
        if (env != null && !env.isBlank()) {
            return Path.of(env.split(File.pathSeparator)[0]);
        }
        return Path.of(System.getProperty("user.home"), ".kube", "config");
    }

    /** The kubeconfig, parsed; an unreadable or unparsable one is bad input. */
    Config read() {
        Path file = file();
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(
                    "kubeconfig " + file + " is missing or unreadable (give --kubeconfig FILE)");
        }
        try {
            return KubeConfigUtils.parseConfig(file.toFile());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("kubeconfig " + file + " cannot be parsed: " + e.getMessage(), e);
        }
    }

    /** The context in use: {@code --context}, else the current one; it must exist in the file. */
    String contextName(Config parsed) {
        String name = context != null ? context : parsed.getCurrentContext();
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("kubeconfig " + file() + " has no current-context; give --context NAME");
        }
        if (parsed.getContexts() == null || parsed.getContexts().stream().noneMatch(c -> name.equals(c.getName()))) {
            throw new IllegalArgumentException(
                    "context '" + name + "' does not exist in kubeconfig " + file() + " (contexts: "
                            + (parsed.getContexts() == null
                                    ? ""
                                    : parsed.getContexts().stream()
                                            .map(NamedContext::getName)
                                            .collect(Collectors.joining(", ")))
                            + ")");
        }
        return name;
    }

    /** The cluster entry (server, CA) that context {@code name} points at. */
    Cluster cluster(Config parsed, String name) {
        NamedContext named = parsed.getContexts().stream()
                .filter(c -> name.equals(c.getName()))
                .findFirst()
                .orElseThrow();
        String cluster = named.getContext() == null ? null : named.getContext().getCluster();
        return parsed.getClusters() == null
                ? null
                : parsed.getClusters().stream()
                        .filter(c -> c.getName().equals(cluster))
                        .map(NamedCluster::getCluster)
                        .findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("context '" + name + "' of kubeconfig " + file()
                                + " names cluster '" + cluster + "', which the file does not define"));
    }

    /** A client of that context, for a one-shot command: errors surface at once, a dead server within seconds. */
    KubernetesClient connect(String contextName) {
        // The id only names the cluster in errors; a context name need not be a valid cluster id.
        String id;
        try {
            id = ClusterId.of(contextName).value();
        } catch (IllegalArgumentException e) {
            id = "member";
        }
        try {
            return KubernetesClients.create(ClusterSpec.ofKubeconfig(id, file(), contextName), config -> {
                config.setRequestRetryBackoffLimit(1);
                config.setRequestRetryBackoffInterval(200);
                config.setConnectionTimeout(5_000);
                config.setRequestTimeout(15_000);
            });
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
