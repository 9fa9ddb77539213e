package io.meshdns.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.meshdns.server.config.ServerConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The HTTP listeners may hold at most a quarter of the process's file descriptors, so DNS keeps the rest;
 * caps configured higher are lowered for the run, with a warning naming the keys.
 */
class FileDescriptorBudgetTest {
    static final ServerConfig.HttpConnectionLimits METRICS =
            ServerConfig.defaults().http().limits();
    static final ServerConfig.HttpConnectionLimits ADMIN =
            ServerConfig.defaults().admin().limits();

    @Test
    void capsWithinAQuarterOfTheLimitAreKeptAndTheFiguresLogged() {
        FileDescriptorBudget.Fitted fitted = new FileDescriptorBudget(20000, 20000).fit(List.of(METRICS, ADMIN), 1000);

        assertThat(fitted.listeners()).containsExactly(METRICS, ADMIN);
        assertThat(fitted.warnings()).isEmpty();
        assertThat(fitted.summary())
                .isEqualTo("file descriptors: limit 20000, HTTP listeners may use at most 576"
                        + " (http.maxConnections 512 + admin.maxConnections 64; their share is a quarter of the limit, 5000),"
                        + " DNS over TCP and TLS at most 1000 (dns.maxTcpConnections)");
    }

    @Test
    void capsOverAQuarterOfTheLimitAreLoweredInProportionWithAWarningNamingTheKeys() {
        FileDescriptorBudget.Fitted fitted = new FileDescriptorBudget(1024, 1024).fit(List.of(METRICS, ADMIN), 100);

        assertThat(fitted.listeners())
                .extracting(ServerConfig.HttpConnectionLimits::maxConnections)
                .containsExactly(227, 28);
        assertThat(fitted.listeners())
                .extracting(ServerConfig.HttpConnectionLimits::maxConnectionsPerSource)
                .as("per-source caps above the lowered total come down with it")
                .containsExactly(64, 16);
        assertThat(fitted.listeners().get(0).requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(fitted.warnings())
                .singleElement()
                .asString()
                .startsWith(
                        "file descriptors: http.maxConnections 512 + admin.maxConnections 64 add up to 576, more than a"
                                + " quarter of the limit 1024 (256)")
                .contains("lowered to http.maxConnections 227 + admin.maxConnections 28 for this run");
        assertThat(fitted.summary()).contains("HTTP listeners may use at most 255");
    }

    @Test
    void aLoweredTotalCapAlsoLowersAPerSourceCapAboveIt() {
        FileDescriptorBudget.Fitted fitted = new FileDescriptorBudget(100, 100).fit(List.of(METRICS), 10);

        assertThat(fitted.listeners().get(0).maxConnections()).isEqualTo(25);
        assertThat(fitted.listeners().get(0).maxConnectionsPerSource()).isEqualTo(25);
    }

    @Test
    void aDnsCapThatLeavesTooFewDescriptorsIsWarnedAbout() {
        FileDescriptorBudget.Fitted fitted = new FileDescriptorBudget(1024, 1024).fit(List.of(METRICS, ADMIN), 1000);

        assertThat(fitted.warnings())
                .last()
                .asString()
                .startsWith("file descriptors: dns.maxTcpConnections (1000) and"
                        + " the HTTP listeners' 255 leave fewer than 256 of the limit 1024");
    }

    @Test
    void aSoftLimitLeftBelowTheHardOneIsWarnedAbout() {
        FileDescriptorBudget.Fitted fitted =
                new FileDescriptorBudget(20000, 1048576).fit(List.of(METRICS, ADMIN), 1000);

        assertThat(fitted.warnings())
                .singleElement()
                .asString()
                .isEqualTo("file descriptors: the soft limit 20000 is"
                        + " below the hard limit 1048576: the JVM raises it at start unless run with -XX:-MaxFDLimit; the budget"
                        + " below is worked out from 20000");
    }

    @Test
    void noLimitKeepsTheCaps() {
        FileDescriptorBudget budget = FileDescriptorBudget.parseProcLimits("""
        Limit                     Soft Limit           Hard Limit           Units
        Max open files            unlimited            unlimited            files
        """);

        FileDescriptorBudget.Fitted fitted = budget.fit(List.of(METRICS, ADMIN), 1000);

        assertThat(fitted.listeners()).containsExactly(METRICS, ADMIN);
        assertThat(fitted.warnings()).isEmpty();
        assertThat(fitted.summary())
                .startsWith("file descriptors: limit unlimited, HTTP listeners may use at most 576"
                        + " (http.maxConnections 512 + admin.maxConnections 64)");
    }

    @Test
    void theLimitReadIsTheOneTheJvmCounts() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/limits")), "Linux");

        long jvm = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();

        assertThat(FileDescriptorBudget.ofThisProcess().limit()).isEqualTo(jvm);
    }
}
