package io.meshdns.server.transport;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Response rate limiting (RRL) of UDP answers per source prefix (/24 for IPv4, /56 for IPv6), as Knot's
 * {@code rate-limit}: a spoofed source cannot turn meshdns into an amplifier (an SRV answer is many times
 * its query). Over the limit, every {@code slip}-th answer goes out as an empty truncated answer (TC=1: a
 * real client retries over TCP, which is not limited) and the rest are dropped.
 *
 * <p>A fixed table of buckets, each a prefix and its theoretical arrival time (the generic cell rate
 * algorithm: one timestamp per bucket, advanced by {@code 1/rate} per answer, allowed while it is less
 * than {@code window} ahead of now). Lookups take no lock and allocate nothing beyond the address bytes;
 * two prefixes that hash to the same bucket take turns resetting it, which only ever lets more through.
 */
final class ResponseRateLimiter {
    enum Decision {
        ANSWER,
        SLIP,
        DROP
    }

    /** Buckets: enough that distinct busy prefixes rarely share one (16 bytes each). */
    static final int BUCKETS = 1 << 16;

    private final long intervalNanos;
    private final long burstNanos;
    private final int slip;
    private final long seed = ThreadLocalRandom.current().nextLong() | 1;
    // Per bucket i: [2i] the prefix key (0 = empty), [2i + 1] its theoretical arrival time (System.nanoTime).
    private final AtomicLongArray table = new AtomicLongArray(2 * BUCKETS);
    private final AtomicLong limited = new AtomicLong();

    ResponseRateLimiter(int responsesPerSecond, int slip, Duration window) {
        this.intervalNanos = 1_000_000_000L / responsesPerSecond;
        this.burstNanos = window.toNanos();
        this.slip = slip;
    }

    /** Whether the answer to {@code client} goes out, at {@code now} ({@link System#nanoTime()}). */
    Decision check(InetAddress client, long now) {
        long key = prefix(client);
        int i = bucket(key) << 1;
        if (table.get(i) != key) {
            // A new prefix (or one that shared this bucket): it starts with a full allowance.
            table.set(i, key);
            table.set(i + 1, now + intervalNanos);
            return Decision.ANSWER;
        }
        while (true) {
            long tat = table.get(i + 1);
            long base = tat - now > 0 ? tat : now;
            if (base - now >= burstNanos) {
                break;
            }
            if (table.compareAndSet(i + 1, tat, base + intervalNanos)) {
                return Decision.ANSWER;
            }
        }
        return slip != 0 && limited.incrementAndGet() % slip == 0 ? Decision.SLIP : Decision.DROP;
    }

    /** The source prefix as a non-zero key: a family marker above the /24 or /56 bits. */
    static long prefix(InetAddress client) {
        byte[] a = client.getAddress();
        if (client instanceof Inet4Address) {
            return 1L << 62 | (a[0] & 0xFFL) << 16 | (a[1] & 0xFFL) << 8 | (a[2] & 0xFFL);
        }
        long k = 1L << 61;
        for (int b = 0; b < 7; b++) {
            k |= (a[b] & 0xFFL) << (8 * (6 - b));
        }
        return k;
    }

    private int bucket(long key) {
        long h = (key ^ seed) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 48) & (BUCKETS - 1);
    }

    /**
     * Turns {@code answer} in place into the slipped form: its header and question only, TC set, no records
     * (nor OPT: the answer is as small as the query). Returns it.
     */
    static ByteBuf truncate(ByteBuf answer) {
        int base = answer.readerIndex();
        int n = answer.readableBytes();
        if (n < 12) {
            return answer;
        }
        int end = 12;
        if (answer.getUnsignedShort(base + 4) > 0) {
            int i = 12;
            while (i < n) {
                int len = answer.getUnsignedByte(base + i);
                if (len == 0) {
                    i += 1;
                    break;
                }
                if ((len & 0xC0) != 0) {
                    i += 2; // a pointer ends the name (never in our questions, but harmless)
                    break;
                }
                i += len + 1;
            }
            end = Math.min(n, i + 4);
            if (end < i + 4) {
                end = 12; // a question we cannot delimit: the header alone
                answer.setShort(base + 4, 0);
            }
        }
        answer.setByte(base + 2, answer.getByte(base + 2) | 0x02); // TC
        answer.setShort(base + 6, 0);
        answer.setShort(base + 8, 0);
        answer.setShort(base + 10, 0);
        answer.writerIndex(base + end);
        return answer;
    }
}
