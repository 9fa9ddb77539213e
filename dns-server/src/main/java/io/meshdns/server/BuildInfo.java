package io.meshdns.server;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * What this build of meshdns is: its version, the git commit it was built from ({@code unknown} when the build
 * ran outside a git checkout, e.g. from a source tarball) and the Java that runs it. The build writes
 * {@code build.properties} (dns-server/pom.xml, maven-antrun-plugin running {@code git rev-parse HEAD}); nothing
 * here reaches the network.
 */
record BuildInfo(String version, String revision, String java) {
    static final String RESOURCE = "build.properties";
    static final String UNKNOWN = "unknown";

    /** This build's, read once from the jar. */
    static BuildInfo current() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + " from the jar", e);
        }
        return new BuildInfo(
                known(p.getProperty("version")), known(p.getProperty("revision")), System.getProperty("java.version"));
    }

    private static String known(String value) {
        return value == null || value.isBlank() ? UNKNOWN : value.trim();
    }

    /** {@code meshdns_build_info{version,revision,java} 1}, as Prometheus's own {@code prometheus_build_info}. */
    void register(MeterRegistry registry) {
        Gauge.builder("meshdns.build.info", () -> 1)
                .description("Always 1; the labels say which meshdns build runs on which Java")
                .tag("version", version)
                .tag("revision", revision)
                .tag("java", java)
                .register(registry);
    }

    /** {@code meshdns --version}. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            BuildInfo b = current();
            return new String[] {"meshdns " + b.version() + " (revision " + b.revision() + ", Java " + b.java() + ")"};
        }
    }
}
