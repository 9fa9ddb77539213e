package io.meshdns.server;

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
 * bytes. Updated on the publisher thread from each new {@link ZoneIndex}: only the names the index says
 * changed are recomputed (all of them when cluster health changed), against the records this journal
 * holds for every name of the zones. Readers (transfers on the event loops) see immutable state.
 */
final class ZoneJournal {
  /** The change from serial {@code from} to serial {@code to} of one zone (SOA records not included). */
  record Diff(long from, long to, List<Record> deleted, List<Record> added, long bytes) {}

  /** One zone's journal: its diffs, oldest first, and how many records the zone has now. */
  private record ZoneState(List<Diff> diffs, int size) {}

  private final int depth;
  private final long maxBytes;
  /** The records at one name of the index, as a zone transfer sends them. */
  private final BiFunction<ZoneIndex, Name, List<Record>> recordsAt;
  /** Publisher thread only: every name's records, and each zone's diffs and record count. */
  private final Map<Name, Set<Record>> records = new HashMap<>();
  private final Map<Name, Deque<Diff>> diffs = new HashMap<>();
  private final Map<Name, Integer> sizes = new HashMap<>();
  private long serial = -1;
  private volatile Map<Name, ZoneState> state = Map.of();

  ZoneJournal(int depth, long maxBytes, BiFunction<ZoneIndex, Name, List<Record>> recordsAt) {
    this.depth = depth;
    this.maxBytes = maxBytes;
    this.recordsAt = recordsAt;
  }

  /** Follows {@code index}: records its changes under its serial. Publisher thread only. */
  void published(ZoneIndex index) {
    if (serial >= 0 && index.serial() == serial) {
      return; // nothing changed (the serial moves with every change)
    }
    Set<Name> changed = index.changedNames();
    Map<Name, List<Record>> deleted = new HashMap<>();
    Map<Name, List<Record>> added = new HashMap<>();
    if (changed == null || serial < 0) {
      Set<Name> all = new HashSet<>(records.keySet());
      for (ZoneIndex.Zone zone : index.zones()) {
        for (var e : index.namesIn(zone)) {
          all.add(e.getKey());
        }
      }
      changed = all;
    }
    for (Name name : changed) {
      ZoneIndex.Zone zone = index.zoneOf(name);
      if (zone == null) {
        continue;
      }
      Set<Record> now = new LinkedHashSet<>(recordsAt.apply(index, name));
      Set<Record> before = records.getOrDefault(name, Set.of());
      for (Record r : before) {
        if (!now.contains(r)) {
          deleted.computeIfAbsent(zone.origin(), z -> new ArrayList<>()).add(r);
        }
      }
      for (Record r : now) {
        if (!before.contains(r)) {
          added.computeIfAbsent(zone.origin(), z -> new ArrayList<>()).add(r);
        }
      }
      sizes.merge(zone.origin(), now.size() - before.size(), Integer::sum);
      if (now.isEmpty()) {
        records.remove(name);
      } else {
        records.put(name, now);
      }
    }
    Map<Name, ZoneState> next = new HashMap<>();
    for (ZoneIndex.Zone zone : index.zones()) {
      Name origin = zone.origin();
      Deque<Diff> zoneDiffs = diffs.computeIfAbsent(origin, z -> new ArrayDeque<>());
      if (serial < 0) {
        zoneDiffs.clear(); // the first index: nothing to diff against, the journal starts here
      } else {
        List<Record> del = deleted.getOrDefault(origin, List.of());
        List<Record> add = added.getOrDefault(origin, List.of());
        zoneDiffs.addLast(new Diff(serial, index.serial(), List.copyOf(del), List.copyOf(add), bytes(del) + bytes(add)));
        long total = zoneDiffs.stream().mapToLong(Diff::bytes).sum();
        while (!zoneDiffs.isEmpty() && (zoneDiffs.size() > depth || total > maxBytes)) {
          total -= zoneDiffs.removeFirst().bytes();
        }
      }
      next.put(origin, new ZoneState(List.copyOf(zoneDiffs), sizes.getOrDefault(origin, 0)));
    }
    serial = index.serial();
    state = Map.copyOf(next);
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
    ZoneState s = state.get(zone);
    return s == null ? 0 : s.diffs().size();
  }

  /**
   * The change of {@code zone} from serial {@code from} to serial {@code to}, condensed into one diff
   * (RFC 1995 allows it), or {@code null} when the journal does not reach back to {@code from} or
   * holds more changed records than the zone has (a full transfer is then shorter).
   */
  Diff since(Name zone, long from, long to) {
    ZoneState s = state.get(zone);
    if (s == null) {
      return null;
    }
    int start = -1;
    for (int i = 0; i < s.diffs().size(); i++) {
      if (s.diffs().get(i).from() == from) {
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
    for (int i = start; i < s.diffs().size(); i++) {
      Diff d = s.diffs().get(i);
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
        if (deleted.size() + added.size() > s.size()) {
          return null;
        }
        return new Diff(from, to, List.copyOf(deleted), List.copyOf(added), bytes);
      }
    }
    return null;
  }
}
