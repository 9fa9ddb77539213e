package io.meshdns.server.transfer;

import io.meshdns.server.zone.ZoneIndex;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * The last changes of each zone, for IXFR (RFC 1995): one {@link Diff} per serial, bounded by depth and
 * bytes. Updated on the publisher thread from each new {@link ZoneIndex} and the one before it: only the
 * names the index says changed are compared, their records computed from both indexes as a transfer sends
 * them (an address set is a pure function of the service and the degraded clusters, which are the same
 * for both when {@link ZoneIndex#changedNames()} names the changes). So a change costs what it touches,
 * and nothing but the diffs is kept. When every name may have changed (cluster health moved), when
 * more than {@link #LARGE_CHANGE} names did, or before transfers open, the journal starts over: a
 * secondary then gets one full transfer. Readers (transfers on
 * the event loops) see immutable state.
 */
final class ZoneJournal {
    /** The change from serial {@code from} to serial {@code to} of one zone (SOA records not included). */
    record Diff(long from, long to, List<Record> deleted, List<Record> added, long bytes) {
        int records() {
            return deleted.size() + added.size();
        }
    }

    /**
     * A change of more names starts the journal over rather than being diffed: it costs the publisher
     * thread as much again as the index update (2.8 s for the 232,500 names of 200,000 endpoints on a
     * loaded 2-core machine), and a secondary behind it is about as well served by a full transfer.
     */
    static final int LARGE_CHANGE = 10_000;

    private final int depth;
    private final long maxBytes;
    /** The records at one name of an index, as a zone transfer sends them. */
    private final BiFunction<ZoneIndex, Name, List<Record>> recordsAt;
    /** Publisher thread only: each zone's diffs, oldest first. */
    private final Map<Name, Deque<Diff>> diffs = new HashMap<>();

    private volatile Map<Name, List<Diff>> state = Map.of();

    ZoneJournal(int depth, long maxBytes, BiFunction<ZoneIndex, Name, List<Record>> recordsAt) {
        this.depth = depth;
        this.maxBytes = maxBytes;
        this.recordsAt = recordsAt;
    }

    /**
     * Records the change from {@code previous} to {@code index} under the new serial. Publisher thread only.
     *
     * @param previous the index {@code index} was built from, or {@code null}
     * @param open whether transfers are served: until then no secondary can hold a serial worth a diff
     */
    void published(ZoneIndex previous, ZoneIndex index, boolean open) {
        if (previous != null && index.serial() == previous.serial()) {
            return; // nothing changed (the serial moves with every change)
        }
        Set<Name> changed = index.changedNames();
        if (previous == null || changed == null || !open || changed.size() > LARGE_CHANGE) {
            diffs.clear();
            state = Map.of();
            return;
        }
        Map<Name, List<Record>> deleted = new HashMap<>();
        Map<Name, List<Record>> added = new HashMap<>();
        for (Name name : changed) {
            ZoneIndex.Zone zone = index.zoneOf(name);
            if (zone == null) {
                continue;
            }
            List<Record> now = recordsAt.apply(index, name);
            List<Record> before = recordsAt.apply(previous, name);
            if (now.equals(before)) {
                continue; // a changed service's name that kept its records
            }
            Collection<Record> nowLookup = lookup(now);
            Collection<Record> beforeLookup = lookup(before);
            for (Record r : before) {
                if (!nowLookup.contains(r)) {
                    deleted.computeIfAbsent(zone.origin(), z -> new ArrayList<>())
                            .add(r);
                }
            }
            for (Record r : now) {
                if (!beforeLookup.contains(r)) {
                    added.computeIfAbsent(zone.origin(), z -> new ArrayList<>()).add(r);
                }
            }
        }
        Map<Name, List<Diff>> next = new HashMap<>();
        for (ZoneIndex.Zone zone : index.zones()) {
            Name origin = zone.origin();
            Deque<Diff> zoneDiffs = diffs.computeIfAbsent(origin, z -> new ArrayDeque<>());
            List<Record> del = deleted.getOrDefault(origin, List.of());
            List<Record> add = added.getOrDefault(origin, List.of());
            zoneDiffs.addLast(new Diff(
                    previous.serial(), index.serial(), List.copyOf(del), List.copyOf(add), bytes(del) + bytes(add)));
            long total = zoneDiffs.stream().mapToLong(Diff::bytes).sum();
            while (!zoneDiffs.isEmpty() && (zoneDiffs.size() > depth || total > maxBytes)) {
                total -= zoneDiffs.removeFirst().bytes();
            }
            next.put(origin, List.copyOf(zoneDiffs));
        }
        state = Map.copyOf(next);
    }

    /** A list small enough is searched as it is; a larger one through a set. */
    private static Collection<Record> lookup(List<Record> records) {
        return records.size() <= 16 ? records : new HashSet<>(records);
    }

    private static long bytes(Collection<Record> records) {
        long n = 0;
        for (Record r : records) {
            n += r.getName().length() + 10 + r.rdataToWireCanonical().length;
        }
        return n;
    }

    /** The diffs held for {@code zone}. */
    int depth(Name zone) {
        return state.getOrDefault(zone, List.of()).size();
    }

    /**
     * The change of {@code zone} from serial {@code from} to serial {@code to}, condensed into one diff
     * (RFC 1995 allows it), or {@code null} when the journal does not reach back to {@code from}.
     */
    Diff since(Name zone, long from, long to) {
        List<Diff> held = state.getOrDefault(zone, List.of());
        int start = -1;
        for (int i = 0; i < held.size(); i++) {
            if (held.get(i).from() == from) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        Set<Record> deleted = new LinkedHashSet<>();
        Set<Record> added = new LinkedHashSet<>();
        long bytes = 0;
        for (int i = start; i < held.size(); i++) {
            Diff d = held.get(i);
            for (Record r : d.deleted()) {
                if (!added.remove(r)) {
                    deleted.add(r);
                }
            }
            for (Record r : d.added()) {
                if (!deleted.remove(r)) {
                    added.add(r);
                }
            }
            bytes += d.bytes();
            if (d.to() == to) {
                return new Diff(from, to, List.copyOf(deleted), List.copyOf(added), bytes);
            }
        }
        return null;
    }
}
