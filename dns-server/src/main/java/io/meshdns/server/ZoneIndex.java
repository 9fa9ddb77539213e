package io.meshdns.server;

import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServicePort;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;

/**
 * Every name meshdns serves for one {@link MeshSnapshot}, indexed for the query path: built once per
 * snapshot on the publisher thread, then only read. dnsjava's {@link Name} compares and hashes
 * case-insensitively, so a lookup is one hash probe whatever the query's case.
 *
 * <p>The forward zone holds the names of the MCS DNS specification plus what DESIGN.md adds; the reverse
 * zones (from config) hold PTRs for the endpoint addresses the mesh knows. Names that exist only because
 * names below them do are empty non-terminals (NODATA, not NXDOMAIN).
 */
final class ZoneIndex {
  /** The MCS DNS specification version this zone follows (its {@code dns-version} record). */
  static final String SCHEMA_VERSION = "1.0.0";

  /** What exists at one name. */
  sealed interface Node {}

  /** {@code <svc>.<ns>.svc.<zone>}: addresses chosen per query, or a CNAME for an ExternalName service. */
  record ServiceNode(GlobalService service, boolean headless, Name cname) implements Node {}

  /** {@code <clusterid>.<svc>.<ns>.svc.<zone>} (only with clusterScopedNames): one cluster's endpoints. */
  record ClusterNode(GlobalService service) implements Node {}

  /** Fixed records: endpoint names, SRV sets, PTRs, dns-version, the name server's glue. */
  record RecordsNode(List<Record> records, List<Record> additional) implements Node {}

  /** An empty non-terminal. */
  record EmptyNode() implements Node {}

  private static final EmptyNode EMPTY = new EmptyNode();

  /** One zone meshdns is authoritative for: the forward zone or a reverse zone. */
  record Zone(Name origin, SOARecord soa, NSRecord ns) {}

  final ZoneSettings settings;
  final MeshSnapshot snapshot;
  final Zone forward;
  private final List<Zone> zones;
  private final Map<Name, Node> nodes;

  private ZoneIndex(ZoneSettings settings, MeshSnapshot snapshot, List<Zone> zones, Map<Name, Node> nodes) {
    this.settings = settings;
    this.snapshot = snapshot;
    this.zones = zones;
    this.forward = zones.get(0);
    this.nodes = nodes;
  }

  /** The most specific zone that contains {@code name}, or {@code null} when meshdns is not authoritative. */
  Zone zoneOf(Name name) {
    Zone best = null;
    for (Zone z : zones) {
      if (name.subdomain(z.origin()) && (best == null || z.origin().labels() > best.origin().labels())) {
        best = z;
      }
    }
    return best;
  }

  /** What exists at {@code name}, or {@code null} (NXDOMAIN). Apexes are not nodes. */
  Node node(Name name) {
    return nodes.get(name);
  }

  List<Zone> zones() {
    return zones;
  }

  /** Every name below the apex of {@code zone}, in canonical order: what a zone transfer sends. */
  List<Map.Entry<Name, Node>> namesIn(Zone zone) {
    List<Map.Entry<Name, Node>> out = new ArrayList<>();
    for (var e : nodes.entrySet()) {
      if (zoneOf(e.getKey()) == zone) {
        out.add(e);
      }
    }
    out.sort(Map.Entry.comparingByKey());
    return out;
  }

  static ZoneIndex build(ZoneSettings settings, MeshSnapshot snapshot) {
    return new Builder(settings, snapshot).build();
  }

  private static final class Builder {
    private final ZoneSettings s;
    private final MeshSnapshot snapshot;
    private final List<Zone> zones = new ArrayList<>();
    private final Map<Name, Node> nodes = new HashMap<>();
    private final long serial;

    Builder(ZoneSettings settings, MeshSnapshot snapshot) {
      this.s = settings;
      this.snapshot = snapshot;
      // The serial follows the snapshot version, so secondaries see every change.
      this.serial = snapshot.version() & 0xFFFFFFFFL;
    }

    ZoneIndex build() {
      zones.add(zone(s.origin()));
      for (Name reverse : s.reverseZones()) {
        zones.add(zone(reverse));
      }
      Name origin = s.origin();
      put(child("dns-version", origin), records(new TXTRecord(child("dns-version", origin), DClass.IN, s.ttl(),
          SCHEMA_VERSION)));
      if (s.nsName().subdomain(origin) && !s.nsName().equals(origin)) {
        List<Record> glue = new ArrayList<>();
        for (InetAddress a : s.nsAddresses()) {
          glue.add(address(s.nsName(), a));
        }
        put(s.nsName(), records(glue));
      }
      Name svc = child("svc", origin);
      for (GlobalService service : snapshot.services().values()) {
        addService(service, child(service.key().name(), child(service.key().namespace(), svc)));
      }
      return new ZoneIndex(s, snapshot, List.copyOf(zones), nodes);
    }

    private Zone zone(Name origin) {
      // Negative answers are cached for the SOA minimum (RFC 2308): the same TTL as positive ones.
      var soa = new SOARecord(origin, DClass.IN, s.ttl(), s.nsName(), s.hostmaster(), serial, 3600, 600, 86400, s.ttl());
      return new Zone(origin, soa, new NSRecord(origin, DClass.IN, s.ttl(), s.nsName()));
    }

