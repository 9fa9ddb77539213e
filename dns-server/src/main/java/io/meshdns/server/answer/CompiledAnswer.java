package io.meshdns.server.answer;

import io.meshdns.discovery.ClusterId;
import io.meshdns.loadbalancer.EndpointOrder;
import io.meshdns.server.zone.Lifetime;
import io.meshdns.server.zone.ZoneIndex;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.xbill.DNS.Header;
import org.xbill.DNS.Type;

/**
 * One answer in wire form, compiled once and written for every later query of the same question, querier
 * and size class, until the snapshot changes what it was compiled from. Immutable.
 *
 * <p>A fixed answer (NXDOMAIN, SRV of a ClusterIP service, PTR, ...) is written as it is. A load-balanced
 * address answer keeps every candidate's record as a fixed-size block (A: 16 bytes, AAAA: 28, the owner a
 * compression pointer to the question): for each query the writer asks the service's {@link EndpointOrder}
 * which blocks to send in which order, and writes just those. So every query rotates, at the cost of a
 * copy, with no allocation.
 *
 * <p>Every written answer gets the query's ID, RD bit and name bytes (the question is the first name in
 * the message and every owner points back to it, so the whole answer takes the client's exact case,
 * 0x20).
 */
final class CompiledAnswer {
    /** DNS header offset of ANCOUNT. */
    private static final int ANCOUNT = 6;
    /** DNS header offset of NSCOUNT. */
    private static final int NSCOUNT = 8;
    /** DNS header offset of ARCOUNT. */
    private static final int ARCOUNT = 10;
    /** The TC bit in the third header byte. */
    private static final int TC = 0x02;

    private final byte[] wire;
    /** For a load-balanced answer: where the first block starts, each block's size, and how many may be sent. */
    private final int blocksAt;

    private final int blockSize;
    private final int blockCount;
    private final int fit;
    private final EndpointOrder order;
    /** Counts the answers over TCP that did not fit in 65,535 bytes (see {@link #balanced}); or null. */
    private final Counter tcpTruncated;
    /** Reusable while this is the zone's current index ({@code null}: while {@link #lifetime} lives). */
    private final ZoneIndex index;

    private final Lifetime lifetime;
    /**
     * The {@linkplain ZoneIndex#generation generation} of an index under which {@link #lifetime} was seen
     * alive, or 0. A lifetime ends while the next index is built, before that index is served (ZoneIndex's
     * update), so while this index is current the lifetime need not be read again: one object fewer per
     * query to fetch from memory (profiled at 70,000 UDP queries/s: this check fell from 4.2% to 2.9% of the
     * UDP threads' samples, the cache miss moving on to the order's validity). Written by any thread without
     * ordering: a stale value only means one more read of the lifetime.
     */
    private long aliveIn;

    private final boolean storable;
    /** For an SRV answer of a headless service (else null): see {@link #srv}. */
    private final SrvLayout srv;
    /** Whether every answer written ends with an OPT record without options: see {@link #endsWithOpt}. */
    private final boolean endsWithOpt;

    /**
     * Where each candidate's SRV records ({@code srvAt[i]..srvAt[i+1]}, relative to the first SRV block,
     * {@code records[i]} of them, one per port, all of one length) and address record ({@code additionalAt},
     * relative to the first address block) are, and which candidate's SRV records it shares ({@code group}:
     * the first with the same target and ports; -1 without any port).
     */
    private record SrvLayout(int[] srvAt, int[] records, int[] additionalAt, int[] group, int sizeLimit) {}

    private CompiledAnswer(
            byte[] wire,
            int blocksAt,
            int blockSize,
            int blockCount,
            int fit,
            EndpointOrder order,
            ZoneIndex index,
            Lifetime lifetime,
            boolean storable) {
        this(wire, blocksAt, blockSize, blockCount, fit, order, index, lifetime, storable, null, null);
    }

