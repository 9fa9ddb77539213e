package io.meshdns.server.zone;

import static io.meshdns.server.zone.DnsNames.child;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;

/**
 * Every name meshdns serves for one {@link MeshSnapshot}, indexed for the query path: built on the publisher
 * thread, then only read. dnsjava's {@link Name} compares and hashes case-insensitively, so a lookup is a
 * few hash probes whatever the query's case.
 *
 * <p>The forward zone holds the names of the MCS DNS specification plus what docs/architecture.md adds; the reverse
 * zones (from config) hold PTRs for the endpoint addresses the mesh knows. Names that exist only because
 * names below them do are empty non-terminals (NODATA, not NXDOMAIN).
 *
 * <p>The index is kept per service, so the next snapshot's index is built from the previous one by
 * rebuilding only the services that changed (the snapshot hands over the same {@link GlobalService}
 * object for an unchanged service): one endpoint change in a mesh of 200,000 endpoints costs one service's
 * names, not the whole zone's. Forward names live under their service's name; PTRs are grouped by their
 * parent name (the /24 of an IPv4 address), so an update copies only the groups it touches.
 */
public final class ZoneIndex {
    /** The MCS DNS specification version this zone follows (its {@code dns-version} record). */
    static final String SCHEMA_VERSION = "1.0.0";

    /** What exists at one name. */
    public sealed interface Node {}

    /**
     * {@code <svc>.<ns>.svc.<zone>}: addresses chosen per query (or the querier's ClusterSetIPs); and, as
     * CoreDNS answers and the mcs-api conformance suite expects, SRV records for every port of the service
     * ({@code srv}: an {@link EndpointSrvNode} over all ports for a headless service, else the records).
     */
    public record ServiceNode(GlobalService service, boolean headless, Node srv) implements Node {}

    /**
     * {@code _<port>._<proto>.<svc>.<ns>.svc.<zone>} of a headless service (one port), or the SRV records at
     * its own name (all its ports): one SRV record per endpoint chosen for this query and distinct port the
     * endpoint's EndpointSlice gives for {@code ports}, targeting the endpoint's own name.
     */
    public record EndpointSrvNode(GlobalService service, List<ServicePort> ports, Name serviceName) implements Node {}

    /** {@code <clusterid>.<svc>.<ns>.svc.<zone>} (only with clusterScopedNames): one cluster's endpoints. */
    public record ClusterNode(GlobalService service) implements Node {}

    /** Fixed records: endpoint names, SRV sets, PTRs, dns-version, the name server's glue. */
    public record RecordsNode(List<Record> records, List<Record> additional) implements Node {}

    /** An empty non-terminal. */
    record EmptyNode() implements Node {}

    private static final EmptyNode EMPTY = new EmptyNode();

    /** One zone meshdns is authoritative for: the forward zone or a reverse zone. */
    public record Zone(Name origin, SOARecord soa, List<NSRecord> ns) {}

    /**
     * The names one service contributes: the ones under its own name (with the empty non-terminals between),
     * and its PTRs. Empty for a service that has no name (a headless service with no ready endpoint).
     */
    private record ServiceNames(
            GlobalService service, Name name, Map<Name, Node> forward, List<Ptr> ptrs, Lifetime lifetime) {
        ServiceNames(GlobalService service, Name name, Map<Name, Node> forward, List<Ptr> ptrs) {
            this(service, name, forward, ptrs, new Lifetime());
        }
    }

    /** A PTR one service claims; when several services claim an address, the lowest service key's wins. */
    private record Ptr(Name name, ServiceKey service, RecordsNode node) {}

    final ZoneSettings settings;
    final MeshSnapshot snapshot;
    final Zone forward;
    private final List<Zone> zones;
    /** dns-version, the name server's glue, and the empty non-terminals above the services. */
    private final Map<Name, Node> fixed;