    private void addService(GlobalService service, Name name) {
      ClusterService first = service.byCluster().values().iterator().next();
      Name cname = null;
      if (first.externalName() != null) {
        // Clusters that disagree: the lowest cluster id wins, as for every per-service setting.
        cname = absolute(first.externalName());
      }
      boolean headless = service.byCluster().values().stream().anyMatch(ClusterService::headless);
      if (cname == null && headless && service.endpoints().stream().noneMatch(Endpoint::ready)) {
        // The MCS spec: a headless service with no ready endpoint anywhere does not exist.
        return;
      }
      put(name, new ServiceNode(service, headless, cname));
      if (cname != null) {
        return;
      }
      Map<Name, List<Endpoint>> endpointNames = new LinkedHashMap<>();
      if (headless) {
        for (Endpoint e : service.endpoints()) {
          if (e.ready()) {
            Name host = endpointName(e, name);
            endpointNames.computeIfAbsent(host, k -> new ArrayList<>()).add(e);
          }
        }
        for (var entry : endpointNames.entrySet()) {
          List<Record> addresses = new ArrayList<>();
          for (Endpoint e : entry.getValue()) {
            addresses.add(address(entry.getKey(), e.address()));
          }
          put(entry.getKey(), records(addresses));
        }
      }
      if (s.clusterScopedNames()) {
        for (var entry : service.byCluster().entrySet()) {
          put(child(entry.getKey().value(), name),
              new ClusterNode(new GlobalService(service.key(), Map.of(entry.getKey(), entry.getValue()))));
        }
      }
      addSrv(service, name, headless, endpointNames);
      addPtrs(service, name, headless);
    }

    /** One SRV set per named port: per ready endpoint for headless services, else one for the service. */
    private void addSrv(GlobalService service, Name name, boolean headless, Map<Name, List<Endpoint>> endpointNames) {
      Map<String, ServicePort> ports = new TreeMap<>();
      for (ClusterService cs : service.byCluster().values()) {
        for (ServicePort p : cs.ports()) {
          if (!p.name().isEmpty()) {
            ports.putIfAbsent(p.name().toLowerCase(Locale.ROOT) + "/" + p.protocol().toLowerCase(Locale.ROOT), p);
          }
        }
      }
      for (ServicePort p : ports.values()) {
        Name owner = child("_" + p.name().toLowerCase(Locale.ROOT),
            child("_" + p.protocol().toLowerCase(Locale.ROOT), name));
        List<Record> srv = new ArrayList<>();
        List<Record> additional = new ArrayList<>();
        if (headless) {
          int weight = Math.max(1, 100 / Math.max(1, endpointNames.size()));
          for (var entry : endpointNames.entrySet()) {
            srv.add(new SRVRecord(owner, DClass.IN, s.ttl(), 0, weight, p.port(), entry.getKey()));
            for (Endpoint e : entry.getValue()) {
              additional.add(address(entry.getKey(), e.address()));
            }
          }
        } else {
          srv.add(new SRVRecord(owner, DClass.IN, s.ttl(), 0, 100, p.port(), name));
        }
        put(owner, new RecordsNode(List.copyOf(srv), List.copyOf(additional)));
      }
    }

    /** PTRs in the configured reverse zones: a headless endpoint's own name, else the service's name. */
    private void addPtrs(GlobalService service, Name name, boolean headless) {
      if (s.reverseZones().isEmpty()) {
        return;
      }
      for (Endpoint e : service.endpoints()) {
        if (!s.inReverseNetworks(e.address())) {
          continue;
        }
        Name ptr = ReverseMap.fromAddress(e.address());
        Name target = headless && e.ready() ? endpointName(e, name) : name;
        if (!nodes.containsKey(ptr)) {
          put(ptr, records(new PTRRecord(ptr, DClass.IN, s.ttl(), target)));
        }
      }
    }

    private RecordsNode records(Record... records) {
      return new RecordsNode(List.of(records), List.of());
    }

    private RecordsNode records(List<Record> records) {
      return new RecordsNode(List.copyOf(records), List.of());
    }

    private Record address(Name owner, InetAddress a) {
      return a instanceof Inet4Address
          ? new ARecord(owner, DClass.IN, s.ttl(), a)
          : new AAAARecord(owner, DClass.IN, s.ttl(), a);
    }

    /** Adds the node, and marks every name between it and its zone's apex as an empty non-terminal. */
    private void put(Name name, Node node) {
      Node existing = nodes.get(name);
      if (existing != null && !(existing instanceof EmptyNode)) {
        return; // first writer wins: names are built in a stable order
      }
      nodes.put(name, node);
      Zone zone = null;
      for (Zone z : zones) {
        if (name.subdomain(z.origin()) && (zone == null || z.origin().labels() > zone.origin().labels())) {
          zone = z;
        }
      }
      if (zone == null) {
        return;
      }
      for (Name up = parent(name); up != null && !up.equals(zone.origin()) && up.subdomain(zone.origin());
          up = parent(up)) {
        nodes.putIfAbsent(up, EMPTY);
      }
    }
  }

  /** {@code <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>}, with discovery's hostname (given or derived). */
  static Name endpointName(Endpoint e, Name service) {
    return child(e.hostname().toLowerCase(Locale.ROOT), child(e.cluster().value(), service));
  }

  static Name parent(Name name) {
    return name.labels() <= 1 ? null : new Name(name, 1);
  }

  static Name child(String label, Name parent) {
    try {
      return Name.concatenate(Name.fromString(label), parent);
    } catch (TextParseException | NameTooLongException e) {
      throw new IllegalArgumentException("cannot build DNS name " + label + "." + parent, e);
    }
  }

  static Name absolute(String name) {
    try {
      return Name.fromString(name, Name.root);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + name, e);
    }
  }
}
