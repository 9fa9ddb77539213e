package io.meshdns.server.answer;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.meshdns.discovery.ClusterId;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.QuerierResolver;
import io.meshdns.loadbalancer.QueryContext;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.ServedZone;
import io.meshdns.server.zone.ZoneIndex;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Type;

/**
 * The front of the query path: turns one DNS query (wire bytes) into its answer (wire bytes),
 * authoritatively for the mesh's zones.
 *
 * <p>The hot path: read the question from the bytes ({@link WireQuery}), find its compiled answer in the
 * {@link AnswerStore}, check it is still current, and write it into a pooled buffer, the load balancer
 * choosing this query's addresses ({@link CompiledAnswer#write}). Otherwise the {@link AnswerCompiler}
 * compiles it from the current {@link ZoneIndex} (a volatile read) and it is stored. Zone transfers go to
 * {@link Transfers}. No locks, no blocking, no logging per query; a stored answer's hit allocates
 * nothing.
 */
public final class QueryResponder {
    static final int TCP_MAX = AnswerCompiler.TCP_MAX;
    /** The two-byte length in front of each message over TCP (RFC 1035 4.2.2). */
    public static final int TCP_LENGTH_PREFIX = 2;
    /**
     * What a signed answer's padding leaves free for its TSIG record (RFC 8945 4.2: two names of up to 255
     * bytes, a MAC of up to 64 and about 30 bytes of fields), so that signing never takes it past 64 KiB.
     */
    private static final int SIGNATURE_ROOM = 1024;

    private final QuerierResolver querier;
    private final int clusterOptionCode;
    private final AnswerCompiler compiler;
    private final AnswerStore store;
    private final Transfers transfer;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    /** {@code null} when DNS cookies are off. */
    private final ServerCookies cookies;

    private final boolean padEveryEdnsAnswer;
    /** The index answered from and whether the mesh is ready yet (in-zone queries get SERVFAIL until then). */
    private final ServedZone zone;

