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
import java.util.ArrayList;
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
import org.openjdk.jmh.annotations.Param;
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
 * A headless service's complete answer over TCP, from the query's bytes to the answer's bytes, the
 * compiled answer stored (the steady state): {@code a} writes every ready endpoint's A record in this
 * query's order (local-first: the querier's cluster first, each cluster rotated), {@code srv} every SRV
 * record and the addresses that fit. {@code pods} ready pods with hostnames, spread over 3 clusters, the
 * querier in c0 (the EDNS0 cluster option CoreDNS adds). Run with {@code -prof gc}: per query, nothing but
 * the pooled outgoing buffer (returned as the server's write does), so {@code gc.alloc.rate.norm} ~ 0.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xms1g",
            "-Xmx1g",
            "-Dio.netty.allocator.useCacheForAllThreads=true",
            "-Dio.netty.recycler.batchFastThreadLocalOnly=false"
        })
public class HeadlessAnswerBenchmark {
    static final int CLUSTERS = 3;
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @Param({"5", "1200"})
    public int pods;

    private QueryResponder responder;
    private ByteBuf a;
    private ByteBuf srv;
    private InetAddress client;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        ServerConfig config = ConfigLoader.parse("(bench)", "clusters: [{id: c0}, {id: c1}, {id: c2}]\n");
        var balancing = MeshdnsServer.loadBalancing(config, List.of());
        var selector = new EndpointSelector(balancing);
        var zone = new ServedZone(ZoneSettings.of(config));
        responder =
                MeshdnsServer.responder(zone, config.dns(), config.axfr(), selector, new QuerierResolver(balancing));
        MeshSnapshot snapshot = mesh(pods);
        selector.update(snapshot);
        zone.update(snapshot);
        a = query("db.shop.svc.clusterset.local.", Type.A);
        srv = query("_peer._tcp.db.shop.svc.clusterset.local.", Type.SRV);
        client = InetAddress.getByName("127.0.0.1");
        for (ByteBuf q : new ByteBuf[] {a, srv}) {
            ByteBuf answer = responder.respond(q, client, true, ALLOC);
            Message m = new Message(io.netty.buffer.ByteBufUtil.getBytes(answer));
            int records = m.getSection(Section.ANSWER).size();
            if (records != pods || m.getHeader().getFlag(org.xbill.DNS.Flags.TC)) {
                throw new IllegalStateException("expected all " + pods + " records, got " + records);
            }
            answer.release();
        }
    }

    /** Returned to the pool as the server's write does once the answer is sent. */
    @Benchmark
    public int a() {
        ByteBuf answer = responder.respond(a, client, true, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    @Benchmark
    public int srv() {
        ByteBuf answer = responder.respond(srv, client, true, ALLOC);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    /** A query from a pod of c0, through its CoreDNS (EDNS0 option 0xff14), in a direct buffer as epoll reads it. */
    private static ByteBuf query(String name, int type) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        query.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new GenericEDNSOption(0xff14, "c0".getBytes(StandardCharsets.US_ASCII)))),
                Section.ADDITIONAL);
        byte[] wire = query.toWire();
        return Unpooled.directBuffer(wire.length).writeBytes(wire);
    }

    /** {@code shop/db}: headless, port peer 7000, {@code pods} ready pods db-N spread over the clusters. */
    static MeshSnapshot mesh(int pods) throws Exception {
        ServiceKey key = ServiceKey.of("shop", "db");
        ServicePort peer = new ServicePort("peer", 7000, "TCP");
        Map<ClusterId, List<Endpoint>> byCluster = new HashMap<>();
        for (int p = 0; p < pods; p++) {
            ClusterId id = ClusterId.of("c" + p % CLUSTERS);
            InetAddress ip =
                    InetAddress.getByAddress(new byte[] {10, (byte) (p % CLUSTERS), (byte) (p >> 8), (byte) p});
            byCluster
                    .computeIfAbsent(id, k -> new ArrayList<>())
                    .add(new Endpoint(
                            id,
                            ip,
                            true,
                            true,
                            false,
                            "db-" + p,
                            null,
                            null,
                            new Endpoint.TargetRef("Pod", "shop", "db-" + p),
                            List.of(peer)));
        }
        Map<ClusterId, ClusterService> parts = new HashMap<>();
        Map<ClusterId, ClusterHealth> health = new HashMap<>();
        byCluster.forEach((id, list) -> {
            parts.put(id, new ClusterService(id, key, "ClusterIP", true, null, List.of(peer), list, Map.of()));
            health.put(id, new ClusterHealth(id, ClusterState.SYNCED, Instant.EPOCH, null, 1, list.size(), 0, null));
        });
        return MeshSnapshot.of(1, Map.of(key, new GlobalService(key, parts)), health);
    }
}
