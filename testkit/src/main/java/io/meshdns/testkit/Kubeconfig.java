package io.meshdns.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kubeconfig file of one cluster: one context named after the cluster, a token, namespace {@code default}. */
public final class Kubeconfig {
    private Kubeconfig() {}

    /** The kubeconfig text for cluster {@code id} whose API server is at {@code serverUrl}. */
    public static String of(String id, String serverUrl) {
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: %1$s
          cluster:
            server: %2$s
        users:
        - name: %1$s-admin
          user:
            token: mock
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: %1$s-admin
            namespace: default
        current-context: %1$s
        """.formatted(id, serverUrl);
    }

    /** Writes {@code <dir>/<id>.kubeconfig} (creating {@code dir}) and returns its path. */
    public static Path write(Path dir, String id, String serverUrl) {
        Path file = dir.resolve(id + ".kubeconfig");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, of(id, serverUrl));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write kubeconfig " + file, e);
        }
        return file;
    }
}