    private CompiledAnswer(
            byte[] wire,
            int blocksAt,
            int blockSize,
            int blockCount,
            int fit,
            EndpointOrder order,
            ZoneIndex index,
            Lifetime lifetime,
            boolean storable,
            SrvLayout srv,
            Counter tcpTruncated) {
        this.srv = srv;
        this.tcpTruncated = tcpTruncated;
        this.storable = storable;
        this.wire = wire;
        this.blocksAt = blocksAt;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.fit = fit;
        this.order = order;
        this.index = index;
        this.lifetime = lifetime;
        // The records after the question: the whole message's for a fixed answer; for a load-balanced one
        // those of the rest of the message after the candidates' blocks (which the header does not count).
        int tailAt = srv != null
                ? blocksAt + srv.srvAt()[blockCount] + srv.additionalAt()[blockCount]
                : order != null ? blocksAt + blockCount * blockSize : afterQuestions(wire);
        int records = wire.length < Header.LENGTH ? 0 : u16(wire, ANCOUNT) + u16(wire, NSCOUNT) + u16(wire, ARCOUNT);
        this.endsWithOpt = tailAt >= 0 && endsWithEmptyOpt(wire, tailAt, records);
    }

    /**
     * A fixed answer, reusable while {@code lifetime} lives, or, when {@code lifetime} is {@code null}, while
     * {@code index} is current (answers with the SOA carry its serial, which moves with every snapshot).
     */
    static CompiledAnswer fixed(byte[] wire, ZoneIndex index, Lifetime lifetime) {
        return new CompiledAnswer(wire, -1, 0, 0, 0, null, lifetime == null ? index : null, lifetime, true);
    }

    /** An answer for this one query only (chosen per query, not as blocks): never stored. */
    static CompiledAnswer once(byte[] wire) {
        return new CompiledAnswer(wire, -1, 0, 0, 0, null, null, null, false);
    }

    /**
     * A load-balanced answer: {@code wire} holds, after the question at {@code blocksAt}, one record of
     * {@code blockSize} bytes for each of {@code order}'s candidates in order, then the rest of the message.
     *
     * <p>More chosen addresses than fit (a headless service's every endpoint, or a cap above what the
     * client's UDP size holds): as many as fit, with TC set, so the client asks again over TCP for all of
     * them (RFC 1035 4.2.1, RFC 2181 9). Over TCP the limit is the message's 65,535 bytes (about 4,090 A or
     * 2,340 AAAA records); above it the answer is cut the same way, TC set as CoreDNS does, and counted in
     * {@code tcpTruncated}: the one case where a client cannot get every record.
     *
     * @param sizeLimit the most bytes the answer may have (the client's UDP size, or 65535 over TCP)
     */
    static CompiledAnswer balanced(
            byte[] wire,
            int blocksAt,
            int blockSize,
            EndpointOrder order,
            int sizeLimit,
            Lifetime lifetime,
            Counter tcpTruncated) {
        int count = order.candidates().size();
        int tail = wire.length - blocksAt - count * blockSize;
        int fit = Math.max(1, (sizeLimit - blocksAt - tail) / blockSize);
        return new CompiledAnswer(
                wire,
                blocksAt,
                blockSize,
                count,
                fit,
                order,
                null,
                lifetime,
                true,
                null,
                sizeLimit >= AnswerCompiler.TCP_MAX ? tcpTruncated : null);
    }

    /**
     * The SRV answer of a headless service: {@code wire} holds, after the question at {@code blocksAt}, each
     * candidate's SRV record (owner: the question; target: the endpoint's name), then each candidate's
     * address record (owner to be pointed at its SRV target when written), then the rest of the message.
     */
    static CompiledAnswer srv(
            byte[] wire,
            int blocksAt,
            int[] srvAt,
            int[] records,
            int[] additionalAt,
            int[] group,
            EndpointOrder order,
            int sizeLimit,
            Lifetime lifetime,
            Counter tcpTruncated) {
        int count = order.candidates().size();
        return new CompiledAnswer(
                wire,
                blocksAt,
                0,
                count,
                0,
                order,
                null,
                lifetime,
                true,
                new SrvLayout(srvAt, records, additionalAt, group, sizeLimit),
                sizeLimit >= AnswerCompiler.TCP_MAX ? tcpTruncated : null);
    }

    /** Whether it may be kept for later queries at all. */
    boolean storable() {
        return storable;
    }

    /** Whether it still answers correctly with {@code current} as the zone's index. */
    boolean reusable(ZoneIndex current) {
        if (!storable) {
            return false;
        }
        if (lifetime == null) {
            if (index != current) {
                return false;
            }
        } else if (aliveIn != current.generation()) {
            // The index was read before the lifetime: a lifetime ended before this index was served reads ended.
            if (!lifetime.alive()) {
                return false;
            }
            aliveIn = current.generation();
        }
        return order == null || order.current();
    }

