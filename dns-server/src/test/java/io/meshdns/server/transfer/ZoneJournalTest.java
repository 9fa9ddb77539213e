package io.meshdns.server.transfer;

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
import io.meshdns.server.answer.QueryResponder;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.DnsNames;
import io.meshdns.server.zone.RandomServices;
import io.meshdns.server.zone.ServedZone;
import io.meshdns.server.zone.ZoneIndex;
import io.meshdns.server.zone.ZoneSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The IXFR journal: a secondary holding any serial the journal reaches, applying the condensed diff,
 * holds exactly what a full transfer of the current zone gives.
 */
class ZoneJournalTest {
    static final List<ClusterId> CLUSTERS = RandomServices.CLUSTERS;
    final Random random = new Random(17);
    final RandomServices randomServices = new RandomServices(random, 0);
    EndpointSelector selector;
    ServedZone served;
    QueryResponder responder;
    ZoneTransfer transfer;

    private void start(String yaml) {
        ServerConfig config = ConfigLoader.parse("(test)", yaml + "clusters: [{id: east}, {id: west}]\n");
        var balancing = MeshdnsServer.loadBalancing(config, List.of());
        selector = new EndpointSelector(balancing);
        ZoneSettings settings = ZoneSettings.of(config);
        served = new ServedZone(settings);
        served.markReady(); // the answers alone: no mesh to wait for
        responder = new QueryResponder(
                served,
                config.dns(),
                selector,
                new QuerierResolver(balancing),
                new SimpleMeterRegistry(),
                compiler -> transfer = new ZoneTransfer(
                        config.axfr(), settings, selector, compiler, new TransferMetrics(new SimpleMeterRegistry())));
    }

    private void install(MeshSnapshot snapshot) {
        selector.update(snapshot);
        served.update(snapshot);
    }

    @Test
    void everySerialInTheJournalPlusItsDiffEqualsTheCurrentZone() throws Exception {
        start("""
        reverseZones: [10.10.0.0/16]
        clusterScopedNames: true
        axfr: {allow: [127.0.0.1], journal: {depth: 20}}
        """);
        Map<ServiceKey, GlobalService> services = new HashMap<>();
        Map<Name, Map<Long, Set<Record>>> held = new HashMap<>(); // what a secondary holds at each serial
        Instant at = Instant.parse("2026-11-29T12:00:00Z");
        int incremental = 0;
        for (int version = 1; version <= 120; version++) {
            for (int change = random.nextInt(2) + 1; change > 0; change--) {
                ServiceKey key = ServiceKey.of("ns-" + random.nextInt(2), "svc-" + random.nextInt(8));
                if (random.nextInt(5) == 0) {
                    services.remove(key);
                } else {
                    services.put(key, randomServices.next(key));
                }
            }
            // Now and then a cluster is degraded: its endpoints leave the candidates (the whole zone is diffed).
            Map<ClusterId, ClusterHealth> health = new HashMap<>();
            for (ClusterId c : CLUSTERS) {
                boolean degraded = version % 15 == 0 && c.equals(CLUSTERS.get(1));
                health.put(
                        c,
                        new ClusterHealth(
                                c,
                                degraded ? ClusterState.DISCONNECTED : ClusterState.SYNCED,
                                at,
                                null,
                                1,
                                1,
                                0,
                                null));
            }
            at = at.plusMillis(random.nextInt(1500));
            install(MeshSnapshot.of(version, at, services, health));
            ZoneIndex index = served.index();
            for (ZoneIndex.Zone zone : index.zones()) {
                Set<Record> now = zoneWithoutSoa(zone, index);
                Map<Long, Set<Record>> bySerial = held.computeIfAbsent(zone.origin(), z -> new HashMap<>());
                bySerial.put(index.serial(), now);
                for (var e : bySerial.entrySet()) {
                    if (e.getKey() == index.serial()) {
                        continue;
                    }
                    ZoneJournal.Diff diff = transfer.journal().since(zone.origin(), e.getKey(), index.serial());
                    if (diff == null) {
                        continue; // older than the journal, or more changes than records: a full transfer
                    }
                    Set<Record> applied = new HashSet<>(e.getValue());
                    assertThat(applied).as("deleted records were held").containsAll(diff.deleted());
                    applied.removeAll(diff.deleted());
                    for (Record r : diff.added()) {
                        assertThat(applied).as("added records were not held").doesNotContain(r);
                    }
                    applied.addAll(diff.added());
                    assertThat(applied)
                            .as("zone %s from serial %d to %d", zone.origin(), e.getKey(), index.serial())
                            .isEqualTo(now);
                    incremental++;
                }
            }
        }
        assertThat(incremental).as("diffs checked").isGreaterThan(500);
    }

    @Test
    void theJournalKeepsItsDepthAndForgetsOlderSerials() throws Exception {
        start("axfr: {allow: [127.0.0.1], journal: {depth: 3}}\n");
        Instant at = Instant.parse("2026-11-29T12:00:00Z");
        List<Long> serials = new ArrayList<>();
        ServiceKey key = ServiceKey.of("shop", "web");
        for (int version = 1; version <= 6; version++) {
            install(MeshSnapshot.of(
                    version, at.plusSeconds(version), Map.of(key, growing(key, version + 5)), Map.of()));
            serials.add(served.index().serial());
        }
        Name zone = DnsNames.absolute("clusterset.local");
        ZoneJournal journal = transfer.journal();

        assertThat(journal.depth(zone)).isEqualTo(3);
        assertThat(journal.since(zone, serials.get(1), serials.get(5))).isNull();
        assertThat(journal.since(zone, serials.get(2), serials.get(5))).isNotNull();
    }

