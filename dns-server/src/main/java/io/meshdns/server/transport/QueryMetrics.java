package io.meshdns.server.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The query path's metrics, named like CoreDNS's: requests by transport and type, responses by rcode, and
 * the time to answer. Every counter is registered at start and looked up by array index, so recording a
 * query takes no lock and allocates nothing: the qtype is read from the query bytes and the rcode from
 * the response header, without parsing either message.
 */
public final class QueryMetrics {
    /** The types with a series of their own; every other type counts as {@code other}, as in CoreDNS. */
    static final int[] NAMED_TYPES = {
        Type.A,
        Type.NS,
        Type.CNAME,
        Type.SOA,
        Type.PTR,
        Type.MX,
        Type.TXT,
        Type.AAAA,
        Type.SRV,
        Type.NAPTR,
        Type.DS,
        Type.DNSKEY,
        Type.SVCB,
        Type.HTTPS,
        Type.CAA,
        Type.IXFR,
        Type.AXFR,
        Type.ANY
    };
    /** CoreDNS's buckets: 0.25 ms doubling up to about 8 s. */
    public static final Duration[] DURATION_BUCKETS = exponential(Duration.ofNanos(250_000), 16);

    /** The transports, a label of the request and duration metrics. */
    enum Proto {
        UDP,
        TCP,
        /** DNS over TLS, RFC 7858. */
        DOT;

        final String label = name().toLowerCase(java.util.Locale.ROOT);
    }

    /** By {@link Proto#ordinal()}, then qtype. */
    private final Counter[][] byProtoAndType = new Counter[Proto.values().length][];

    private final Counter[] other = new Counter[Proto.values().length];
    private final Counter[] byRcode = new Counter[16];
    private final Timer[] duration = new Timer[Proto.values().length];
    private final Counter[] tcpClosed = new Counter[TcpConnections.Closed.values().length];
    private final Counter rrlDropped;
    private final Counter rrlSlipped;
    private final MeterRegistry registry;
    /** Samples names for the status page, or null when {@code status.topNames.enabled} is false. */
    private TopNames names;

    public QueryMetrics(MeterRegistry registry) {
        this.registry = registry;
        int size = Arrays.stream(NAMED_TYPES).max().orElseThrow() + 1;
        for (Proto p : Proto.values()) {
            other[p.ordinal()] = requests(registry, p.label, "other");
            Counter[] byType = new Counter[size];
            Arrays.fill(byType, other[p.ordinal()]);
            for (int type : NAMED_TYPES) {
                byType[type] = requests(registry, p.label, Type.string(type));
            }
            byProtoAndType[p.ordinal()] = byType;
            duration[p.ordinal()] = duration(registry, p.label);
        }
        for (int rcode = 0; rcode < byRcode.length; rcode++) {
            byRcode[rcode] = Counter.builder("meshdns.dns.responses")
                    .description("DNS responses sent, by response code")
                    .tag("rcode", Rcode.string(rcode))
                    .register(registry);
        }
        for (TcpConnections.Closed why : TcpConnections.Closed.values()) {
            tcpClosed[why.ordinal()] = Counter.builder("meshdns.dns.tcp.closed")
                    .description(
                            "TCP and DNS-over-TLS connections closed by the server to protect it: a query that did not"
                                    + " arrive whole in dns.tcpQueryTimeout, the longest-idle connection closed for a new one over a cap,"
                                    + " a TLS handshake not done in dns.tcpQueryTimeout, answers not taken by the client for"
                                    + " dns.tcpQueryTimeout (write_timeout), or the connection holding the most answers not taken when all"
                                    + " held more than dns.maxTcpPendingOutput (output_budget)")
                    .tag("reason", why.name().toLowerCase(java.util.Locale.ROOT))
                    .register(registry);
        }
        rrlDropped = Counter.builder("meshdns.dns.rrl.dropped")
                .description("UDP responses not sent because their source prefix exceeded dns.rateLimit")
                .register(registry);
        rrlSlipped = Counter.builder("meshdns.dns.rrl.slipped")
                .description("UDP responses over dns.rateLimit sent as an empty truncated answer (TC=1) instead")
                .register(registry);
    }

    /** Samples the names of the queries recorded into {@code names} from now on (set before the listeners start). */
    public void sampleNames(TopNames names) {
        this.names = names;
    }

