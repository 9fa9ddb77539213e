package io.meshdns.server.transport;

import io.meshdns.discovery.ClusterId;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.Name;

/**
 * The names asked most over the last 15 minutes: those answered NXDOMAIN (a client asking for a name that
 * does not exist, such as a search-path expansion or a service never exported) and those answered NOERROR,
 * each with the querier's cluster when known.
 *
 * <p>The query path pays a few arithmetic operations per query and never locks or allocates: each thread
 * draws a pseudo-random number (xorshift, its own state) and one query in {@link #SAMPLE_EVERY} on average
 * copies its question name and rcode into the next slot of that thread's preallocated single-producer ring.
 * A sample that finds the ring full is dropped and counted. Off the query path, {@link #drain} (a background
 * tick, and every API read) empties the rings into Space-Saving summaries (Metwally, Agrawal, El Abbadi,
 * "Efficient computation of frequent and top-k elements in data streams", 2005), one per minute and rcode of
 * {@link #CAPACITY} counters, so memory is bounded whatever the clients ask. A name's count is the sum over
 * the last 15 minutes' summaries, times the sampling rate: an estimate, exact in order for the heavy hitters.
 */
public final class TopNames {
    /** One query in this many is sampled (on average): a power of two. */
    public static final int SAMPLE_EVERY = 16;
    /** Samples a thread's ring holds between drains; a power of two. */
    static final int RING_SLOTS = 2048;
    /** Counters per minute and rcode: names beyond this many compete for the slots (Space-Saving). */
    static final int CAPACITY = 256;

    static final int MINUTES = 15;
    /** Entries listed per rcode. */
    static final int LISTED = 20;

    private static final int NAME_MAX = 255;
    private static final int NOERROR = 0;
    private static final int NXDOMAIN = 3;

    /** One name as listed: {@code queries} is the estimate (samples x {@link #SAMPLE_EVERY}). */
    public record Entry(String name, String cluster, long samples, long queries) {}

    /**
     * {@code /api/top}: {@code sampled} and {@code dropped} count the samples of the window (dropped: the ring
     * was full), {@code nxdomain} and {@code existing} the most asked names first.
     */
    public record View(
            boolean enabled,
            int windowMinutes,
            int sampleEvery,
            long sampled,
            long dropped,
            List<Entry> nxdomain,
            List<Entry> existing) {}

    private final Clock clock;
    /** The querier's cluster of the query this thread answered last, or null (read only when sampling). */
    private final Supplier<ClusterId> lastQuerier;

    private final List<Ring> rings = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<Ring> ring = new FastThreadLocal<>() {
        @Override
        protected Ring initialValue() {
            Ring r = new Ring(System.identityHashCode(Thread.currentThread()));
            rings.add(r);
            return r;
        }
    };
    // Consumer side, guarded by this.
    private final Minute[] minutes = new Minute[MINUTES];
    private long generation;

    public TopNames(Clock clock, Supplier<ClusterId> lastQuerier) {
        this.clock = clock;
        this.lastQuerier = lastQuerier;
    }

    /**
     * On the query path, after the answer: samples the query's name and the answer's rcode (NOERROR and
     * NXDOMAIN only). Reads both buffers in place; no lock, no allocation.
     */
    void record(ByteBuf query, ByteBuf response) {
        Ring r = ring.get();
        long x = r.random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        r.random = x;
        if ((x & (SAMPLE_EVERY - 1)) != 0 || response == null || response.readableBytes() < 12) {
            return;
        }
        int rcode = response.getByte(response.readerIndex() + 3) & 0x0F;
        if (rcode != NOERROR && rcode != NXDOMAIN) {
            return;
        }
        long head = r.head.get();
        if (head - r.tail.get() >= RING_SLOTS) {
            r.dropped.lazySet(r.dropped.get() + 1); // single writer
            return;
        }
        int slot = (int) (head & (RING_SLOTS - 1));
        int length = copyName(query, r.names, slot * (NAME_MAX + 1));
        if (length <= 0) {
            return;
        }
        r.lengths[slot] = length;
        r.rcodes[slot] = (byte) rcode;
        r.clusters[slot] = lastQuerier.get();
        r.head.lazySet(head + 1); // publishes the slot to the drain
    }

    /**
     * The question's name in wire form, lowercased, into {@code to[at...]}: its length, or 0 when the query has
     * no single plain question (the wire reader's rules: such queries are rare and not worth a sample).
     */
    private static int copyName(ByteBuf q, byte[] to, int at) {
        int base = q.readerIndex();
        int n = q.readableBytes();
        if (n < 17 || (q.getByte(base + 2) & 0x80) != 0 || q.getByte(base + 4) != 0 || q.getByte(base + 5) != 1) {
            return 0;
        }
        int i = 12;
        int out = 0;
        while (i < n) {
            int len = q.getByte(base + i) & 0xFF;
            if (len > 63 || out + len + 1 > NAME_MAX || i + len >= n) {
                return 0;
            }
            to[at + out++] = (byte) len;
            if (len == 0) {
                return out;
            }
            for (int k = 1; k <= len; k++) {
                byte b = q.getByte(base + i + k);
                to[at + out++] = b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
            }
            i += len + 1;
        }
        return 0;
    }

