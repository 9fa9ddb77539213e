package io.meshdns.charts;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The manifests `helm template` printed, parsed by fabric8 into its typed model objects. */
record Rendered(String text, List<HasMetadata> objects) {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    static Rendered parse(String text) {
        Object parsed = SERIALIZATION.unmarshal(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        List<HasMetadata> objects;
        if (parsed instanceof List<?> list) {
            objects = list.stream().map(HasMetadata.class::cast).toList();
        } else if (parsed instanceof HasMetadata one) {
            objects = List.of(one);
        } else {
            objects = List.of();
        }
        return new Rendered(text, objects);
    }

    List<String> kinds() {
        return objects.stream().map(HasMetadata::getKind).sorted().toList();
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The only object of this type; fails when there are none or several. */
    <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = all(type);
        if (found.size() != 1) {
            throw new AssertionError(
                    "expected one " + type.getSimpleName() + ", rendered " + found.size() + ":\n" + text);
        }
        return found.get(0);
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
        return all(type).stream()
                .filter(o -> name.equals(o.getMetadata().getName()))
                .findFirst()
                .orElseThrow(
                        () -> new AssertionError("no " + type.getSimpleName() + " named " + name + " in:\n" + text));
    }

    /** A custom resource (e.g. a ServiceMonitor): fabric8 has no typed model for it on this classpath. */
    GenericKubernetesResource custom(String kind) {
        return all(GenericKubernetesResource.class).stream()
                .filter(o -> kind.equals(o.getKind()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " in:\n" + text));
    }

    Deployment deployment() {
        return one(Deployment.class);
    }

    /** The meshdns config file the ConfigMap holds. */
    String configText() {
        List<ConfigMap> configs = all(ConfigMap.class).stream()
                .filter(c -> c.getData() != null && c.getData().containsKey("config.yaml"))
                .toList();
        if (configs.size() != 1) {
            throw new AssertionError(
                    "expected one ConfigMap with config.yaml, rendered " + configs.size() + ":\n" + text);
        }
        return configs.get(0).getData().get("config.yaml");
    }

    /**
     * The rendered config as meshdns itself reads it: written to {@code file} (where the pod mounts it,
     * relative to a temp dir) and loaded by meshdns's {@link ConfigLoader}.
     */
    ServerConfig loadConfig(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, configText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ConfigLoader.load(file);
    }
}