    /** Bytes held, for the store's size bound. */
    int weight() {
        return wire.length + 96;
    }

    /**
     * The answer to one query, in a buffer of {@code alloc} that the caller owns.
     *
     * @param headroom bytes left free before the answer (its reader index): over TCP, 2 for the length that
     *     frames it (RFC 1035 4.2.2), so that framing needs no second buffer and copy
     * @param query the query's bytes (at least its header and question), or {@code null} when the answer
     *     was compiled for this very query (its ID and name are already in place)
     * @param nameLength the length of the query's name in wire form
     * @param positions and {@code scratch} at least {@link #candidates()} long
     */
    ByteBuf write(
            ByteBufAllocator alloc,
            int headroom,
            byte[] query,
            int nameLength,
            ClusterId querier,
            String topologyZone,
            int[] positions,
            int[] scratch) {
        ByteBuf out;
        if (srv != null) {
            out = writeSrv(alloc, headroom, querier, topologyZone, positions, scratch);
        } else if (order == null) {
            out = start(alloc, headroom, wire.length).writeBytes(wire);
        } else {
            int chosen = order.next(querier, topologyZone, positions, scratch);
            int n = Math.min(fit, chosen);
            int tail = blocksAt + blockCount * blockSize;
            out = start(alloc, headroom, wire.length - (blockCount - n) * blockSize);
            out.writeBytes(wire, 0, blocksAt);
            // Consecutive positions are one copy: a rotated cluster is one or two runs, however many endpoints.
            for (int i = 0; i < n; ) {
                int run = 1;
                while (i + run < n && positions[i + run] == positions[i] + run) {
                    run++;
                }
                out.writeBytes(wire, blocksAt + positions[i] * blockSize, run * blockSize);
                i += run;
            }
            out.writeBytes(wire, tail, wire.length - tail);
            out.setShort(headroom + ANCOUNT, n);
            if (chosen > n) {
                truncated(out);
            }
        }
        if (query != null) {
            out.setByte(headroom, query[0]);
            out.setByte(headroom + 1, query[1]);
            out.setByte(headroom + 2, (out.getByte(headroom + 2) & ~0x01) | (query[2] & 0x01));
            if (out.readableBytes() >= WireQuery.HEADER + nameLength) { // a header-only answer has no question
                out.setBytes(headroom + WireQuery.HEADER, query, WireQuery.HEADER, nameLength);
            }
        }
        return out;
    }

    /** A buffer for an answer of about {@code size} bytes, {@code headroom} bytes before its reader index. */
    private static ByteBuf start(ByteBufAllocator alloc, int headroom, int size) {
        return alloc.ioBuffer(headroom + size).setIndex(headroom, headroom);
    }