    private final Counter notReady;
    private final FastThreadLocal<Scratch> scratch = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch(new ResponseOptions(
                    cookies == null ? null : cookies.hasher(), padEveryEdnsAnswer, Clock.systemUTC()));
        }
    };

    /**
     * @param zone the zone answered from, updated by the assembly with each mesh snapshot
     * @param dns the answers to CH-class queries ({@code chaos}) and the bytes of compiled answers kept ({@code cache})
     * @param transfers the zone transfers, built on this responder's compiler
     */
    public QueryResponder(
            ServedZone zone,
            ServerConfig.Dns dns,
            EndpointSelector selector,
            QuerierResolver querier,
            MeterRegistry registry,
            Function<AnswerCompiler, Transfers> transfers) {
        this.zone = zone;
        this.querier = querier;
        this.clusterOptionCode = querier.ednsOptionCode();
        this.notReady = Counter.builder("meshdns.dns.not.ready")
                .description("In-zone queries answered SERVFAIL because the mesh was not ready yet (start-up)")
                .register(registry);
        this.compiler = new AnswerCompiler(
                zone.settings(),
                selector,
                dns.chaos(),
                notReady,
                Counter.builder("meshdns.dns.tcp.truncated")
                        .description(
                                "Answers over TCP or DNS over TLS cut at the 65,535-byte message limit, sent with TC set")
                        .register(registry));
        this.store = new AnswerStore(dns.cache());
        this.cookies = dns.cookies().enabled() ? new ServerCookies(dns.cookies().secrets()) : null;
        this.padEveryEdnsAnswer = dns.tls().padsEveryEdnsAnswer();
        this.transfer = transfers.apply(compiler);
        transfer.openWhen(zone::ready); // the same signal as answers
        transfer.published(null, zone.index());
        // The IXFR journal (when transfers are on) hears of each index after it is served, so it never delays
        // answers: while it lags, an IXFR gets a full transfer. It compares only the changed names of the two.
        zone.addListener(transfer::published);
    }

    /** Queries answered from a stored compiled answer, and those that had to compile one. */
    public CacheStats cacheStats() {
        return CacheStats.of(hits.sum(), misses.sum(), 0, 0, 0, 0, 0);
    }

    /** The same answer as bytes, off the hot path (the status page's resolve form, tests). */
    public byte[] respond(byte[] packet, InetAddress client, boolean tcp) {
        ByteBuf answer = respond(Unpooled.wrappedBuffer(packet), client, tcp, UnpooledByteBufAllocator.DEFAULT);
        if (answer == null) {
            return null;
        }
        try {
            return ByteBufUtil.getBytes(answer);
        } finally {
            answer.release();
        }
    }

    /**
     * Answers one query.
     *
     * @param query the query; not released
     * @param tcp whether the answer goes over TCP (no size limit); over UDP the client's EDNS size decides
     * @return the response, owned by the caller, or {@code null} when the packet is to be dropped
     */
    public ByteBuf respond(ByteBuf query, InetAddress client, boolean tcp, ByteBufAllocator alloc) {
        return respond(query, client, tcp, false, alloc);
    }

    /**
     * Answers one query, over TLS when {@code encrypted} (only then is the answer padded, RFC 7830 6).
     *
     * @see #respond(ByteBuf, InetAddress, boolean, ByteBufAllocator)
     */
    public ByteBuf respond(ByteBuf query, InetAddress client, boolean tcp, boolean encrypted, ByteBufAllocator alloc) {
        Scratch s = scratch.get();
        int length = Math.min(query.readableBytes(), s.packet.length);
        query.getBytes(query.readerIndex(), s.packet, 0, length);
        return respond(s, length, s.wire.read(s.packet, length, clusterOptionCode), client, tcp, encrypted, alloc, 0);
    }

    /**
     * Answers the query in {@code s.packet} ({@code length} bytes), which {@code s.wire} has read ({@code read}:
     * whether it could), its answer {@code headroom} bytes into its buffer.
     */
    private ByteBuf respond(
            Scratch s,
            int length,
            boolean read,
            InetAddress client,
            boolean tcp,
            boolean encrypted,
            ByteBufAllocator alloc,
            int headroom) {
        s.querier = null;
        s.qtype = -1;
        ResponseOptions options = s.options;
        options.clear();
        WireQuery wire = s.wire;
        // Before the index: readiness is set after the index it judged, so ready here means that index or newer.
        boolean ready = this.zone.ready();
        ZoneIndex zone = this.zone.index();
        if (!read || wire.qtype == Type.AXFR || wire.qtype == Type.IXFR) {
            return respondUnusual(Arrays.copyOf(s.packet, length), client, tcp, encrypted, zone, ready, alloc);
        }
        s.qtype = wire.qtype;
        if (wire.ednsPayload >= 0 && !options.read(wire, s.packet, client, encrypted)) {
            return bytes(
                    alloc, Responses.formerr(Arrays.copyOf(s.packet, length))); // a malformed cookie (RFC 7873 5.2.2)
        }
        int limit = AnswerCompiler.sizeLimit(tcp, wire.ednsPayload);
        // As QuerierResolver.resolve, without building a QueryContext.
        ClusterId cluster = wire.clusterOptionAt < 0
                ? null
                : querier.clusterOfOption(s.packet, wire.clusterOptionAt, wire.clusterOptionLength);
        if (cluster == null) {
            cluster = querier.clusterOfSource(client);
        }
        s.querier = cluster;
        String querierTopologyZone = querier.topologyZoneOfSource(client);
        // An answer that leaves room for the query's own options (a cookie) is one of its own size class.
        AnswerStore.AnswerKey probe = s.probe.set(
                wire.question,
                wire.questionLength,
                limit - options.reserve(),
                wire.ednsPayload >= 0,
                cluster,
                querierTopologyZone);
        CompiledAnswer answer = store.get(probe);
        // No in-zone answer is stored before readiness (SERVFAIL is never stored), so a hit needs no check.
        if (answer != null && answer.reusable(zone)) {
            hits.increment();
            return options.write(
                    answer.write(
                            alloc,
                            headroom,
                            s.packet,
                            wire.nameLength,
                            cluster,
                            querierTopologyZone,
                            s.positions(answer),
                            s.scratch(answer)),
                    answer.endsWithOpt(),
                    limit);
        }
        misses.increment();
        Message parsed;
        try {
            parsed = new Message(Arrays.copyOf(s.packet, length));
        } catch (IOException | RuntimeException e) {
            return bytes(alloc, Responses.formerr(Arrays.copyOf(s.packet, length)));
        }
        answer = compiler.compile(
                parsed, new QueryContext(client, cluster, querierTopologyZone), tcp, options.reserve(), zone, ready);
        if (answer == null) {
            return null;
        }
        store.put(probe.copy(), answer);
        return options.write(
                answer.write(
                        alloc,
                        headroom,
                        s.packet,
                        wire.nameLength,
                        cluster,
                        querierTopologyZone,
                        s.positions(answer),
                        s.scratch(answer)),
                answer.endsWithOpt(),
                limit);
    }

    /** A query the wire reader leaves to dnsjava (several options, BADVERS, a malformed packet...): never stored. */
    private ByteBuf respondUnusual(
            byte[] packet,
            InetAddress client,
            boolean tcp,
            boolean encrypted,
            ZoneIndex zone,
            boolean ready,
            ByteBufAllocator alloc) {
        Message parsed;
        try {
            parsed = new Message(packet);
        } catch (IOException | RuntimeException e) {
            return bytes(alloc, Responses.formerr(packet));
        }
        if (!AnswerCompiler.ednsWellFormed(parsed)) { // before transfers and NOTIFY too: RFC 6891 holds for all
            return bytes(alloc, Responses.formerr(packet));
        }
        OPTRecord opt = parsed.getOPT();
        if (opt != null && !scratch.get().options.read(opt, client, encrypted)) {
            return bytes(alloc, Responses.formerr(packet)); // a malformed cookie (RFC 7873 5.2.2)
        }
        if (transfer.takes(parsed)) { // NOTIFY, IXFR over UDP, TSIG-signed queries
            return bytes(alloc, transfer.respond(parsed, packet, client, zone, q -> {
                ByteBuf unsigned =
                        compile(q, client, tcp, SIGNATURE_ROOM, zone, ready, UnpooledByteBufAllocator.DEFAULT);
                try {
                    return unsigned == null ? null : ByteBufUtil.getBytes(unsigned);
                } finally {
                    if (unsigned != null) {
                        unsigned.release();
                    }
                }
            }));
        }
        return compile(parsed, client, tcp, 0, zone, ready, alloc);
    }

    /** @param room bytes the padding leaves free below the size limit (for a TSIG record added afterwards) */
    private ByteBuf compile(
            Message parsed,
            InetAddress client,
            boolean tcp,
            int room,
            ZoneIndex zone,
            boolean ready,
            ByteBufAllocator alloc) {
        OPTRecord opt = parsed.getOPT();
        QueryContext context = context(opt, client);
        Scratch s = scratch.get();
        CompiledAnswer answer = compiler.compile(parsed, context, tcp, s.options.reserve(), zone, ready);
        if (answer == null) {
            return null;
        }
        int limit = AnswerCompiler.sizeLimit(tcp, opt == null ? -1 : opt.getPayloadSize()) - room;
        return s.options.write(
                answer.write(
                        alloc,
                        0,
                        null,
                        0,
                        context.querierCluster(),
                        context.querierTopologyZone(),
                        s.positions(answer),
                        s.scratch(answer)),
                answer.endsWithOpt(),
                limit);
    }

    /**
     * Whether the query this thread answered last carried a server cookie this server made for that client,
     * still current (RFC 7873 5.2.3): such a client has shown it receives answers at its address, so it is
     * not a spoofed source, and response rate limiting lets it pass.
     */
    public boolean lastQueryHadValidCookie() {
        return scratch.get().options.cookieValid();
    }

    /**
     * The question's type of the query this thread answered last when it was a plain one (read from the wire,
     * {@link WireQuery}), else -1: the metrics take it from here rather than reading the question again.
     */
    public int lastQueryType() {
        return scratch.get().qtype;
    }

    /** The querier's cluster of the query this thread answered last, or null (unknown, or an unusual query). */
    public ClusterId lastQuerierCluster() {
        return scratch.get().querier;
    }

    private static ByteBuf bytes(ByteBufAllocator alloc, byte[] wire) {
        return wire == null ? null : alloc.ioBuffer(wire.length).writeBytes(wire);
    }

    /**
     * Over TCP a query may need several messages (a zone transfer); every other query gets one.
     *
     * @return the messages to send in order, owned by the caller; empty when the query is to be dropped
     */
    public List<ByteBuf> respondTcp(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
        List<ByteBuf> out = new ArrayList<>(1);
        respondTcp(query, client, false, alloc, out);
        return out;
    }

    /**
     * As {@link #respondTcp(ByteBuf, InetAddress, ByteBufAllocator)}, over TLS when {@code encrypted} (padded),
     * adding the messages to {@code out}: the TCP listener's list, reused from query to query. A message may
     * leave {@link #TCP_LENGTH_PREFIX} bytes free before its reader index, for the length that frames it.
     */
    public void respondTcp(
            ByteBuf query, InetAddress client, boolean encrypted, ByteBufAllocator alloc, List<ByteBuf> out) {
        Scratch s = scratch.get();
        int length = Math.min(query.readableBytes(), s.packet.length);
        query.getBytes(query.readerIndex(), s.packet, 0, length);
        boolean read = s.wire.read(s.packet, length, clusterOptionCode);
        if (!read || s.wire.qtype == Type.AXFR || s.wire.qtype == Type.IXFR) {
            // Possibly a zone transfer (signed requests carry a TSIG record the wire reader leaves to dnsjava).
            List<byte[]> messages = transfer.transferTcp(Arrays.copyOf(s.packet, length), client, zone.index());
            if (messages != null) {
                for (byte[] message : messages) {
                    out.add(Unpooled.wrappedBuffer(message));
                }
                return;
            }
        }
        // The question is read once: what the wire reader found goes on to the answer.
        ByteBuf one = respond(s, length, read, client, true, encrypted, alloc, TCP_LENGTH_PREFIX);
        if (one != null) {
            out.add(one);
        }
    }

    /** The querier's cluster from the EDNS0 cluster option, else from its source address; and its zone. */
    private QueryContext context(OPTRecord opt, InetAddress client) {
        if (opt != null) {
            for (EDNSOption option : opt.getOptions(clusterOptionCode)) {
                byte[] wire = option.toWire(); // code (2 bytes), length (2), data: dnsjava keeps the data private
                return querier.resolve(client, wire, 4, wire.length - 4);
            }
        }
        return querier.resolve(client);
    }

    /** One thread's reused space for the query path. */
    private static final class Scratch {
        /** The longest query: a TCP message. */
        final byte[] packet = new byte[TCP_MAX];

        final WireQuery wire = new WireQuery();
        final ResponseOptions options;
        final AnswerStore.AnswerKey probe = new AnswerStore.AnswerKey();
        /** The querier's cluster of the last query answered, for {@link TopNames}. */
        ClusterId querier;
        /** The question's type of the last query answered when the wire reader took it, else -1. */
        int qtype = -1;
        /** The positions a policy picks (every candidate of a headless service): grows like the policy's scratch. */
        private int[] positions = new int[64];

        private int[] policyScratch = new int[64];

        Scratch(ResponseOptions options) {
            this.options = options;
        }

        /** Space for the positions chosen from {@code answer}'s candidates; grows (rarely) to the largest service seen. */
        int[] positions(CompiledAnswer answer) {
            positions = room(positions, answer.candidates());
            return positions;
        }

        /** Space for the policy over {@code answer}'s candidates; grows (rarely) to the largest service seen. */
        int[] scratch(CompiledAnswer answer) {
            policyScratch = room(policyScratch, answer.candidates());
            return policyScratch;
        }

        /** {@code array}, or a new one of at least {@code needed} (doubling, so growth is rare) when it is smaller. */
        private static int[] room(int[] array, int needed) {
            return array.length >= needed ? array : new int[Math.max(needed, array.length * 2)];
        }
    }
}
