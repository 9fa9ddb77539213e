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
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The MCS DNS rule for a capped dual-stack answer: A and AAAA asked by one querier close together name the
 * same endpoints (the capped subset is chosen once per second and querier cluster for every family), while
 * every endpoint is still answered over time. Real query packets through the responder, a clock that
 * moves 7 ms each time it is read.
 */
class DualStackSubsetTest {
    private static final ClusterId EAST = ClusterId.of("east");
    private static final String WEB = "web.shop.svc.clusterset.local.";

    /** A clock that moves on by 7 ms on every read, so seconds turn between some queries. */
    private static final class TickingClock implements InstantSource {
        final AtomicLong millis = new AtomicLong();

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public long millis() {
            return millis.getAndAdd(7);
        }

        long second() {
            return millis.get() / 1000;
        }
    }

    @Test
    void aThousandInterleavedPairsOfAAndAaaaNameTheSameEightPodsAndEveryPodIsAnswered() throws Exception {
        TickingClock clock = new TickingClock();
        ServerConfig config = ConfigLoader.parse("(test)", "clusters: [{id: east}, {id: west}]\n");
        var balancing = MeshdnsServer.loadBalancing(config, List.of());
        EndpointSelector selector = new EndpointSelector(balancing, clock);
        ServedZone zone = new ServedZone(ZoneSettings.of(config));
        QueryResponder responder =
                MeshdnsServer.responder(zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing));
        MeshSnapshot snapshot = tenDualStackPods();
        selector.update(snapshot);
        zone.update(snapshot);

        Set<String> answered = new HashSet<>();
        int compared = 0;
        for (int pair = 0; pair < 1000; pair++) {
            long before = clock.second();
            Set<String> a = pods(ask(responder, Type.A, "east"));
            Set<String> aaaa = pods(ask(responder, Type.AAAA, "east"));
            if (clock.second() == before) {
                assertThat(aaaa).as("pair %d", pair).hasSize(8).isEqualTo(a);
                compared++;
            }
            answered.addAll(a);
            if (pair % 3 == 0) {
                ask(responder, Type.A, "east"); // this querier asks A more often than AAAA
                ask(responder, Type.AAAA, "west"); // and other clusters' queriers ask in between
            }
        }
        assertThat(compared).as("pairs within one second").isGreaterThan(950);
        assertThat(answered).hasSize(10);
    }

    /** {@code web} in east: ClusterIP-shaped, answered with pod IPs, 10 dual-stack pods, the default cap of 8. */
    private static MeshSnapshot tenDualStackPods() {
        ServiceKey key = ServiceKey.of("shop", "web");
        ServicePort http = new ServicePort("http", 80, "TCP");
        List<Endpoint> pods = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            Endpoint.TargetRef pod = new Endpoint.TargetRef("Pod", "shop", "web-" + i);
            pods.add(new Endpoint(
                    EAST, address("10.1.0." + i), true, true, false, null, null, null, pod, List.of(http)));
            pods.add(new Endpoint(
                    EAST,
                    address("fd00::1:" + Integer.toHexString(i)),
                    true,
                    true,
                    false,
                    null,
                    null,
                    null,
                    pod,
                    List.of(http)));
        }
        GlobalService web = new GlobalService(
                key,
                Map.of(EAST, new ClusterService(EAST, key, "ClusterIP", false, null, List.of(http), pods, Map.of())));
        return MeshSnapshot.of(
                1,
                Map.of(key, web),
                Map.of(EAST, new ClusterHealth(EAST, ClusterState.SYNCED, Instant.EPOCH, null, 1, 20, 0, null)));
    }

    private static Message ask(QueryResponder responder, int type, String querier) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(WEB), type, DClass.IN));
        q.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new GenericEDNSOption(0xff14, querier.getBytes(StandardCharsets.US_ASCII)))),
                Section.ADDITIONAL);
        return new Message(responder.respond(q.toWire(), address("127.0.0.1"), false));
    }

    /** The pods an answer names: web-N for 10.1.0.N and fd00::1:N. */
    private static Set<String> pods(Message answer) {
        Set<String> out = new HashSet<>();
        for (Record r : answer.getSection(Section.ANSWER)) {
            String ip = r.rdataToString();
            boolean v6 = ip.contains(":");
            out.add("web-" + Integer.parseInt(ip.substring(ip.lastIndexOf(v6 ? ':' : '.') + 1), v6 ? 16 : 10));
        }
        return out;
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }
}