    /**
     * This query's SRV answer: the chosen candidates' SRV records, one set per target (a record per port),
     * each weighing 100 / records; then their address records while the answer stays within the size limit (the
     * additional section goes first; SRV records that do not fit set TC).
     */
    private ByteBuf writeSrv(
            ByteBufAllocator alloc,
            int headroom,
            ClusterId querier,
            String topologyZone,
            int[] positions,
            int[] scratch) {
        int chosen = order.next(querier, topologyZone, positions, scratch);
        int[] srvAt = srv.srvAt();
        int[] group = srv.group();
        int srvBlocks = blocksAt;
        int additionalBlocks = blocksAt + srvAt[blockCount];
        int tailAt = additionalBlocks + srv.additionalAt()[blockCount];
        int tail = wire.length - tailAt;
        // The policy is done with scratch: it now holds, per group, where its SRV record went (-1: not yet).
        for (int k = 0; k < chosen; k++) {
            int g = group[positions[k]];
            if (g >= 0) {
                scratch[g] = -1;
            }
        }
        int records = 0;
        int size = blocksAt + tail;
        boolean truncated = false;
        for (int k = 0; k < chosen; k++) {
            int i = positions[k];
            int g = group[i];
            if (g < 0 || scratch[g] != -1) {
                continue;
            }
            int length = srvAt[g + 1] - srvAt[g];
            if (size + length > srv.sizeLimit()) {
                truncated = true;
                break;
            }
            scratch[g] = -2; // counted; its offset is set when written
            size += length;
            records += srv.records()[g];
        }
        ByteBuf buf = start(alloc, headroom, Math.min(srv.sizeLimit(), wire.length));
        buf.writeBytes(wire, 0, blocksAt);
        int weight = Math.max(1, 100 / Math.max(1, records));
        for (int k = 0; k < chosen; k++) {
            int g = group[positions[k]];
            if (g < 0 || scratch[g] != -2) {
                continue;
            }
            scratch[g] = buf.readableBytes(); // its offset in the message, as a compression pointer has it
            int length = srvAt[g + 1] - srvAt[g];
            buf.writeBytes(wire, srvBlocks + srvAt[g], length);
            int each = length / srv.records()[g];
            for (int at = headroom + scratch[g] + 14; at < headroom + scratch[g] + length; at += each) {
                buf.setShort(at, weight);
            }
        }
        int additional = 0;
        if (!truncated) {
            int[] additionalAt = srv.additionalAt();
            for (int k = 0; k < chosen; k++) {
                int i = positions[k];
                int g = group[i];
                if (g < 0 || scratch[g] < 0) {
                    continue;
                }
                int length = additionalAt[i + 1] - additionalAt[i];
                int target = scratch[g] + 18; // the SRV record's target name: after its 12-byte header and 6 bytes
                if (size + length > srv.sizeLimit() || target > 0x3FFF) {
                    break;
                }
                int at = buf.writerIndex();
                buf.writeBytes(wire, additionalBlocks + additionalAt[i], length);
                buf.setShort(at, 0xC000 | target);
                size += length;
                additional++;
            }
        }
        buf.writeBytes(wire, tailAt, tail);
        buf.setShort(headroom + ANCOUNT, records);
        buf.setShort(headroom + ARCOUNT, buf.getUnsignedShort(headroom + ARCOUNT) + additional);
        if (truncated) {
            truncated(buf);
        }
        return buf;
    }

    /** Sets TC; over TCP, where the client has no bigger transport to retry on, counts it too. */
    private void truncated(ByteBuf out) {
        out.setByte(out.readerIndex() + 2, out.getByte(out.readerIndex() + 2) | TC);
        if (tcpTruncated != null) {
            tcpTruncated.increment();
        }
    }

    /** The largest number of positions {@link #write} may need; scratch space is sized by it. */
    int candidates() {
        return blockCount;
    }

    /**
     * Whether every answer {@link #write} writes ends with an OPT record that has no option yet (its last two
     * bytes the RDLENGTH, 0), so that the options of one query can be appended to it: {@link ResponseOptions}.
     */
    boolean endsWithOpt() {
        return endsWithOpt;
    }

    /** Where the records start, after the question section; -1 if the message is cut short. */
    private static int afterQuestions(byte[] wire) {
        if (wire.length < Header.LENGTH) {
            return -1;
        }
        int at = Header.LENGTH;
        for (int q = u16(wire, 4); q > 0 && at >= 0; q--) {
            at = skipName(wire, at);
            at = at < 0 ? -1 : at + 4;
        }
        return at;
    }

    /** Whether the {@code records} records from {@code at} end the message with an empty OPT owned by the root. */
    private static boolean endsWithEmptyOpt(byte[] wire, int at, int records) {
        int last = -1;
        for (int i = 0; i < records && at >= 0; i++) {
            last = at;
            at = skipName(wire, at);
            if (at < 0 || at + 10 > wire.length) {
                return false;
            }
            at += 10 + u16(wire, at + 8);
        }
        return last >= 0 && at == wire.length && at - last == 11 && wire[last] == 0 && u16(wire, last + 1) == Type.OPT;
    }

    /** Where the name at {@code at} ends; -1 past the end of the message. */
    private static int skipName(byte[] wire, int at) {
        while (at < wire.length) {
            int len = wire[at] & 0xFF;
            if (len == 0) {
                return at + 1;
            }
            if ((len & 0xC0) != 0) {
                return at + 2; // a compression pointer ends the name
            }
            at += len + 1;
        }
        return -1;
    }

    private static int u16(byte[] wire, int at) {
        return (wire[at] & 0xFF) << 8 | (wire[at + 1] & 0xFF);
    }
}
