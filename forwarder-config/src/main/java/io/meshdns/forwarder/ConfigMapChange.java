package io.meshdns.forwarder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One key of one ConfigMap in one cluster, before and after meshdns: what {@code --dry-run} shows as a
 * diff, {@code --output yaml} prints and {@code --apply} writes.
 */
public final class ConfigMapChange {
    /** Which kind of CoreDNS configuration the key holds. */
    public enum Kind {
        /** The meshdns block between markers in the Corefile of {@code kube-system/coredns} (kubeadm, EKS, kind, RKE2). */
        COREFILE,
        /** The whole {@code meshdns.server} key of {@code kube-system/coredns-custom}, imported by k3s and AKS. */
        CUSTOM_SERVER,
        /** The meshdns block in the Corefile of NodeLocal DNSCache ({@code kube-system/node-local-dns}). */
        NODE_LOCAL,
        /** The meshdns zones in the {@code stubDomains} JSON of {@code kube-system/kube-dns}. */
        KUBE_DNS
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

    private final String cluster;
    private final String namespace;
    private final String name;
    private final String key;
    private final Kind kind;
    private final String before;
    private final String after;
    private final String hint;
    final ConfigMap original; // as read, with its resourceVersion; null when the ConfigMap does not exist yet
    final boolean rollback;

    ConfigMapChange(
            String cluster,
            ConfigMap original,
            String namespace,
            String name,
            String key,
            Kind kind,
            String before,
            String after,
            String hint,
            boolean rollback) {
        this.cluster = cluster;
        this.original = original;
        this.namespace = namespace;
        this.name = name;
        this.key = key;
        this.kind = kind;
        this.before = before;
        this.after = after;
        this.hint = hint;
        this.rollback = rollback;
    }

    /** A change that exists only on paper, such as a Corefile file patched for GitOps. */
    public static ConfigMapChange offline(
            String cluster, String namespace, String name, String key, Kind kind, String before, String after) {
        return new ConfigMapChange(cluster, null, namespace, name, key, kind, before, after, null, false);
    }

    public String cluster() {
        return cluster;
    }

    /** {@code namespace/name} of the ConfigMap. */
    public String configMap() {
        return namespace + "/" + name;
    }

    public String key() {
        return key;
    }

    public Kind kind() {
        return kind;
    }

    /** The value before, {@code null} when the key did not exist. */
    public String before() {
        return before;
    }

    /** The value after, {@code null} when the key is removed. */
    public String after() {
        return after;
    }

    public boolean changed() {
        return !Objects.equals(before, after);
    }

    /** What the operator still has to do for CoreDNS to use the change, or {@code null}. */
    public String hint() {
        return hint;
    }

    /** The unified diff of the value, labelled {@code <cluster>/<namespace>/<name>/<key>}; empty when unchanged. */
    public String diff() {
        return UnifiedDiff.of(cluster + "/" + namespace + "/" + name + "/" + key, before, after);
    }

    /**
     * The ConfigMap as YAML with just this key: a document for {@code kubectl apply -f}, or, when the key is
     * removed ({@code null}), a merge patch for {@code kubectl patch --type merge --patch-file}.
     */
    public String yaml() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        metadata.put("namespace", namespace);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put(key, after);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", "v1");
        doc.put("kind", "ConfigMap");
        doc.put("metadata", metadata);
        doc.put("data", data);
        try {
            return YAML.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return cluster + ": " + configMap() + " " + key + (changed() ? " changes" : " unchanged");
    }
}
