package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stdout carries only what a command was asked for (serve's start-up line, demo's welcome, coredns-config's
 * block, YAML or diff, --help, --version); a failure leaves it empty and says why on stderr. coredns-config's
 * own cases are in {@link CorednsConfigCommandTest}.
 */
class StdoutDisciplineTest {
    @TempDir
    Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void serveWithABadConfigLeavesStdoutEmpty() throws Exception {
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, "logging: {format: xml}\n");

        assertThat(run("serve", "--config", config.toString())).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("logging.format");
    }

    @Test
    void serveWithABadLogFlagLeavesStdoutEmpty() {
        assertThat(run("serve", "--config", "unused.yaml", "--log-format", "xml"))
                .isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("--log-format must be text or json");
    }

    @Test
    void demoWithABadFlagLeavesStdoutEmpty() {
        assertThat(run("demo", "--dot-port", "99999")).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("--dot-port must be between 0 and 65535");
    }

    @Test
    void corednsConfigWithoutAModeLeavesStdoutEmpty() {
        assertThat(run("coredns-config", "--log-level", "warn")).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).startsWith("meshdns: ");
    }

    @Test
    void versionIsTheOnlyLineOnStdout() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).matches("meshdns \\S+ \\(revision \\S+, Java \\S+\\)\\R");
        assertThat(err.toString()).isEmpty();
    }
}