    @Test
    void anIxfrWhoseChangesOutnumberTheZoneGetsTheWholeZone() throws Exception {
        start("axfr: {allow: [127.0.0.1]}\n");
        ServiceKey key = ServiceKey.of("shop", "web");
        Instant at = Instant.parse("2026-11-29T12:00:00Z");
        install(MeshSnapshot.of(1, at, Map.of(key, pods(key, "10.30.", 600)), Map.of()));
        long before = served.index().serial();
        install(MeshSnapshot.of(2, at.plusSeconds(1), Map.of(key, pods(key, "10.31.", 600)), Map.of()));
        ZoneJournal.Diff diff = transfer.journal()
                .since(
                        DnsNames.absolute("clusterset.local"),
                        before,
                        served.index().serial());

        List<Record> answer = ixfr(before);
        assertThat(diff.records())
                .as("1,200 changed records, for a zone of about 600")
                .isEqualTo(1200);
        assertThat(answer.get(1).getType())
                .as("AXFR-style: the second record is not the old SOA")
                .isNotEqualTo(Type.SOA);
        assertThat(answer).filteredOn(r -> r.getType() == Type.A).hasSize(600);
    }

    @Test
    void anIxfrOfASmallChangeGetsOnlyTheChange() throws Exception {
        start("axfr: {allow: [127.0.0.1]}\n");
        ServiceKey key = ServiceKey.of("shop", "web");
        Instant at = Instant.parse("2026-11-29T12:00:00Z");
        install(MeshSnapshot.of(1, at, Map.of(key, pods(key, "10.30.", 600)), Map.of()));
        long before = served.index().serial();
        install(MeshSnapshot.of(2, at.plusSeconds(1), Map.of(key, pods(key, "10.30.", 601)), Map.of()));

        List<Record> answer = ixfr(before);
        assertThat(answer).extracting(Record::getType).containsExactly(Type.SOA, Type.SOA, Type.SOA, Type.A, Type.SOA);
    }

    /** An IXFR from {@code serial} over TCP, through the responder; the records of every message. */
    private List<Record> ixfr(long serial) throws Exception {
        ZoneIndex.Zone zone = served.index().zones().get(0);
        org.xbill.DNS.Message q =
                org.xbill.DNS.Message.newQuery(Record.newRecord(zone.origin(), Type.IXFR, org.xbill.DNS.DClass.IN));
        q.addRecord(
                new org.xbill.DNS.SOARecord(
                        zone.origin(),
                        org.xbill.DNS.DClass.IN,
                        5,
                        zone.soa().getHost(),
                        zone.soa().getAdmin(),
                        serial,
                        3600,
                        600,
                        86400,
                        5),
                org.xbill.DNS.Section.AUTHORITY);
        List<Record> out = new ArrayList<>();
        for (io.netty.buffer.ByteBuf b : responder.respondTcp(
                io.netty.buffer.Unpooled.wrappedBuffer(q.toWire()),
                InetAddress.getByName("127.0.0.1"),
                io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)) {
            byte[] wire = new byte[b.readableBytes()];
            b.readBytes(wire);
            b.release();
            out.addAll(new org.xbill.DNS.Message(wire).getSection(org.xbill.DNS.Section.ANSWER));
        }
        return out;
    }

    /** A service with {@code count} ready pods in east, at PREFIX.x.y. */
    private static GlobalService pods(ServiceKey key, String prefix, int count) throws Exception {
        ClusterId east = CLUSTERS.get(0);
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            endpoints.add(new Endpoint(
                    east,
                    InetAddress.getByName(prefix + (i / 200) + "." + (i % 200 + 1)),
                    true,
                    true,
                    false,
                    null,
                    null,
                    null));
        }
        return new GlobalService(
                key,
                Map.of(
                        east,
                        new ClusterService(
                                east,
                                key,
                                "ClusterIP",
                                false,
                                null,
                                List.of(new ServicePort("http", 80, "TCP")),
                                endpoints,
                                Map.of())));
    }

    private Set<Record> zoneWithoutSoa(ZoneIndex.Zone zone, ZoneIndex index) {
        Set<Record> out = new HashSet<>();
        for (Record r : transfer.allRecords(zone, index)) {
            if (r.getType() != Type.SOA && r.getType() != Type.NS) {
                out.add(r);
            }
        }
        return out;
    }

    /** A service with {@code pods} ready pods in east: one more each step is a one-record change. */
    private static GlobalService growing(ServiceKey key, int pods) throws Exception {
        ClusterId east = CLUSTERS.get(0);
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 1; i <= pods; i++) {
            endpoints.add(
                    new Endpoint(east, InetAddress.getByName("10.20.0." + i), true, true, false, null, null, null));
        }
        return new GlobalService(
                key,
                Map.of(
                        east,
                        new ClusterService(
                                east,
                                key,
                                "ClusterIP",
                                false,
                                null,
                                List.of(new ServicePort("http", 80, "TCP")),
                                endpoints,
                                Map.of())));
    }
}
