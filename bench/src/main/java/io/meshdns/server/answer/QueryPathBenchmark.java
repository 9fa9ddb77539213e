package io.meshdns.server.answer;

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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.DClass;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The query path of one UDP query, from the packet's bytes to the answer's bytes: decode the question,
 * look the name up, let the policy choose endpoints, encode. {@code cacheHit}: the compiled answer is
 * stored (the steady state under load: lookup, the policy's order for this query, then a pooled copy of
 * the chosen records with the query's ID and case patched in). {@code cacheMiss}: {@code dns.cache: 0},
 * so every query is parsed with dnsjava and compiled from the zone index and the load balancer. Run with {@code -prof gc} for the bytes allocated per query
 * ({@code gc.alloc.rate.norm}).
 *
 * <p>The mesh: 3 clusters, 1,000 ClusterIP services each with 3 ready pods per cluster (9 candidates,
 * answers capped at 8), queried round-robin over the 1,000 names without EDNS, as dnsperf sends them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// Netty gives its event-loop threads a pool cache and a batched recycler; these make the benchmark's
// thread (not a Netty thread) allocate and release answer buffers the same way.
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xms1g",
            "-Xmx1g",
            "-Dio.netty.allocator.useCacheForAllThreads=true",
            "-Dio.netty.recycler.batchFastThreadLocalOnly=false"
        })
public class QueryPathBenchmark {
    static final int CLUSTERS = 3;
    static final int SERVICES = 1000;
    static final int PODS = 3;

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private QueryResponder cached;
    private QueryResponder uncached;
    private ByteBuf[] queries;
    /** The same names with EDNS and the cluster option of c0, c1 or c2, as CoreDNS forwards them. */
    private ByteBuf[] localFirstQueries;
    /** With DNS cookies on (RFC 7873). */
    private QueryResponder withCookies;
    /** The same names with EDNS and a COOKIE option holding a valid server cookie of {@link #withCookies}. */
    private ByteBuf[] cookieQueries;
    /** The same names with EDNS (size 1232), as a DNS-over-TLS client sends them: padded answers. */
    private ByteBuf[] ednsQueries;

