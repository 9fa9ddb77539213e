package io.meshdns.server.answer;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.QuerierResolver;
import io.meshdns.server.MeshdnsServer;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.ServedZone;
import io.meshdns.server.zone.ZoneSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Above what one DNS message holds (65,535 bytes over TCP, RFC 1035 4.2.2) a headless answer is cut: as many
 * records as fit, TC set as CoreDNS does, and counted, so an operator sees the one case where a client
 * cannot get every endpoint. Real query packets through the responder.
 */
class TcpMessageLimitTest {
    private static final ClusterId EAST = ClusterId.of("east");

    @Test
    void aHeadlessAnswerAboveTheTcpMessageLimitCarriesWhatFitsWithTcSetAndIsCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ServerConfig config = ConfigLoader.parse("(test)", "clusters: [{id: east}]\n");
        var balancing = MeshdnsServer.loadBalancing(config, List.of());
        EndpointSelector selector = new EndpointSelector(balancing);
        ServedZone zone = new ServedZone(ZoneSettings.of(config));
        QueryResponder responder = MeshdnsServer.responder(
                zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing), registry);
        MeshSnapshot snapshot = headless(5000);
        selector.update(snapshot);
        zone.update(snapshot);
        zone.markReady();

        Message query =
                Message.newQuery(Record.newRecord(Name.fromString("db.shop.svc.clusterset.local."), Type.A, DClass.IN));
        byte[] wire = responder.respond(query.toWire(), InetAddress.getLoopbackAddress(), true);
        Message answer = new Message(wire);

        assertThat(wire.length).isLessThanOrEqualTo(65_535);
        assertThat(answer.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(answer.getSection(Section.ANSWER)).hasSizeBetween(4000, 4095);
        assertThat(registry.get("meshdns.dns.tcp.truncated").counter().count()).isEqualTo(1);
    }

    /** {@code db}: headless, {@code pods} ready pods in east. */
    private static MeshSnapshot headless(int pods) throws Exception {
        ServiceKey key = ServiceKey.of("shop", "db");
        ServicePort pg = new ServicePort("pg", 5432, "TCP");
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            endpoints.add(new Endpoint(
                    EAST,
                    InetAddress.getByAddress(new byte[] {10, 1, (byte) (i >> 8), (byte) i}),
                    true,
                    true,
                    false,
                    "db-" + i,
                    null,
                    null,
                    null,
                    List.of(pg)));
        }
        GlobalService db = new GlobalService(
                key,
                Map.of(EAST, new ClusterService(EAST, key, "ClusterIP", true, null, List.of(pg), endpoints, Map.of())));
        return MeshSnapshot.of(
                1,
                Map.of(key, db),
                Map.of(EAST, new ClusterHealth(EAST, ClusterState.SYNCED, Instant.EPOCH, null, 1, pods, 0, null)));
    }
}
