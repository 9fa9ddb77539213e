package io.meshdns.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The query path's two switches an operator may turn: the UDP sockets and the status page's name sampling. */
class QueryPathValuesTest {

    @Test
    void byDefaultUdpTransportIsChosenAtStartAndNamesAreSampled(@TempDir Path tmp) {
        ServerConfig config = MeshdnsChart.template(Map.of()).loadConfig(tmp.resolve("config.yaml"));

        assertThat(config.dns().udpTransport()).isEqualTo(UdpTransport.AUTO);
        assertThat(config.status().topNames().enabled()).isTrue();
    }

    @Test
    void nettyUdpSocketsCanBeForced(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(Map.of("config.dns.udpTransport", "netty"));

        assertThat(chart.configText()).contains("udpTransport: netty");
        assertThat(chart.loadConfig(tmp.resolve("config.yaml")).dns().udpTransport())
                .isEqualTo(UdpTransport.NETTY);
    }

    @Test
    void nameSamplingCanBeTurnedOff(@TempDir Path tmp) {
        Rendered chart = MeshdnsChart.template(Map.of("config.status.topNames.enabled", false));

        assertThat(chart.loadConfig(tmp.resolve("config.yaml"))
                        .status()
                        .topNames()
                        .enabled())
                .isFalse();
    }

    @Test
    void anUnknownUdpTransportIsRejectedNamingTheValue() {
        assertThatThrownBy(() -> MeshdnsChart.template(Map.of("config.dns.udpTransport", "io_uring")))
                .hasMessageContaining("/config/dns/udpTransport");
    }
}
