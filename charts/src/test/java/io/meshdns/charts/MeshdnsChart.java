package io.meshdns.charts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The chart under test, linted, rendered and dry-run installed by Helm itself (helm-java, Helm as a native library). */
final class MeshdnsChart {
    static final Path DIR = Path.of(System.getProperty("meshdns.chart.dir", "meshdns"));
    static final String RELEASE = "meshdns";
    static final String NAMESPACE = "dns";
    /** The values file for a hub and two remote clusters, under src/test/resources. */
    static final String THREE_CLUSTERS = "values-three-clusters.yaml";

    /**
     * helm-java's Helm assumes Kubernetes v1.20.0 when no cluster is asked, older than the chart's
     * kubeVersion; `helm template` and `helm install` against a real cluster use its version.
     */
    private static final String KUBE_VERSION = "1.30.0";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private MeshdnsChart() {}

    /** The Maven project version without -SNAPSHOT: the meshdns release this chart deploys. */
    static String projectRelease() {
        String version = System.getProperty("meshdns.project.version");
        if (version == null) {
            throw new IllegalStateException("meshdns.project.version is not set: run the tests through Maven");
        }
        return version.replace("-SNAPSHOT", "");
    }

    /** `helm template` with the chart's values, then each values file (src/test/resources) and --set pair in order. */
    static Rendered template(List<String> valuesFiles, Map<String, Object> sets) {
        TemplateCommand cmd = new Helm(DIR)
                .template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (String file : valuesFiles) {
            cmd = cmd.withValuesFile(resource(file));
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            cmd = cmd.set(set.getKey(), set.getValue());
        }
        return Rendered.parse(cmd.call());
    }

    static Rendered template(String... valuesFiles) {
        return template(List.of(valuesFiles), Map.of());
    }

    static Rendered template(Map<String, Object> sets) {
        return template(List.of(), sets);
    }

    /** `helm install --dry-run=client`: no cluster needed; the output includes the rendered NOTES.txt. */
    static String installDryRun(List<String> valuesFiles, Map<String, Object> sets) {
        InstallCommand cmd = new Helm(DIR)
                .install()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION)
                .clientOnly()
                .dryRun()
                .withDryRunOption(DryRun.CLIENT);
        for (String file : valuesFiles) {
            cmd = cmd.withValuesFile(resource(file));
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            cmd = cmd.set(set.getKey(), set.getValue());
        }
        return cmd.call().getOutput();
    }

    /** `helm lint --strict` on the chart as it is. */
    static LintResult lint() {
        return new Helm(DIR).lint().strict().call();
    }

    /**
     * `helm lint --strict` with a values file on top of the chart's. helm-java's lint takes no values file,
     * so the chart is copied to {@code workDir} with that file merged into its values.yaml the way Helm
     * merges values (maps key by key, anything else replaced).
     */
    static LintResult lint(String valuesFile, Path workDir) {
        Path copy = workDir.resolve(DIR.getFileName());
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(DIR.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
            Map<String, Object> values = readYaml(DIR.resolve("values.yaml"));
            merge(values, readYaml(resource(valuesFile)));
            YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Helm(copy).lint().strict().call();
    }

    /** The annotation a hook's `helm.sh/hook` becomes in {@link #templateWithHooks}. */
    static final String HOOK_SEEN_AS = "meshdns.test/helm-hook";

    /**
     * `helm template` including the hooks (the `helm test` pod): helm-java's template and install dry run
     * leave hooks out, so the chart is copied to {@code workDir} with each `helm.sh/hook` annotation
     * renamed {@link #HOOK_SEEN_AS}, which makes the hook an ordinary object of the rendering.
     */
    static Rendered templateWithHooks(Path workDir, Map<String, Object> sets) {
        Path copy = workDir.resolve(DIR.getFileName());
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(DIR.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else if (source.toString().endsWith(".yaml") && source.startsWith(DIR.resolve("templates"))) {
                    Files.writeString(target, Files.readString(source).replace("helm.sh/hook:", HOOK_SEEN_AS + ":"));
                } else {
                    Files.copy(source, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TemplateCommand cmd = new Helm(copy)
                .template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            cmd = cmd.set(set.getKey(), set.getValue());
        }
        return Rendered.parse(cmd.call());
    }

    static Path resource(String name) {
        URL url = MeshdnsChart.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readYaml(Path file) throws IOException {
        Map<String, Object> map = YAML.readValue(file.toFile(), LinkedHashMap.class);
        return map == null ? new LinkedHashMap<>() : map;
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> base, Map<String, Object> override) {
        override.forEach((key, value) -> {
            if (value instanceof Map<?, ?> m && base.get(key) instanceof Map<?, ?> b) {
                merge((Map<String, Object>) b, (Map<String, Object>) m);
            } else {
                base.put(key, value);
            }
        });
    }
}
