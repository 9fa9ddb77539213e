package io.meshdns.server.cli.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Cluster;
import io.meshdns.discovery.KubernetesClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kubeconfig meshdns reads a member cluster with: one cluster (the API server address and CA of the admin's
 * context, the CA inlined so the file stands alone, e.g. in a Secret), one user holding the ServiceAccount's
 * bearer token, one context named after the cluster id, which is the current context.
 */
final class MemberKubeconfig {
    private MemberKubeconfig() {}

    /**
     * The kubeconfig text.
     *
     * @param admin the admin context's cluster entry: server, CA (data, or a file relative to {@code adminDir}),
     *     insecure-skip-tls-verify, tls-server-name and proxy-url are copied
     * @param server the API server address to write in place of the admin's, or {@code null}
     */
    static String text(String id, Cluster admin, Path adminDir, String server, String token) {
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("server", server != null ? server : admin.getServer());
        String ca = admin.getCertificateAuthorityData();
        if ((ca == null || ca.isEmpty())
                && admin.getCertificateAuthority() != null
                && !admin.getCertificateAuthority().isEmpty()) {
            Path file = adminDir.resolve(admin.getCertificateAuthority());
            try {
                ca = Base64.getEncoder().encodeToString(Files.readAllBytes(file));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "the CA file " + file + " of the admin kubeconfig cannot be read: " + e.getMessage());
            }
        }
        if (ca != null && !ca.isEmpty()) {
            cluster.put("certificate-authority-data", ca);
        }
        if (Boolean.TRUE.equals(admin.getInsecureSkipTlsVerify())) {
            cluster.put("insecure-skip-tls-verify", true);
        }
        if (admin.getTlsServerName() != null) {
            cluster.put("tls-server-name", admin.getTlsServerName());
        }
        if (admin.getProxyUrl() != null) {
            cluster.put("proxy-url", admin.getProxyUrl());
        }
        String user = MemberClusterRbac.NAME + "@" + id;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("apiVersion", "v1");
        config.put("kind", "Config");
        config.put("clusters", List.of(named(id, "cluster", cluster)));
        config.put("users", List.of(named(user, "user", Map.of("token", token))));
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("cluster", id);
        context.put("user", user);
        config.put("contexts", List.of(named(id, "context", context)));
        config.put("current-context", id);
        try {
            return new YAMLMapper()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a kubeconfig as YAML", e);
        }
    }

    /** A kubeconfig list item, {@code name} first as kubectl writes it. */
    private static Map<String, Object> named(String name, String key, Object value) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("name", name);
        item.put(key, value);
        return item;
    }

    /**
     * Writes {@code text} to {@code file}, readable by its owner only (0600, it holds a credential), replacing
     * the file in one step so a server rereading it never sees half of it.
     */
    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            KubernetesClients.writeKubeconfig(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write kubeconfig " + file + ": " + e.getMessage(), e);
        }
    }
}