    private InetAddress client;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        MeshSnapshot snapshot = mesh();
        String clusters = "clusters: [{id: c0}, {id: c1}, {id: c2}]\n";
        cached = responder("dns: {cache: 64Mi}\n" + clusters, snapshot);
        withCookies = responder("dns: {cache: 64Mi, cookies: {enabled: true}}\n" + clusters, snapshot);
        uncached = responder("dns: {cache: 0}\n" + clusters, snapshot);
        queries = new ByteBuf[SERVICES];
        localFirstQueries = new ByteBuf[SERVICES];
        cookieQueries = new ByteBuf[SERVICES];
        ednsQueries = new ByteBuf[SERVICES];
        client = InetAddress.getByName("127.0.0.1");
        for (int s = 0; s < SERVICES; s++) {
            Name name = Name.fromString("svc-" + s + ".ns-" + s % 4 + ".svc.clusterset.local.");
            Message query = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
            byte[] wire = query.toWire();
            // Direct, as the epoll transport reads them.
            queries[s] = Unpooled.directBuffer(wire.length).writeBytes(wire);
            query.addRecord(
                    new OPTRecord(
                            1232,
                            0,
                            0,
                            0,
                            List.of(new GenericEDNSOption(
                                    0xff14, ("c" + s % CLUSTERS).getBytes(StandardCharsets.US_ASCII)))),
                    Section.ADDITIONAL);
            wire = query.toWire();
            localFirstQueries[s] = Unpooled.directBuffer(wire.length).writeBytes(wire);
            Message edns = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
            edns.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
            wire = edns.toWire();
            ednsQueries[s] = Unpooled.directBuffer(wire.length).writeBytes(wire);
            cookieQueries[s] = cookieQuery(name);
        }
        for (ByteBuf q : localFirstQueries) {
            cached.respond(q, client, false, ALLOC).release();
        }
        for (ByteBuf q : queries) {
            ByteBuf answer = cached.respond(q, client, false, ALLOC);
            if (answer == null) {
                throw new IllegalStateException("no answer while warming the cache");
            }
            answer.release();
        }
        for (ByteBuf q : ednsQueries) {
            cached.respond(q, client, true, true, ALLOC).release();
        }
        for (ByteBuf q : cookieQueries) {
            withCookies.respond(q, client, false, ALLOC).release();
            if (!withCookies.lastQueryHadValidCookie()) {
                throw new IllegalStateException("the server cookie was not accepted");
            }
        }
    }

    /** {@code name} A with EDNS and a COOKIE option: a client cookie and the server cookie it was answered. */
    private ByteBuf cookieQuery(Name name) throws Exception {
        byte[] clientCookie = {1, 2, 3, 4, 5, 6, 7, 8};
        Message first = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        first.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new GenericEDNSOption(10, clientCookie))), Section.ADDITIONAL);
        ByteBuf reply = withCookies.respond(Unpooled.wrappedBuffer(first.toWire()), client, false, ALLOC);
        byte[] cookie = new Message(io.netty.buffer.ByteBufUtil.getBytes(reply))
                .getOPT()
                .getOptions(10)
                .get(0)
                .toWire();
        reply.release();
        Message query = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        query.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new GenericEDNSOption(10, java.util.Arrays.copyOfRange(cookie, 4, cookie.length)))),
                Section.ADDITIONAL);
        byte[] wire = query.toWire();
        return Unpooled.directBuffer(wire.length).writeBytes(wire);
    }

    /** Returned to the pool as the server's write does once the answer is sent. */
    @Benchmark
    public int cacheHit() {
        ByteBuf answer = cached.respond(nextQuery(), client, false, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    /** A hit of a querier that names its cluster (EDNS0 option): the local-first policy's path. */
    @Benchmark
    public int cacheHitLocalFirst() {
        ByteBuf q = localFirstQueries[next];
        next = next + 1 == localFirstQueries.length ? 0 : next + 1;
        ByteBuf answer = cached.respond(q, client, false, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    /**
     * A hit with a valid server cookie (cookies on): checked (one SipHash) and sent back, the client address's
     * bytes copied (the one allocation).
     */
    @Benchmark
    public int cacheHitWithCookie() {
        ByteBuf q = cookieQueries[next];
        next = next + 1 == cookieQueries.length ? 0 : next + 1;
        ByteBuf answer = withCookies.respond(q, client, false, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    /** A hit with EDNS over DNS over TLS: the answer padded to 468 bytes (RFC 8467). */
    @Benchmark
    public int cacheHitPadded() {
        ByteBuf q = ednsQueries[next];
        next = next + 1 == ednsQueries.length ? 0 : next + 1;
        ByteBuf answer = cached.respond(q, client, true, true, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    @Benchmark
    public int cacheMiss() {
        ByteBuf answer = uncached.respond(nextQuery(), client, false, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    private ByteBuf nextQuery() {
        ByteBuf q = queries[next];
        next = next + 1 == queries.length ? 0 : next + 1;
        return q;
    }

    private static QueryResponder responder(String yaml, MeshSnapshot snapshot) {
        ServerConfig config = ConfigLoader.parse("(bench)", yaml);
        var balancing = MeshdnsServer.loadBalancing(config, List.of());
        var selector = new EndpointSelector(balancing);
        var zone = new ServedZone(ZoneSettings.of(config));
        var responder =
                MeshdnsServer.responder(zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing));
        selector.update(snapshot);
        zone.update(snapshot);
        return responder;
    }

    static MeshSnapshot mesh() throws Exception {
        Map<ServiceKey, GlobalService> services = new HashMap<>();
        Map<ClusterId, ClusterHealth> health = new HashMap<>();
        int address = 1;
        for (int c = 0; c < CLUSTERS; c++) {
            ClusterId id = ClusterId.of("c" + c);
            health.put(
                    id,
                    new ClusterHealth(
                            id, ClusterState.SYNCED, Instant.now(), null, SERVICES, SERVICES * PODS, 0, null));
        }
        for (int s = 0; s < SERVICES; s++) {
            ServiceKey key = ServiceKey.of("ns-" + s % 4, "svc-" + s);
            Map<ClusterId, ClusterService> byCluster = new HashMap<>();
            for (int c = 0; c < CLUSTERS; c++) {
                ClusterId id = ClusterId.of("c" + c);
                Endpoint[] pods = new Endpoint[PODS];
                for (int p = 0; p < PODS; p++, address++) {
                    InetAddress ip = InetAddress.getByAddress(
                            new byte[] {10, (byte) (address >> 16), (byte) (address >> 8), (byte) address});
                    pods[p] = new Endpoint(id, ip, true, true, false, null, null, null);
                }
                byCluster.put(
                        id,
                        new ClusterService(
                                id,
                                key,
                                "ClusterIP",
                                false,
                                null,
                                List.of(new ServicePort("http", 80, "TCP")),
                                List.of(pods),
                                Map.of()));
            }
            services.put(key, new GlobalService(key, byCluster));
        }
        return MeshSnapshot.of(1, services, health);
    }
}