    private final Map<ServiceKey, ServiceNames> byKey;
    /** Services that have names, by their name {@code <svc>.<ns>.svc.<zone>}. */
    private final Map<Name, ServiceNames> byName;
    /** Claims of each reverse name, grouped by its parent; a claim list is sorted by service key. */
    private final Map<Name, Map<Name, List<Ptr>>> ptrGroups;
    /** For each name between a PTR and its reverse zone's apex, how many PTR names lie below it. */
    private final Map<Name, Integer> reverseBelow;
    /** {@code svc.<zone>}, and how many labels a service's name has. */
    private final Name services;

    private final int serviceLabels;
    /** The names whose records may differ from the previous index's; {@code null} when every name may. */
    private final Set<Name> changedNames;
    /** This index's place among all built, from 1: see {@link #generation}. */
    private final long generation = GENERATIONS.incrementAndGet();

    private static final AtomicLong GENERATIONS = new AtomicLong();

    private ZoneIndex(
            ZoneSettings settings,
            MeshSnapshot snapshot,
            List<Zone> zones,
            Map<Name, Node> fixed,
            Map<ServiceKey, ServiceNames> byKey,
            Map<Name, ServiceNames> byName,
            Map<Name, Map<Name, List<Ptr>>> ptrGroups,
            Map<Name, Integer> reverseBelow,
            Set<Name> changedNames) {
        this.changedNames = changedNames;
        this.settings = settings;
        this.snapshot = snapshot;
        this.zones = zones;
        this.forward = zones.get(0);
        this.fixed = fixed;
        this.byKey = byKey;
        this.byName = byName;
        this.ptrGroups = ptrGroups;
        this.reverseBelow = reverseBelow;
        this.services = child("svc", settings.origin());
        this.serviceLabels = services.labels() + 2;
    }

    /** The most specific zone that contains {@code name}, or {@code null} when meshdns is not authoritative. */
    public Zone zoneOf(Name name) {
        return zoneOf(zones, name);
    }

    private static Zone zoneOf(List<Zone> zones, Name name) {
        Zone best = null;
        for (Zone z : zones) {
            if (name.subdomain(z.origin())
                    && (best == null || z.origin().labels() > best.origin().labels())) {
                best = z;
            }
        }
        return best;
    }

    /** What exists at {@code name}, or {@code null} (NXDOMAIN). Apexes are not nodes. */
    public Node node(Name name) {
        Node node = fixed.get(name);
        if (node != null) {
            return node;
        }
        if (underServices(name)) {
            ServiceNames service = serviceOf(name);
            return service == null ? null : service.forward().get(name);
        }
        Name parent = parent(name);
        Map<Name, List<Ptr>> group = parent == null ? null : ptrGroups.get(parent);
        List<Ptr> claims = group == null ? null : group.get(name);
        if (claims != null) {
            return claims.get(0).node();
        }
        return reverseBelow.containsKey(name) ? EMPTY : null;
    }

    public List<Zone> zones() {
        return zones;
    }

    /**
     * A number no other index has, larger than every earlier index's: a stored answer can remember the index
     * it was last checked against without holding on to it (the serial moves only when records may differ).
     */
    public long generation() {
        return generation;
    }

    /** The zones' serial (one for all zones, see {@link ZoneSerial}). */
    public long serial() {
        return forward.soa().getSerial();
    }

    /**
     * The names (in any zone) whose records may differ from those of the index this one was built from:
     * the names of the services that changed. {@code null} when every name may (the first index, new
     * settings, or a change of cluster health, which moves addresses between candidate tiers).
     */
    public Set<Name> changedNames() {
        return changedNames;
    }

    /**
     * The lifetime of the service whose names hold {@code name} (ended when that service changes), or
     * {@code null} when {@code name} is no service's: its answers then last as long as this index.
     */
    public Lifetime serviceLifetime(Name name) {
        ServiceNames service = underServices(name) ? serviceOf(name) : null;
        return service == null ? null : service.lifetime();
    }

    /** Whether {@code name} is a service's name or below one: {@code <svc>.<ns>.svc.<zone>} and deeper. */
    private boolean underServices(Name name) {
        return name.labels() >= serviceLabels && name.subdomain(services);
    }

    /** The names of the service that {@code name} (under {@link #underServices}) belongs to, or {@code null}. */
    private ServiceNames serviceOf(Name name) {
        int labels = name.labels();
        return byName.get(labels == serviceLabels ? name : new Name(name, labels - serviceLabels));
    }

