package io.meshdns.server.answer;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.core.KubernetesNames;
import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.Reachability;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The answer engine on a fixed snapshot built in memory (no API servers, no sockets): the exact records
 * of every name form, and the per-query order of compiled answers (rotation on every query, the policies'
 * guarantees, no stale answer after a snapshot change).
 */
class AnswerEngineTest {
    private static final ClusterId EAST = ClusterId.of("east");
    private static final ClusterId WEST = ClusterId.of("west");
    private static final String Z = "clusterset.local.";
    private static final InetAddress CLIENT = address("127.0.0.1");

    private ServedZone zone;
    private EndpointSelector selector;
    private QueryResponder responder;

    @BeforeEach
    void start() throws Exception {
        responder = responder("""
        reverseZones: [10.0.0.0/8]
        clusterScopedNames: true
        """);
        install(snapshot(1, web(5, 0), db(), imported(), idle()));
    }

    private QueryResponder responder(String yaml) {
        ServerConfig config = ConfigLoader.parse("(test)", yaml + "clusters: [{id: east, weight: 3}, {id: west}]\n");
        var balancing = MeshdnsServer.loadBalancing(config, List.of());
        selector = new EndpointSelector(balancing);
        zone = new ServedZone(ZoneSettings.of(config));
        return MeshdnsServer.responder(zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing));
    }

    private void install(MeshSnapshot snapshot) {
        selector.update(snapshot); // as the server does: the load balancer first, then the zone
        zone.update(snapshot);
    }

    // ---- every name form, exact records ----

    record Row(String name, int type, String rcode, List<String> records) {
        @Override
        public String toString() {
            return name + " " + Type.string(type);
        }
    }

    static Stream<Row> names() {
        return Stream.of(
                row("web.shop.svc." + Z, Type.A, "NOERROR", "10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"),
                row("web.shop.svc." + Z, Type.AAAA, "NOERROR", "SOA"),
                row("web.shop.svc." + Z, Type.TXT, "NOERROR", "SOA"),
                row("_http._tcp.web.shop.svc." + Z, Type.SRV, "NOERROR", "0 100 80 web.shop.svc." + Z),
                row("web.shop.svc." + Z, Type.SRV, "NOERROR", "0 100 80 web.shop.svc." + Z),
                row(
                        "east.web.shop.svc." + Z,
                        Type.A,
                        "NOERROR",
                        "10.1.0.1",
                        "10.1.0.2",
                        "10.1.0.3",
                        "10.1.0.4",
                        "10.1.0.5"),
                row("west.web.shop.svc." + Z, Type.A, "NXDOMAIN", "SOA"),
                row("db.shop.svc." + Z, Type.A, "NOERROR", "10.1.1.1", "10.2.1.1"),
                row("db.shop.svc." + Z, Type.AAAA, "NOERROR", "fd00:0:0:0:0:0:1:1"),
                row("db-0.east.db.shop.svc." + Z, Type.A, "NOERROR", "10.1.1.1"),
                row("db-0.east.db.shop.svc." + Z, Type.AAAA, "NOERROR", "fd00:0:0:0:0:0:1:1"),
                row(
                        "_pg._tcp.db.shop.svc." + Z,
                        Type.SRV,
                        "NOERROR",
                        "0 50 5432 db-0.east.db.shop.svc." + Z,
                        "0 50 6432 db-0.west.db.shop.svc." + Z),
                row(
                        "db.shop.svc." + Z,
                        Type.SRV,
                        "NOERROR",
                        "0 50 5432 db-0.east.db.shop.svc." + Z,
                        "0 50 6432 db-0.west.db.shop.svc." + Z),
                row("idle.shop.svc." + Z, Type.A, "NOERROR", "SOA"),
                row("idle.shop.svc." + Z, Type.SRV, "NOERROR", "SOA"),
                row("_http._tcp.idle.shop.svc." + Z, Type.SRV, "NOERROR", "SOA"),
                row("1.1.1.10.in-addr.arpa.", Type.PTR, "NOERROR", "db-0.east.db.shop.svc." + Z),
                row("1.0.1.10.in-addr.arpa.", Type.PTR, "NOERROR", "web.shop.svc." + Z),
                row("1.0.99.10.in-addr.arpa.", Type.PTR, "NOERROR", "api.shop.svc." + Z),
                row("9.9.9.10.in-addr.arpa.", Type.PTR, "NXDOMAIN", "SOA"),
                row("dns-version." + Z, Type.TXT, "NOERROR", "1.0.0"),
                row(Z, Type.SOA, "NOERROR", "SOA"),
                row(Z, Type.NS, "NOERROR", "ns." + Z),
                row("shop.svc." + Z, Type.A, "NOERROR", "SOA"),
                row("nope.shop.svc." + Z, Type.A, "NXDOMAIN", "SOA"),
                row("example.com.", Type.A, "REFUSED"),
                row("api.shop.svc." + Z, Type.A, "NOERROR", "10.2.2.1"));
    }

    private static Row row(String name, int type, String rcode, String... records) {
        return new Row(name, type, rcode, List.of(records));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void everyNameFormAnswersExactlyItsRecords(Row row) throws Exception {
        Message answer = ask(row.name(), row.type(), null);
        assertThat(Rcode.string(answer.getRcode())).isEqualTo(row.rcode());
        List<String> records = new ArrayList<>();
        for (Record r : answer.getSection(Section.ANSWER)) {
            records.add(
                    r.getType() == Type.A || r.getType() == Type.AAAA || r.getType() == Type.SOA
                            ? (r.getType() == Type.SOA
                                    ? "SOA"
                                    : r.rdataToString().replace("/", ""))
                            : r.rdataToString());
        }
        if (records.isEmpty() && !answer.getSection(Section.AUTHORITY).isEmpty()) {
            records.add("SOA"); // NXDOMAIN and NODATA carry the zone's SOA (RFC 2308)
        }
        assertThat(records).containsExactlyInAnyOrderElementsOf(row.records());
    }

    /**
     * Configured name servers: every one an apex NS record, the first the SOA's MNAME; the addresses of those
     * inside the zone are their A/AAAA records and the NS answer's glue (RFC 1035 4.3.2), not the SOA's.
     */
    @Test
    void configuredNameServersAreTheApexNsRecordsWithTheAddressesOfThoseInTheZoneAsGlue() throws Exception {
        responder = responder("""
        nameservers:
          - {name: ns1.clusterset.local, addresses: [192.0.2.53, "2001:db8::53"]}
          - {name: ns2.example.net}
        """);
        install(snapshot(1, web(1, 0)));

        Message ns = ask(Z, Type.NS, null);
        assertThat(ns.getSection(Section.ANSWER))
                .extracting(Record::rdataToString)
                .containsExactly("ns1.clusterset.local.", "ns2.example.net.");
        assertThat(ns.getSection(Section.ADDITIONAL))
                .filteredOn(r -> r.getType() != Type.OPT)
                .extracting(r -> r.getName() + " " + r.rdataToString())
                .containsExactlyInAnyOrder(
                        "ns1.clusterset.local. 192.0.2.53", "ns1.clusterset.local. 2001:db8:0:0:0:0:0:53");
        assertThat(addresses(ask("ns1.clusterset.local.", Type.A, null))).containsExactly("192.0.2.53");
        Message soa = ask(Z, Type.SOA, null);
        assertThat(((org.xbill.DNS.SOARecord) soa.getSection(Section.ANSWER).get(0))
                        .getHost()
                        .toString())
                .isEqualTo("ns1.clusterset.local.");
        assertThat(soa.getSection(Section.ADDITIONAL))
                .filteredOn(r -> r.getType() != Type.OPT)
                .isEmpty();
    }

    /** RFC 2308: the SRV name of a service exists while the service does, as its A name does. */
    @Test
    void theSrvNameOfAClusterIpServiceWithNoReadyEndpointIsNodataNotNxdomain() throws Exception {
        Message a = ask("idle.shop.svc." + Z, Type.A, null);
        Message srv = ask("_http._tcp.idle.shop.svc." + Z, Type.SRV, null);
        assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(srv.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(srv.getSection(Section.ANSWER)).isEmpty();
        assertThat(srv.getSection(Section.AUTHORITY))
                .extracting(Record::getType)
                .containsExactly(Type.SOA);
    }

    @Test
    void aQuerierWhoseClusterImportsTheServiceGetsItsClusterSetIp() throws Exception {
        assertThat(addresses(ask("api.shop.svc." + Z, Type.A, "east"))).containsExactly("10.99.0.1");
        assertThat(addresses(ask("api.shop.svc." + Z, Type.A, "west"))).containsExactly("10.2.2.1");
    }

    // ---- rotation and the policies, per query ----

    @Test
    void tenConsecutiveQueriesOfAFiveEndpointServiceStartWithAtLeastThreeAddresses() throws Exception {
        Set<String> first = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            first.add(addresses(ask("web.shop.svc." + Z, Type.A, null)).get(0));
        }
        assertThat(first).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void overTenThousandQueriesEachEndpointIsFirstItsShareWithinTenPercent() throws Exception {
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            first.merge(addresses(ask("web.shop.svc." + Z, Type.A, null)).get(0), 1, Integer::sum);
        }
        assertThat(first).hasSize(5);
        assertThat(first.values()).allSatisfy(n -> assertThat(n).isBetween(1800, 2200));
    }

    @Test
    void weightedGivesEachClusterItsShareOfFirstPositionsQueryByQuery() throws Exception {
        install(snapshot(2, web(2, 2, "weighted")));
        int east = 0;
        for (int i = 0; i < 10_000; i++) {
            east += addresses(ask("web.shop.svc." + Z, Type.A, null)).get(0).startsWith("10.1.") ? 1 : 0;
        }
        assertThat(east)
                .as("east weighs 3, west 1: three quarters of first positions")
                .isBetween(7_250, 7_750);
    }

    @Test
    void localFirstKeepsEachQuerierInItsClusterQueryByQueryAndRotatesThere() throws Exception {
        install(snapshot(2, web(3, 2)));
        Set<String> firstOfWest = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            assertThat(addresses(ask("web.shop.svc." + Z, Type.A, "east"))).allMatch(a -> a.startsWith("10.1."));
            List<String> west = addresses(ask("web.shop.svc." + Z, Type.A, "west"));
            assertThat(west).allMatch(a -> a.startsWith("10.2."));
            firstOfWest.add(west.get(0));
        }
        assertThat(firstOfWest).containsExactlyInAnyOrder("10.2.0.1", "10.2.0.2");
    }

    @Test
    void aServiceChangeIsAnsweredByTheNextQueryAfterItsSnapshotIsInstalled() throws Exception {
        assertThat(addresses(ask("web.shop.svc." + Z, Type.A, null))).hasSize(5); // compiled and stored
        install(snapshot(2, web(2, 0), db(), imported()));
        assertThat(addresses(ask("web.shop.svc." + Z, Type.A, null))).containsExactlyInAnyOrder("10.1.0.1", "10.1.0.2");
    }

    @Test
    void anAnswerReusedUnderOneIndexIsCheckedAgainstTheNext() throws Exception {
        // A ClusterSetIP answer has no load-balanced order: only its service's lifetime says when it is stale.
        String api = "api.shop.svc." + Z;
        assertThat(addresses(ask(api, Type.A, "east"))).containsExactly("10.99.0.1"); // compiled and stored
        long misses = responder.cacheStats().missCount();
        assertThat(addresses(ask(api, Type.A, "east"))).containsExactly("10.99.0.1");
        assertThat(responder.cacheStats().missCount()).as("reused").isEqualTo(misses);
        install(snapshot(2, web(5, 0), db(), imported("10.99.0.2")));
        assertThat(addresses(ask(api, Type.A, "east"))).containsExactly("10.99.0.2");
    }

    @Test
    void anUnchangedServiceKeepsItsCompiledAnswerAcrossSnapshots() throws Exception {
        GlobalService db = db();
        install(snapshot(2, web(5, 0), db, imported()));
        ask("db.shop.svc." + Z, Type.A, null);
        long misses = responder.cacheStats().missCount();
        install(snapshot(3, web(4, 0), db, imported())); // web changed, db is the same object
        ask("db.shop.svc." + Z, Type.A, null);
        assertThat(responder.cacheStats().missCount())
                .as("db answered from its compiled answer")
                .isEqualTo(misses);
    }

    @Test
    void aHeadlessSrvAnswerNamesEachTargetOnceWithItsAddressesAndIsStored() throws Exception {
        Message first = ask("_pg._tcp.db.shop.svc." + Z, Type.SRV, null);
        long misses = responder.cacheStats().missCount();
        Message again = ask("_pg._tcp.db.shop.svc." + Z, Type.SRV, null);

        // db-0 in east is dual-stack (one target, two addresses), db-0 in west has port 6432.
        assertThat(first.getSection(Section.ANSWER))
                .extracting(Record::rdataToString)
                .containsExactlyInAnyOrder(
                        "0 50 5432 db-0.east.db.shop.svc." + Z, "0 50 6432 db-0.west.db.shop.svc." + Z);
        assertThat(first.getSection(Section.ADDITIONAL))
                .filteredOn(r -> r.getType() != Type.OPT)
                .extracting(r -> r.getName() + " " + r.rdataToString())
                .containsExactlyInAnyOrder(
                        "db-0.east.db.shop.svc." + Z + " 10.1.1.1",
                        "db-0.east.db.shop.svc." + Z + " fd00:0:0:0:0:0:1:1",
                        "db-0.west.db.shop.svc." + Z + " 10.2.1.1");
        assertThat(responder.cacheStats().missCount())
                .as("the second query is written from the stored answer")
                .isEqualTo(misses);
        assertThat(again.getSection(Section.ANSWER))
                .extracting(Record::rdataToString)
                .containsExactlyInAnyOrderElementsOf(first.getSection(Section.ANSWER).stream()
                        .map(Record::rdataToString)
                        .toList());
    }

    @Test
    void aCapAboveWhatFitsInUdpSendsWhatFitsWithTcSet() throws Exception {
        install(snapshot(2, web(60, 0, null, "60")));
        Message udp = new Message(responder.respond(
                query("web.shop.svc." + Z, Type.A, null, false).toWire(), CLIENT, false));
        Message tcp = new Message(responder.respond(
                query("web.shop.svc." + Z, Type.A, null, false).toWire(), CLIENT, true));
        assertThat(udp.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isTrue();
        assertThat(udp.toWire().length).isLessThanOrEqualTo(512);
        assertThat(udp.getSection(Section.ANSWER)).isNotEmpty();
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(60);
    }

    // ---- the fixed snapshot ----

    private static MeshSnapshot snapshot(long version, GlobalService... services) {
        Map<ServiceKey, GlobalService> all = new HashMap<>();
        for (GlobalService s : services) {
            all.put(s.key(), s);
        }
        Map<ClusterId, ClusterHealth> health = new HashMap<>();
        for (ClusterId c : List.of(EAST, WEST)) {
            health.put(c, new ClusterHealth(c, ClusterState.SYNCED, Instant.now(), null, 1, 1, 0, null));
        }
        return MeshSnapshot.of(version, all, health);
    }

    /** web: ClusterIP, port 80, {@code east} pods 10.1.0.x and {@code west} pods 10.2.0.x, all ready. */
    private static GlobalService web(int east, int west) {
        return web(east, west, null, null);
    }

    private static GlobalService web(int east, int west, String policy) {
        return web(east, west, policy, null);
    }

    private static GlobalService web(int east, int west, String policy, String maxAnswers) {
        ServiceKey key = ServiceKey.of("shop", "web");
        Map<String, String> annotations = new HashMap<>();
        if (policy != null) {
            annotations.put(KubernetesNames.POLICY_ANNOTATION, policy);
        }
        if (maxAnswers != null) {
            annotations.put(KubernetesNames.MAX_ANSWERS_ANNOTATION, maxAnswers);
        }
        Map<ClusterId, ClusterService> parts = new HashMap<>();
        if (east > 0) {
            parts.put(EAST, part(EAST, key, false, pods(EAST, "10.1.0.", east), annotations));
        }
        if (west > 0) {
            parts.put(WEST, part(WEST, key, false, pods(WEST, "10.2.0.", west), annotations));
        }
        return new GlobalService(key, parts);
    }

    /** db: headless, port pg, one dual-stack pod db-0 in east (port 5432), one in west (6432). */
    private static GlobalService db() {
        ServiceKey key = ServiceKey.of("shop", "db");
        ServicePort pg = new ServicePort("pg", 5432, "TCP");
        Endpoint e4 = new Endpoint(EAST, address("10.1.1.1"), true, true, false, "db-0", null, null, null, List.of(pg));
        Endpoint e6 =
                new Endpoint(EAST, address("fd00::1:1"), true, true, false, "db-0", null, null, null, List.of(pg));
        Endpoint w4 = new Endpoint(
                WEST,
                address("10.2.1.1"),
                true,
                true,
                false,
                "db-0",
                null,
                null,
                null,
                List.of(new ServicePort("pg", 6432, "TCP")));
        return new GlobalService(
                key,
                Map.of(
                        EAST,
                                new ClusterService(
                                        EAST, key, "ClusterIP", true, null, List.of(pg), List.of(e4, e6), Map.of()),
                        WEST,
                                new ClusterService(
                                        WEST, key, "ClusterIP", true, null, List.of(pg), List.of(w4), Map.of())));
    }

    /** idle: ClusterIP, port http 80, exported by east with no endpoint at all. */
    private static GlobalService idle() {
        ServiceKey key = ServiceKey.of("shop", "idle");
        return new GlobalService(key, Map.of(EAST, part(EAST, key, false, List.of(), Map.of())));
    }

    /** api: exported by west (pod 10.2.2.1); east imports it with ClusterSetIP 10.99.0.1. */
    private static GlobalService imported() {
        return imported("10.99.0.1");
    }

    /** api, imported by east with {@code clusterSetIp}. */
    private static GlobalService imported(String clusterSetIp) {
        ServiceKey key = ServiceKey.of("shop", "api");
        return new GlobalService(
                key,
                Map.of(WEST, part(WEST, key, false, pods(WEST, "10.2.2.", 1), Map.of())),
                Map.of(EAST, List.of(address(clusterSetIp))));
    }

    private static ClusterService part(
            ClusterId cluster, ServiceKey key, boolean headless, List<Endpoint> pods, Map<String, String> annotations) {
        return new ClusterService(
                cluster,
                key,
                "ClusterIP",
                headless,
                null,
                List.of(new ServicePort("http", 80, "TCP")),
                pods,
                annotations,
                List.of(),
                List.of(),
                List.of(),
                Instant.EPOCH,
                Reachability.POD,
                null,
                null,
                null);
    }

    private static List<Endpoint> pods(ClusterId cluster, String prefix, int count) {
        List<Endpoint> out = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            out.add(new Endpoint(cluster, address(prefix + i), true, true, false, null, null, null));
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

    // ---- the query's own EDNS options ----

    @Test
    void anNsAnswerWithGlueIsPaddedOverTlsWithItsGlueIntact() throws Exception {
        // The glue goes in the additional section before the OPT record, which stays last for the options.
        responder = responder("nameservers: [{name: ns.clusterset.local, addresses: [192.0.2.53]}]\n");
        install(snapshot(1, web(5, 0)));

        io.netty.buffer.ByteBuf out = responder.respond(
                io.netty.buffer.Unpooled.wrappedBuffer(
                        query(Z, Type.NS, null, true).toWire()),
                CLIENT,
                true,
                true,
                io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        byte[] wire = io.netty.buffer.ByteBufUtil.getBytes(out);
        out.release();

        assertThat(wire).hasSize(ResponseOptions.PADDING_BLOCK);
        Message m = new Message(wire);
        assertThat(m.getSection(Section.ANSWER))
                .singleElement()
                .extracting(Record::rdataToString)
                .isEqualTo("ns.clusterset.local.");
        assertThat(m.getSection(Section.ADDITIONAL))
                .filteredOn(r -> r.getType() == Type.A)
                .singleElement()
                .extracting(Record::rdataToString)
                .isEqualTo("192.0.2.53");
        assertThat(m.getOPT().getOptions(ResponseOptions.PADDING)).hasSize(1);
    }

    @Test
    void aTsigSignedAnswerOverTlsIsPaddedBeforeItIsSignedAndItsSignatureHolds() throws Exception {
        byte[] secret = "meshdns-test-secret-of-32-bytes!".getBytes(StandardCharsets.US_ASCII);
        responder = responder("axfr: {tsig: [{name: k, secret: "
                + java.util.Base64.getEncoder().encodeToString(secret) + "}]}\n");
        install(snapshot(1, web(5, 0)));
        org.xbill.DNS.TSIG key = new org.xbill.DNS.TSIG(org.xbill.DNS.TSIG.HMAC_SHA256, Name.fromString("k."), secret);
        Message q = query(Z, Type.SOA, null, true);
        key.apply(q, null);
        byte[] signedQuery = q.toWire();

        io.netty.buffer.ByteBuf out = responder.respond(
                io.netty.buffer.Unpooled.wrappedBuffer(signedQuery),
                CLIENT,
                true,
                true,
                io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        byte[] wire = io.netty.buffer.ByteBufUtil.getBytes(out);
        out.release();

        Message m = new Message(wire);
        assertThat(m.getSection(Section.ANSWER))
                .singleElement()
                .extracting(Record::getType)
                .isEqualTo(Type.SOA);
        assertThat(m.getOPT().getOptions(ResponseOptions.PADDING)).hasSize(1);
        assertThat(wire.length).isGreaterThan(ResponseOptions.PADDING_BLOCK); // 468 padded, then the TSIG record
        assertThat(key.verify(m, wire, new Message(signedQuery).getTSIG())).isEqualTo(Rcode.NOERROR);
    }

    // ---- queries ----

    private Message ask(String name, int type, String querier) throws Exception {
        return new Message(responder.respond(query(name, type, querier, true).toWire(), CLIENT, false));
    }

    private static Message query(String name, int type, String querier, boolean edns) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        if (querier != null) {
            q.addRecord(
                    new OPTRecord(
                            1232,
                            0,
                            0,
                            0,
                            List.of(new GenericEDNSOption(0xff14, querier.getBytes(StandardCharsets.US_ASCII)))),
                    Section.ADDITIONAL);
        } else if (edns) {
            q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        }
        return q;
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream()
                .map(r -> ((ARecord) r).getAddress().getHostAddress())
                .toList();
    }
}
