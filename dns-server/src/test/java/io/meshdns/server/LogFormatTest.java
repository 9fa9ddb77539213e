package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshdns.core.ConfigException;
import io.meshdns.server.cli.LogOptions;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.JsonLineLayout;
import io.meshdns.server.config.LogOutput;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.testkit.MockCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --log-format json}: every line a log pipeline reads is one JSON object with the documented fields. */
class LogFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void serveWithLogFormatJsonWritesOnlyJsonObjectsOneALine() throws Exception {
        MockCluster east = MockCluster.start("east", dir);
        Path config = dir.resolve("meshdns.yaml");
        Files.writeString(config, """
        dns: {bind: 127.0.0.1, port: 0}
        http: {bind: 127.0.0.1, port: 0}
        admin: {port: 0}
        clusters:
          - {id: east, kubeconfig: east.kubeconfig}
        """);
        // stdout and stderr together, as a container runtime hands them to a log collector.
        Process serve = new ProcessBuilder(
                        MeshdnsProcess.command("serve", "--config", config.toString(), "--log-format", "json"))
                .redirectErrorStream(true)
                .start();
        List<JsonNode> events = new ArrayList<>();
        try (var output = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                boolean started = false;
                boolean synced = false;
                while (!(started && synced)) {
                    String line = output.readLine();
                    assertThat(line).as("output ended after %s", events).isNotNull();
                    JsonNode event = JSON.readTree(line);
                    assertThat(event.isObject()).as(line).isTrue();
                    assertThat(event.fieldNames())
                            .toIterable()
                            .as(line)
                            .containsAll(List.of("timestamp", "level", "logger", "thread", "message"));
                    events.add(event);
                    started |= event.get("message")
                            .asText()
                            .startsWith("meshdns serving zone clusterset.local on 127.0.0.1");
                    synced |= event.get("message").asText().equals("cluster east: SYNCED");
                }
            });
        } finally {
            serve.destroyForcibly();
            serve.waitFor(10, TimeUnit.SECONDS);
            east.close();
        }
        assertThat(events)
                .allSatisfy(e -> assertThat(e.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z"));
    }

    @Test
    void aMultiLineMessageWithAStackTraceStaysOneLineWithTheTraceInException() throws Exception {
        LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        JsonLineLayout layout = new JsonLineLayout();
        layout.setContext(context);
        layout.start();
        var event = new LoggingEvent(
                getClass().getName(),
                context.getLogger("io.meshdns.test"),
                Level.WARN,
                "first line\nsecond \"quoted\" line",
                new IllegalStateException("boom"),
                null);

        String line = layout.doLayout(event);

        assertThat(line).endsWith("\n");
        assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
        JsonNode json = JSON.readTree(line);
        assertThat(json.get("level").asText()).isEqualTo("WARN");
        assertThat(json.get("logger").asText()).isEqualTo("io.meshdns.test");
        assertThat(json.get("message").asText()).isEqualTo("first line\nsecond \"quoted\" line");
        assertThat(json.get("exception").asText())
                .startsWith("java.lang.IllegalStateException: boom")
                .contains("aMultiLineMessageWithAStackTraceStaysOneLineWithTheTraceInException");
    }

    @Test
    void theConfigsLoggingKeyIsReadAndTheCommandLineWins() {
        ServerConfig cfg = ConfigLoader.parse("meshdns.yaml", """
        logging: {level: WARN, format: json}
        allowEmptyMesh: true
        """);
        assertThat(cfg.logging()).isEqualTo(new ServerConfig.Logging("warn", "json"));

        LogOptions flags = new LogOptions();
        new picocli.CommandLine(flags).parseArgs("--log-format", "text");
        try {
            assertThat(flags.apply(cfg.logging())).isEqualTo(LogOutput.Format.TEXT);
            assertThat(new LogOptions().apply(cfg.logging())).isEqualTo(LogOutput.Format.JSON);
        } finally {
            LogOutput.configure("info", LogOutput.Format.TEXT);
        }
    }

    @Test
    void anUnknownLogFormatInTheConfigNamesTheKeyAndLine() {
        var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(
                ConfigException.class,
                () -> ConfigLoader.parse("meshdns.yaml", "allowEmptyMesh: true\nlogging:\n  format: xml\n"));
        assertThat(thrown.getMessage()).contains("meshdns.yaml", "line 3", "logging.format", "text or json");
    }

    @Test
    void anUnknownLogLevelFlagIsABadUsageNamingTheFlag() {
        StringWriter err = new StringWriter();
        int code = Main.run(
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "demo", "--log-level", "loud");
        assertThat(code).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("--log-level must be one of error, warn, info, debug, trace; was 'loud'");
    }
}