    /** Every name of every zone (apexes aside), unordered. */
    Map<Name, Node> allNames() {
        Map<Name, Node> all = new HashMap<>(fixed);
        for (ServiceNames s : byName.values()) {
            s.forward().forEach(all::putIfAbsent);
        }
        for (Map<Name, List<Ptr>> group : ptrGroups.values()) {
            group.forEach((name, claims) -> all.putIfAbsent(name, claims.get(0).node()));
        }
        reverseBelow.keySet().forEach(name -> all.putIfAbsent(name, EMPTY));
        return all;
    }

    /** Every name below the apex of {@code zone}, in canonical order: what a zone transfer sends. */
    public List<Map.Entry<Name, Node>> namesIn(Zone zone) {
        Map<Name, Node> all = allNames();
        List<Map.Entry<Name, Node>> out = new ArrayList<>();
        for (var e : all.entrySet()) {
            if (zoneOf(e.getKey()) == zone) {
                out.add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        out.sort(Map.Entry.comparingByKey());
        return out;
    }

    public static ZoneIndex build(ZoneSettings settings, MeshSnapshot snapshot) {
        return build(settings, snapshot, null);
    }

    /**
     * The index of {@code snapshot}, reusing the names of every service {@code previous} (built with the same
     * settings, or {@code null}) has for the same {@link GlobalService} object.
     */
    public static ZoneIndex build(ZoneSettings settings, MeshSnapshot snapshot, ZoneIndex previous) {
        return new Update(
                        settings,
                        snapshot,
                        previous != null && previous.settings.equals(settings) ? previous : null,
                        previous == null ? -1 : previous.serial())
                .build();
    }

    /** One update: copies the previous index's maps shallowly, then swaps the changed services' names. */
    private static final class Update {
        private final ZoneSettings s;
        private final MeshSnapshot snapshot;
        private final List<Zone> zones = new ArrayList<>();
        private final Map<ServiceKey, ServiceNames> byKey;
        private final Map<Name, ServiceNames> byName;
        private final Map<Name, Map<Name, List<Ptr>>> ptrGroups;
        /** The groups already copied in this update (the others are still shared with the previous index). */
        private final Set<Name> ownGroups = new HashSet<>();

        private final Map<Name, Integer> reverseBelow;
        private final ZoneIndex previous;
        private final long previousSerial;
        private final Set<Name> changedNames = new HashSet<>();

        Update(ZoneSettings settings, MeshSnapshot snapshot, ZoneIndex previous, long previousSerial) {
            this.previousSerial = previousSerial;
            this.s = settings;
            this.snapshot = snapshot;
            this.previous = previous;
            this.byKey = previous == null ? new HashMap<>() : new HashMap<>(previous.byKey);
            this.byName = previous == null ? new HashMap<>() : new HashMap<>(previous.byName);
            this.ptrGroups = previous == null ? new HashMap<>() : new HashMap<>(previous.ptrGroups);
            this.reverseBelow = previous == null ? new HashMap<>() : new HashMap<>(previous.reverseBelow);
        }

        public ZoneIndex build() {
            // Zones first (the PTR updates look up their apex); the serial is set once the changes are known.
            zones.add(zone(s.origin(), 0));
            for (Name reverse : s.reverseZones()) {
                zones.add(zone(reverse, 0));
            }
            Map<ServiceKey, GlobalService> now = snapshot.services();
            if (previous != null) {
                for (ServiceNames old : previous.byKey.values()) {
                    if (now.get(old.service().key()) != old.service()) {
                        remove(old);
                    }
                }
            }
            for (GlobalService service : now.values()) {
                ServiceNames old = previous == null ? null : previous.byKey.get(service.key());
                if (old == null || old.service() != service) {
                    add(names(service));
                }
            }
            boolean everything =
                    previous == null || !degraded(previous.snapshot).equals(degraded(snapshot));
            // The serial moves when the zones' records may have changed, so secondaries see every change.
            long serial = previousSerial < 0
                    ? ZoneSerial.initial(snapshot.publishedAt())
                    : everything || !changedNames.isEmpty()
                            ? ZoneSerial.next(previousSerial, snapshot.publishedAt())
                            : previousSerial;
            zones.replaceAll(z -> zone(z.origin(), serial));
            return new ZoneIndex(
                    s,
                    snapshot,
                    List.copyOf(zones),
                    fixed(),
                    byKey,
                    byName,
                    ptrGroups,
                    reverseBelow,
                    // This update's own set, never written again: wrapped, not copied (a first sync changes
                    // hundreds of thousands of names per publication).
                    everything ? null : Collections.unmodifiableSet(changedNames));
        }

        private static Set<ClusterId> degraded(MeshSnapshot snapshot) {
            Set<ClusterId> out = new HashSet<>();
            snapshot.clusters().forEach((id, health) -> {
                if (health.degraded()) {
                    out.add(id);
                }
            });
            return out;
        }

        private Zone zone(Name origin, long serial) {
            // Negative answers are cached for the SOA minimum (RFC 2308): the same TTL as positive ones.
            var soa = new SOARecord(
                    origin, DClass.IN, s.ttl(), s.primary(), s.hostmaster(), serial, 3600, 600, 86400, s.ttl());
            List<NSRecord> ns = new ArrayList<>();
            for (ZoneSettings.NameServer n : s.nameservers()) {
                ns.add(new NSRecord(origin, DClass.IN, s.ttl(), n.name()));
            }
            return new Zone(origin, soa, List.copyOf(ns));
        }

        /**
         * dns-version and the name servers' addresses (those inside the zone), then {@code svc.<zone>} and each
         * {@code <ns>.svc.<zone>} that has services.
         */
        private Map<Name, Node> fixed() {
            Map<Name, Node> fixed = new HashMap<>();
            Name origin = s.origin();
            Name version = child("dns-version", origin);
            fixed.put(version, records(List.of(new TXTRecord(version, DClass.IN, s.ttl(), SCHEMA_VERSION))));
            for (ZoneSettings.NameServer ns : s.nameservers()) {
                if (!ns.name().subdomain(origin) || ns.name().equals(origin)) {
                    continue;
                }
                List<Record> addresses = new ArrayList<>();
                for (InetAddress a : ns.addresses()) {
                    addresses.add(address(ns.name(), a));
                }
                fixed.put(ns.name(), records(addresses));
                for (Name up = parent(ns.name());
                        up != null && !up.equals(origin) && up.subdomain(origin);
                        up = parent(up)) {
                    fixed.putIfAbsent(up, EMPTY);
                }
            }
            for (ServiceNames service : byName.values()) {
                for (Name up = parent(service.name()); up != null && !up.equals(origin); up = parent(up)) {
                    if (fixed.putIfAbsent(up, EMPTY) != null) {
                        break; // and so are the names above it
                    }
                }
            }
            return fixed;
        }

        private void remove(ServiceNames old) {
            old.lifetime().end(); // answers compiled from these names are stale from the next index on
            touched(old);
            byKey.remove(old.service().key());
            if (old.name() != null) {
                byName.remove(old.name(), old);
            }
            for (Ptr ptr : old.ptrs()) {
                Map<Name, List<Ptr>> group = ownGroup(parent(ptr.name()));
                List<Ptr> claims = new ArrayList<>(group.get(ptr.name()));
                claims.removeIf(c -> c.service().equals(ptr.service()));
                if (!claims.isEmpty()) {
                    group.put(ptr.name(), List.copyOf(claims));
                    continue;
                }
                group.remove(ptr.name());
                if (group.isEmpty()) {
                    ptrGroups.remove(parent(ptr.name()));
                }
                Name apex = zoneOf(zones, ptr.name()).origin();
                for (Name up = parent(ptr.name()); up != null && !up.equals(apex); up = parent(up)) {
                    reverseBelow.compute(up, (k, n) -> n == null || n <= 1 ? null : n - 1);
                }
            }
        }

        /** Records the names of {@code names} as changed. */
        private void touched(ServiceNames names) {
            changedNames.addAll(names.forward().keySet());
            for (Ptr ptr : names.ptrs()) {
                changedNames.add(ptr.name());
            }
        }

        private void add(ServiceNames names) {
            touched(names);
            byKey.put(names.service().key(), names);
            if (names.name() != null) {
                byName.put(names.name(), names);
            }
            for (Ptr ptr : names.ptrs()) {
                Map<Name, List<Ptr>> group = ownGroup(parent(ptr.name()));
                List<Ptr> claims = group.get(ptr.name());
                if (claims != null) {
                    List<Ptr> more = new ArrayList<>(claims);
                    more.add(ptr);
                    more.sort(Comparator.comparing(Ptr::service));
                    group.put(ptr.name(), List.copyOf(more));
                    continue;
                }
                group.put(ptr.name(), List.of(ptr));
                Name apex = zoneOf(zones, ptr.name()).origin();
                for (Name up = parent(ptr.name()); up != null && !up.equals(apex); up = parent(up)) {
                    reverseBelow.merge(up, 1, Integer::sum);
                }
            }
        }

        /** The group of PTRs under {@code parent}, copied from the previous index the first time it changes. */
        private Map<Name, List<Ptr>> ownGroup(Name parent) {
            Map<Name, List<Ptr>> group = ptrGroups.get(parent);
            if (ownGroups.add(parent) || group == null) {
                group = group == null ? new HashMap<>() : new HashMap<>(group);
                ptrGroups.put(parent, group);
            }
            return group;
        }

        /** Every name of one service. */
        private ServiceNames names(GlobalService service) {
            Name name = child(service.key().name(), child(service.key().namespace(), child("svc", s.origin())));
            if (!service.answerable()) {
                return new ServiceNames(service, null, Map.of(), List.of()); // only invalid (ExternalName) exports
            }
            boolean headless = service.headless();
            if (headless && service.endpoints().stream().noneMatch(Endpoint::ready)) {
                // The MCS spec: a headless service with no ready endpoint anywhere does not exist.
                return new ServiceNames(service, null, Map.of(), List.of());
            }
            Map<Name, Node> forward = new HashMap<>();
            put(forward, name, name, new ServiceNode(service, headless, serviceSrv(service, name, headless)));
            Map<Name, List<Endpoint>> endpointNames = new LinkedHashMap<>();
            if (headless) {
                for (Endpoint e : service.endpoints()) {
                    if (e.ready()) {
                        Name host = endpointName(e, name);
                        endpointNames
                                .computeIfAbsent(host, k -> new ArrayList<>())
                                .add(e);
                    }
                }
                for (var entry : endpointNames.entrySet()) {
                    List<Record> addresses = new ArrayList<>();
                    for (Endpoint e : entry.getValue()) {
                        addresses.add(address(entry.getKey(), e.address()));
                    }
                    put(forward, name, entry.getKey(), records(addresses));
                }
            }
            if (s.clusterScopedNames()) {
                for (var entry : service.byCluster().entrySet()) {
                    if (!service.leftOut().containsKey(entry.getKey())) {
                        put(
                                forward,
                                name,
                                child(entry.getKey().value(), name),
                                new ClusterNode(
                                        new GlobalService(service.key(), Map.of(entry.getKey(), entry.getValue()))));
                    }
                }
            }
            addSrv(forward, service, name, headless);
            return new ServiceNames(service, name, forward, ptrs(service, name, headless));
        }

        /**
         * One SRV name per named port of the service (the ports of its oldest export): per chosen endpoint
         * with the endpoint's own port for a headless service; else one record with the Service port and
         * the service's name as target, while any cluster contributes an address a client can use. The name
         * exists as long as the service does (no record: NODATA), as its A name does (RFC 2308: a name that
         * exists for one type exists for all).
         */
        private void addSrv(Map<Name, Node> forward, GlobalService service, Name name, boolean headless) {
            boolean answered = answered(service);
            for (ServicePort p : service.ports()) {
                if (p.name().isEmpty()) {
                    continue;
                }
                Name owner = child(
                        "_" + p.name().toLowerCase(Locale.ROOT),
                        child("_" + p.protocol().toLowerCase(Locale.ROOT), name));
                if (headless) {
                    put(forward, name, owner, new EndpointSrvNode(service, List.of(p), name));
                } else {
                    put(
                            forward,
                            name,
                            owner,
                            records(
                                    answered
                                            ? List.of(new SRVRecord(owner, DClass.IN, s.ttl(), 0, 100, p.port(), name))
                                            : List.of()));
                }
            }
        }

        /**
         * The SRV records at the service's own name: for a headless service one per chosen endpoint and
         * distinct port over all its ports; else one per distinct Service port number, target the service,
         * while it is answered.
         */
        private Node serviceSrv(GlobalService service, Name name, boolean headless) {
            if (headless) {
                return new EndpointSrvNode(service, service.ports(), name);
            }
            List<Record> srv = new ArrayList<>();
            if (answered(service)) {
                Set<Integer> seen = new HashSet<>();
                for (ServicePort p : service.ports()) {
                    if (seen.add(p.port())) {
                        srv.add(new SRVRecord(name, DClass.IN, s.ttl(), 0, 100, p.port(), name));
                    }
                }
            }
            return records(srv);
        }

        /** Whether a cluster contributes an address a client can use, or one imports the service with ClusterSetIPs. */
        private static boolean answered(GlobalService service) {
            return service.endpoints().stream().anyMatch(e -> e.ready() || e.serving())
                    || !service.clusterSetIps().isEmpty();
        }

        /** PTRs in the configured reverse zones: a headless endpoint's own name, else the service's name. */
        private List<Ptr> ptrs(GlobalService service, Name name, boolean headless) {
            if (s.reverseZones().isEmpty()) {
                return List.of();
            }
            Map<Name, Ptr> ptrs = new LinkedHashMap<>();
            for (List<InetAddress> ips : service.clusterSetIps().values()) {
                for (InetAddress ip : ips) {
                    if (s.inReverseNetworks(ip)) {
                        Name ptr = ReverseMap.fromAddress(ip);
                        ptrs.putIfAbsent(
                                ptr,
                                new Ptr(
                                        ptr,
                                        service.key(),
                                        records(List.of(new PTRRecord(ptr, DClass.IN, s.ttl(), name)))));
                    }
                }
            }
            for (Endpoint e : service.endpoints()) {
                if (!s.inReverseNetworks(e.address())) {
                    continue;
                }
                Name ptr = ReverseMap.fromAddress(e.address());
                Name target = headless && e.ready() ? endpointName(e, name) : name;
                ptrs.putIfAbsent(
                        ptr,
                        new Ptr(ptr, service.key(), records(List.of(new PTRRecord(ptr, DClass.IN, s.ttl(), target)))));
            }
            return List.copyOf(ptrs.values());
        }

        private static RecordsNode records(List<Record> records) {
            return new RecordsNode(List.copyOf(records), List.of());
        }

        private Record address(Name owner, InetAddress a) {
            return a instanceof Inet4Address
                    ? new ARecord(owner, DClass.IN, s.ttl(), a)
                    : new AAAARecord(owner, DClass.IN, s.ttl(), a);
        }

        /**
         * Adds a name of the service named {@code service}, and marks every name between it and the service's
         * name as an empty non-terminal. The first writer of a name wins: names are built in a stable order.
         */
        private static void put(Map<Name, Node> forward, Name service, Name name, Node node) {
            Node existing = forward.get(name);
            if (existing != null && !(existing instanceof EmptyNode)) {
                return;
            }
            forward.put(name, node);
            for (Name up = parent(name); up != null && !up.equals(service) && up.subdomain(service); up = parent(up)) {
                forward.putIfAbsent(up, EMPTY);
            }
        }
    }

    /** {@code <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>}, with discovery's hostname (given or derived). */
    public static Name endpointName(Endpoint e, Name service) {
        return child(e.hostname().toLowerCase(Locale.ROOT), child(e.cluster().value(), service));
    }

    static Name parent(Name name) {
        return name.labels() <= 1 ? null : new Name(name, 1);
    }
}