    /** Empties every thread's ring into this minute's summaries. Off the query path; returns the generation. */
    public synchronized long drain() {
        long minute = clock.millis() / 60_000;
        Minute m = minutes[(int) (minute % MINUTES)];
        if (m == null || m.minute != minute) {
            m = new Minute(minute);
            minutes[(int) (minute % MINUTES)] = m;
            generation++;
        }
        for (Ring r : rings) {
            long tail = r.tail.get();
            long head = r.head.get();
            for (long i = tail; i < head; i++) {
                int slot = (int) (i & (RING_SLOTS - 1));
                String name = text(r.names, slot * (NAME_MAX + 1), r.lengths[slot]);
                ClusterId cluster = r.clusters[slot];
                r.clusters[slot] = null;
                (r.rcodes[slot] == NXDOMAIN ? m.nxdomain : m.existing)
                        .add(new Key(name, cluster == null ? null : cluster.value()));
                m.sampled++;
            }
            r.tail.lazySet(head); // the slots are free again
            long dropped = r.dropped.get();
            m.dropped += dropped - r.droppedSeen;
            r.droppedSeen = dropped;
            if (head != tail) {
                generation++;
            }
        }
        return generation;
    }

    /** The last 15 minutes, most asked first (after a {@link #drain}). */
    public synchronized View view() {
        drain();
        long now = clock.millis() / 60_000;
        Map<Key, Long> nx = new HashMap<>();
        Map<Key, Long> ok = new HashMap<>();
        long sampled = 0;
        long dropped = 0;
        for (Minute m : minutes) {
            if (m == null || m.minute <= now - MINUTES) {
                continue;
            }
            m.nxdomain.addTo(nx);
            m.existing.addTo(ok);
            sampled += m.sampled;
            dropped += m.dropped;
        }
        return new View(true, MINUTES, SAMPLE_EVERY, sampled, dropped, top(nx), top(ok));
    }

    public static View disabled() {
        return new View(false, MINUTES, SAMPLE_EVERY, 0, 0, List.of(), List.of());
    }

    private static List<Entry> top(Map<Key, Long> counts) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<Key, Long>comparingByValue()
                        .reversed()
                        .thenComparing(e -> e.getKey().name()))
                .limit(LISTED)
                .map(e -> new Entry(e.getKey().name(), e.getKey().cluster(), e.getValue(), e.getValue() * SAMPLE_EVERY))
                .toList();
    }

    private static String text(byte[] wire, int at, int length) {
        try {
            return new Name(new DNSInput(java.util.Arrays.copyOfRange(wire, at, at + length))).toString();
        } catch (IOException e) {
            return "(unreadable name)"; // copyName only copies complete names: not reached
        }
    }

    private record Key(String name, String cluster) {}

    /** One thread's samples: written by that thread only, read by {@link #drain} (single producer, single consumer). */
    private static final class Ring {
        final byte[] names = new byte[RING_SLOTS * (NAME_MAX + 1)];
        final int[] lengths = new int[RING_SLOTS];
        final byte[] rcodes = new byte[RING_SLOTS];
        final ClusterId[] clusters = new ClusterId[RING_SLOTS];
        /** Samples written (producer) and taken (consumer); head - tail is the fill. */
        final AtomicLong head = new AtomicLong();

        final AtomicLong tail = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        /** The consumer's last reading of {@link #dropped}. */
        long droppedSeen;

        long random;

        Ring(int seed) {
            random = seed == 0 ? 0x9E3779B97F4A7C15L : seed * 0x9E3779B97F4A7C15L;
        }
    }

    /** One minute's samples of one rcode. */
    private static final class Minute {
        final long minute;
        final SpaceSaving nxdomain = new SpaceSaving(CAPACITY);
        final SpaceSaving existing = new SpaceSaving(CAPACITY);
        long sampled;
        long dropped;

        Minute(long minute) {
            this.minute = minute;
        }
    }

    /**
     * Space-Saving: at most {@code capacity} counters; a new key takes over the smallest counter (its count
     * plus one), so every key counted more than total/capacity times is kept, its count over-estimated by at
     * most the count it took over.
     */
    static final class SpaceSaving {
        private final int capacity;
        private final Map<Object, long[]> counters = new HashMap<>();

        SpaceSaving(int capacity) {
            this.capacity = capacity;
        }

        void add(Object key) {
            long[] c = counters.get(key);
            if (c != null) {
                c[0]++;
                return;
            }
            if (counters.size() < capacity) {
                counters.put(key, new long[] {1});
                return;
            }
            Object smallest = null;
            long min = Long.MAX_VALUE;
            for (Map.Entry<Object, long[]> e : counters.entrySet()) {
                if (e.getValue()[0] < min) {
                    min = e.getValue()[0];
                    smallest = e.getKey();
                }
            }
            counters.remove(smallest);
            counters.put(key, new long[] {min + 1});
        }

        long count(Object key) {
            long[] c = counters.get(key);
            return c == null ? 0 : c[0];
        }

        @SuppressWarnings("unchecked")
        <K> void addTo(Map<K, Long> sums) {
            counters.forEach((k, c) -> sums.merge((K) k, c[0], Long::sum));
        }

        int size() {
            return counters.size();
        }
    }
}