    void tcpClosed(TcpConnections.Closed why) {
        tcpClosed[why.ordinal()].increment();
    }

    /** Which sockets serve DNS over UDP ({@code dns.udpTransport}): a gauge of 1 labelled with the running one. */
    void udpTransport(String transport) {
        Gauge.builder("meshdns.dns.udp.transport.info", () -> 1)
                .description(
                        "The UDP transport that runs: ffm (java.lang.foreign recvmmsg/sendmmsg, JDK 22+), netty-epoll"
                                + " or netty-nio (see dns.udpTransport)")
                .tag("transport", transport)
                .strongReference(true)
                .register(registry);
    }

    /** The bytes of answers written to TCP and DNS-over-TLS connections that their clients have not taken yet. */
    void tcpPendingOutput(java.util.function.LongSupplier bytes) {
        Gauge.builder("meshdns.dns.tcp.pending.output", bytes, b -> b.getAsLong())
                .description("Bytes of answers written to TCP and DNS-over-TLS connections that their clients have not"
                        + " taken yet, in all (each connection as it last measured; see dns.maxTcpPendingOutput)")
                .baseUnit("bytes")
                .strongReference(true) // the supplier is a method reference nothing else holds
                .register(registry);
    }

    void rrlDropped() {
        rrlDropped.increment();
    }

    void rrlSlipped() {
        rrlSlipped.increment();
    }

    private static Counter requests(MeterRegistry registry, String proto, String type) {
        return Counter.builder("meshdns.dns.requests")
                .description("DNS queries received, by transport and query type")
                .tags("proto", proto, "type", type)
                .register(registry);
    }

    private static Timer duration(MeterRegistry registry, String proto) {
        return Timer.builder("meshdns.dns.request.duration")
                .description("Time from reading a DNS query to having its response, by transport")
                .tag("proto", proto)
                .serviceLevelObjectives(DURATION_BUCKETS)
                .register(registry);
    }

    /**
     * Records one query, reading the buffers in place (no copy, no allocation). Called on the event loop
     * that answered it.
     *
     * @param response the response, or {@code null} when the packet was dropped
     */
    void record(Proto proto, io.netty.buffer.ByteBuf query, io.netty.buffer.ByteBuf response, long nanos) {
        record(proto, -1, query, response, nanos);
    }

    /**
     * As {@link #record(Proto, io.netty.buffer.ByteBuf, io.netty.buffer.ByteBuf, long)} with the question's type
     * when the responder has read it already ({@code knownType}), else -1: then it is read from the query.
     */
    void record(
            Proto proto, int knownType, io.netty.buffer.ByteBuf query, io.netty.buffer.ByteBuf response, long nanos) {
        Counter[] byType = byProtoAndType[proto.ordinal()];
        int qtype = knownType >= 0 ? knownType : qtype(query);
        if (qtype >= 0 && qtype < byType.length) {
            byType[qtype].increment();
        } else {
            other[proto.ordinal()].increment();
        }
        if (response != null && response.readableBytes() > 3) {
            byRcode[response.getByte(response.readerIndex() + 3) & 0x0F].increment();
        }
        duration[proto.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
        if (names != null) {
            names.record(query, response);
        }
    }

    /** The first question's type, read from the wire without parsing the message; -1 when unreadable. */
    static int qtype(io.netty.buffer.ByteBuf b) {
        int base = b.readerIndex();
        int n = b.readableBytes();
        if (n < 12 || (b.getByte(base + 4) == 0 && b.getByte(base + 5) == 0)) {
            return -1;
        }
        int i = 12;
        while (i < n) {
            int len = b.getByte(base + i) & 0xFF;
            if (len == 0) {
                i += 1;
                break;
            }
            if ((len & 0xC0) == 0xC0) {
                i += 2;
                break;
            }
            if ((len & 0xC0) != 0) {
                return -1;
            }
            i += len + 1;
        }
        if (i > n - 2) {
            return -1;
        }
        return b.getUnsignedShort(base + i);
    }

    private static Duration[] exponential(Duration first, int count) {
        Duration[] out = new Duration[count];
        for (int i = 0; i < count; i++) {
            out[i] = first.multipliedBy(1L << i);
        }
        return out;
    }
}
