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
 * <p>The query path pays a decrement per query and never locks or allocates: each thread counts down a
 * random gap (xorshift, its own state, drawn at each sample) and one query in {@link #SAMPLE_EVERY} on average
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
        // A countdown per thread, drawn afresh after each sample: one decrement per query, and the gaps stay
        // random (a client repeating a cycle of 16 queries is not always sampled on the same one).
        if (--r.countdown > 0) {
            return;
        }
        r.countdown = r.nextGap();
        if (response == null || response.readableBytes() < 12) {
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
        // One bulk copy (a memory copy from a direct buffer) rather than an index-checked read per byte, then
        // the labels are checked and lowercased in place; bytes past the name stay unused in the slot.
        int copied = Math.min(n - 12, NAME_MAX);
        q.getBytes(base + 12, to, at, copied);
        int i = 0;
        while (i < copied) {
            int len = to[at + i] & 0xFF;
            if (len > 63 || i + len >= copied) {
                return 0;
            }
            if (len == 0) {
                return i + 1;
            }
            for (int k = at + i + 1, end = k + len; k < end; k++) {
                byte c = to[k];
                if (c >= 'A' && c <= 'Z') {
                    to[k] = (byte) (c + 32);
                }
            }
            i += len + 1;
        }
        return 0;
    }

    /**
     * Empties every thread's ring into this minute's summaries. Off the query path; returns the generation.
     * Allocates nothing per sample (the summaries keep names in wire form, text is made only by
     * {@link #view}): at full query rate it takes thousands of samples a second, and its garbage was of the
     * order of the query path's own (bench/RESULTS.md), more young collections pausing the event loops.
     */
    public synchronized long drain() {
        long minute = clock.millis() / 60_000;
        int index = (int) (minute % MINUTES);
        Minute m = minutes[index];
        if (m == null) {
            m = new Minute(minute);
            minutes[index] = m;
            generation++;
        } else if (m.minute != minute) {
            m.reset(minute); // the slot's last use was 15 minutes ago or more: out of the window
            generation++;
        }
        for (Ring r : rings) {
            long tail = r.tail.get();
            long head = r.head.get();
            for (long i = tail; i < head; i++) {
                int slot = (int) (i & (RING_SLOTS - 1));
                ClusterId cluster = r.clusters[slot];
                r.clusters[slot] = null;
                (r.rcodes[slot] == NXDOMAIN ? m.nxdomain : m.existing)
                        .add(r.names, slot * (NAME_MAX + 1), r.lengths[slot], cluster);
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

    /**
     * Padding around a ring's per-query state: the two event loops' rings are reachable from one list, so a
     * copying collection can place them side by side, and a counter each thread writes on every query must
     * not share a 64-byte cache line with the other's (HotSpot lays out a superclass's fields first).
     */
    abstract static class RingPaddingBefore {
        long p01, p02, p03, p04, p05, p06, p07, p08;
    }

    /** The fields the producer writes on every query. */
    abstract static class RingCountdown extends RingPaddingBefore {
        /** Queries left until the next sample. */
        int countdown;
        /** The xorshift state drawing the gaps between samples. */
        long random;
    }

    abstract static class RingPaddingAfter extends RingCountdown {
        long q01, q02, q03, q04, q05, q06, q07, q08;
    }

    /** One thread's samples: written by that thread only, read by {@link #drain} (single producer, single consumer). */
    private static final class Ring extends RingPaddingAfter {
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

        Ring(int seed) {
            random = seed == 0 ? 0x9E3779B97F4A7C15L : seed * 0x9E3779B97F4A7C15L;
            countdown = nextGap();
        }

        /** Queries until the next sample: 1 to 2 x {@link #SAMPLE_EVERY} - 1, evenly, so one in {@link #SAMPLE_EVERY} on average. */
        int nextGap() {
            long x = random;
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            random = x;
            return 1 + (int) ((x >>> 1) % (2 * SAMPLE_EVERY - 1));
        }
    }

    /** One minute's samples of one rcode; reused for the same slot fifteen minutes on. */
    private static final class Minute {
        long minute;
        final SpaceSaving nxdomain = new SpaceSaving(CAPACITY);
        final SpaceSaving existing = new SpaceSaving(CAPACITY);
        long sampled;
        long dropped;

        Minute(long minute) {
            this.minute = minute;
        }

        void reset(long minute) {
            this.minute = minute;
            nxdomain.clear();
            existing.clear();
            sampled = 0;
            dropped = 0;
        }
    }

    /**
     * Space-Saving: at most {@code capacity} counters; a new key takes over the smallest counter (its count
     * plus one), so every key counted more than total/capacity times is kept, its count over-estimated by at
     * most the count it took over. A key is a name in wire form (lowercased) and the querier's cluster, kept
     * in preallocated slots and found through an open-addressing table of slot numbers, so counting a sample
     * allocates nothing; the smallest counter is found by a scan of one array of counts.
     */
    static final class SpaceSaving {
        private static final int SLOT = NAME_MAX + 1;
        private final int capacity;
        private final byte[] names;
        private final int[] lengths;
        private final ClusterId[] clusters;
        private final long[] counts;
        private final int[] hashes;
        /** Slot number + 1 of each key by its hash, linear probing; 0 is empty. At most half full. */
        private final int[] table;
        /** Each slot's text, made by {@link #addTo} and kept until the slot takes another key. */
        private final String[] texts;

        private int size;

        SpaceSaving(int capacity) {
            this.capacity = capacity;
            this.names = new byte[capacity * SLOT];
            this.lengths = new int[capacity];
            this.clusters = new ClusterId[capacity];
            this.counts = new long[capacity];
            this.hashes = new int[capacity];
            this.table = new int[Integer.highestOneBit(capacity * 2 - 1) << 1];
            this.texts = new String[capacity];
        }

        /** Counts the name {@code wire[at, at + length)} asked from {@code cluster} (null: unknown). */
        void add(byte[] wire, int at, int length, ClusterId cluster) {
            int hash = hash(wire, at, length, cluster);
            int mask = table.length - 1;
            for (int i = hash & mask; table[i] != 0; i = (i + 1) & mask) {
                int slot = table[i] - 1;
                if (hashes[slot] == hash
                        && lengths[slot] == length
                        && java.util.Objects.equals(clusters[slot], cluster)
                        && java.util.Arrays.equals(names, slot * SLOT, slot * SLOT + length, wire, at, at + length)) {
                    counts[slot]++;
                    return;
                }
            }
            int slot;
            long count;
            if (size < capacity) {
                slot = size++;
                count = 1;
            } else {
                slot = 0;
                for (int s = 1; s < capacity; s++) {
                    if (counts[s] < counts[slot]) {
                        slot = s;
                    }
                }
                count = counts[slot] + 1;
                unlink(slot);
            }
            System.arraycopy(wire, at, names, slot * SLOT, length);
            lengths[slot] = length;
            clusters[slot] = cluster;
            counts[slot] = count;
            hashes[slot] = hash;
            texts[slot] = null;
            int i = hash & mask;
            while (table[i] != 0) {
                i = (i + 1) & mask;
            }
            table[i] = slot + 1;
        }

        /** Takes {@code slot} out of the table, moving later entries of its probe run back (no tombstones). */
        private void unlink(int slot) {
            int mask = table.length - 1;
            int i = hashes[slot] & mask;
            while (table[i] != slot + 1) {
                i = (i + 1) & mask;
            }
            for (int j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
                int home = hashes[table[j] - 1] & mask;
                // The entry at j may fill the hole at i when its home is not cyclically within (i, j].
                if (i <= j ? home <= i || home > j : home <= i && home > j) {
                    table[i] = table[j];
                    i = j;
                }
            }
            table[i] = 0;
        }

        private static int hash(byte[] wire, int at, int length, ClusterId cluster) {
            int h = cluster == null ? 0 : cluster.hashCode();
            for (int k = at, end = at + length; k < end; k++) {
                h = 31 * h + wire[k];
            }
            return h ^ (h >>> 16);
        }

        void clear() {
            java.util.Arrays.fill(table, 0);
            java.util.Arrays.fill(clusters, null);
            java.util.Arrays.fill(texts, null);
            size = 0;
        }

        /** Adds each counter to {@code sums}, by name and cluster as text. */
        void addTo(Map<Key, Long> sums) {
            for (int slot = 0; slot < size; slot++) {
                ClusterId cluster = clusters[slot];
                sums.merge(new Key(text(slot), cluster == null ? null : cluster.value()), counts[slot], Long::sum);
            }
        }

        private String text(int slot) {
            String t = texts[slot];
            if (t == null) {
                t = TopNames.text(names, slot * SLOT, lengths[slot]);
                texts[slot] = t;
            }
            return t;
        }
    }
}
