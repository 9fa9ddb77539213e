package io.meshdns.server.http;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.MeshWatcher;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.server.answer.QueryResponder;
import io.meshdns.server.transport.DotCertificate;
import io.meshdns.server.zone.ServedZone;
import io.meshdns.server.zone.ZoneIndex;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The views behind the status page and the {@code /api/...} endpoints: clusters, global services (a
 * filtered, paginated summary, and one service's endpoints on request), and "resolve", which answers a name
 * through the real query path (a dnsjava query message, its wire bytes handed to
 * {@link QueryResponder#respond}) and explains the answer. Plain records, serialised by Jackson. Every view
 * is built from one snapshot, whose version is the response's ETag.
 */
public final class StatusApi {
    /** The EDNS buffer size of a resolve query: what a modern resolver offers over UDP. */
    static final int RESOLVE_UDP_SIZE = 1232;

    static final List<String> RESOLVE_TYPES = List.of("A", "AAAA", "SRV", "TXT", "SOA", "NS", "PTR", "CNAME", "ANY");
    /** Values of the services list's {@code state} filter. */
    static final List<String> STATES = List.of("ready", "degraded", "not-ready", "single-cluster");

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;

    /** A request the API cannot answer, with a message meant for the person who sent it. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    /** A resource that does not exist, such as a service the mesh does not export. */
    static final class NotFound extends Exception {
        NotFound(String message) {
            super(message, null, false, false);
        }
    }

    /** What the page shows first: the mesh's health and counts, never the service list itself. */
    record Status(
            String zone,
            String dns,
            String policy,
            long snapshotVersion,
            String snapshotPublishedAt,
            Readiness.Verdict readiness,
            Health health,
            List<ClusterView> clusters,
            ServiceCounts services,
            TlsView tls) {}

    /**
     * The banner: {@code level} is {@code synced} (ready, every cluster synced, every service answered from
     * every cluster that exports it), {@code degraded} (ready, but a cluster is not synced or a service is
     * degraded or not ready) or {@code not-serving} (not ready: in-zone queries get SERVFAIL). {@code causes}
     * name what makes it so, each with a link into the page ({@code #cluster-ID}, {@code #services?state=S}).
     * Readiness ({@code /readyz}) does not follow it: a replica serving a degraded mesh still takes traffic.
     */
    record Health(String level, String headline, List<Cause> causes) {}

    record Cause(String text, String link) {}

    /**
     * DNS over TLS: where, and the certificate being served ({@code null} in {@link Status} when DoT is off).
     * {@code expiringSoon}: within {@link DotCertificate#EXPIRY_WARNING}; {@code reloadError}: why changed files
     * were not loaded (the certificate shown is still served), else null.
     */
    record TlsView(
            String dot,
            String subject,
            String issuer,
            String notAfter,
            long expiresInSeconds,
            boolean expiringSoon,
            boolean clientAuth,
            String loadedAt,
            String reloadError) {}

    /** How many global services are in each state, and the namespaces they are in (for the filters). */
    record ServiceCounts(int all, int ready, int degraded, int notReady, int singleCluster, List<String> namespaces) {}

    record ClusterView(
            String id,
            String state,
            String since,
            String lastEventAt,
            Double lastEventAgeSeconds,
            int services,
            int endpoints,
            long watchRestarts,
            String reason) {}

    /**
     * One page of the services list. {@code nextCursor} is passed back as {@code cursor} for the next page
     * (null on the last); {@code matched} counts every service the filters match.
     */
    record ServicePage(long snapshotVersion, int total, int matched, List<ServiceSummary> items, String nextCursor) {}

    /**
     * A service as the list shows it. {@code state}: {@code ready} when every cluster that has it contributes
     * a ready address, {@code degraded} when some do not (left out, or without a ready endpoint),
     * {@code not-ready} when none does.
     */
    record ServiceSummary(
            String namespace,
            String name,
            String dnsName,
            String policy,
            String state,
            boolean singleCluster,
            int ready,
            int endpoints,
            int clustersAnswering,
            List<ClusterSummary> clusters,
            List<String> why) {}

    /**
     * One cluster's part of a service. {@code answeredBy} is the reachability kind its addresses come from
     * ({@code pod}, {@code clusterIP}, {@code loadBalancer}), {@code null} when it is left out of the answers;
     * {@code reason} says why it is left out, or why its pod IPs are not the ones answered.
     */
    record ClusterSummary(
            String cluster,
            String type,
            boolean headless,
            String externalName,
            int ready,
            int endpoints,
            String answeredBy,
            String reason) {}

    /** One service with every endpoint: {@code /api/services/{namespace}/{name}}. */
    record ServiceView(
            String namespace,
            String name,
            String dnsName,
            String policy,
            String state,
            boolean singleCluster,
            int ready,
            int endpoints,
            List<ServiceClusterView> clusters) {}

    record ServiceClusterView(
            String cluster,
            String type,
            boolean headless,
            String externalName,
            List<String> ports,
            int ready,
            List<EndpointView> endpoints,
            String answeredBy,
            String reason) {}

    record EndpointView(
            String address,
            boolean ready,
            boolean serving,
            boolean terminating,
            String hostname,
            String nodeName,
            String zone) {}

    record Resolution(
            String name,
            String type,
            String rcode,
            String flags,
            boolean truncated,
            String policy,
            String querierCluster,
            String querierSource,
            long snapshotVersion,
            int responseBytes,
            List<RecordView> records) {}

    /** One record of the response; {@code cluster} says which cluster an address answer came from. */
    record RecordView(String section, String name, long ttl, String type, String data, String cluster, Boolean ready) {}

    /** The services of one snapshot as the list shows them, sorted by namespace/name; built once per version. */
    private record Summaries(long version, List<ServiceSummary> sorted, ServiceCounts counts) {}

    private final String zone;
    /** The zone being served, for the policy a name's service follows. */
    private final ServedZone served;

    private final QueryResponder responder;
    private final EndpointSelector selector;
    private final MeshWatcher mesh;
    private final Readiness readiness;
    private final int ednsClusterOption;
    private final InetAddress dns;
    private final int dnsPort;
    /** DNS over TLS's address and certificate, or null when it is off. */
    private final InetSocketAddress dot;

    private final DotCertificate certificate;
    private final StatusTraffic traffic;
    private volatile Summaries summaries = new Summaries(-1, List.of(), new ServiceCounts(0, 0, 0, 0, 0, List.of()));

    public StatusApi(
            String zone,
            ServedZone served,
            QueryResponder responder,
            EndpointSelector selector,
            MeshWatcher mesh,
            Readiness readiness,
            int ednsClusterOption,
            InetAddress dns,
            int dnsPort,
            InetSocketAddress dot,
            DotCertificate certificate,
            StatusTraffic traffic) {
        this.traffic = traffic;
        this.dot = dot;
        this.certificate = certificate;
        this.zone = zone;
        this.served = served;
        this.responder = responder;
        this.selector = selector;
        this.mesh = mesh;
        this.readiness = readiness;
        this.ednsClusterOption = ednsClusterOption;
        this.dns = dns;
        this.dnsPort = dnsPort;
    }

    /** The snapshot a response is built from; its version is the response's ETag. */
    MeshSnapshot snapshot() {
        return mesh.snapshot();
    }

    Readiness.Verdict readiness() {
        return readiness.check();
    }

    Status status(MeshSnapshot s, Readiness.Verdict verdict) {
        ServiceCounts counts = summaries(s).counts();
        return new Status(
                zone,
                dns.getHostAddress() + ":" + dnsPort,
                policyName(),
                s.version(),
                s.publishedAt().toString(),
                verdict,
                health(s, verdict, counts),
                clusters(s),
                counts,
                tls());
    }

    /** The banner's verdict: not serving, else degraded by every cluster not synced and every service not whole. */
    static Health health(MeshSnapshot s, Readiness.Verdict verdict, ServiceCounts counts) {
        List<Cause> causes = new ArrayList<>();
        for (ClusterHealth h : s.clusters().values()) {
            if (h.state() != io.meshdns.discovery.ClusterState.SYNCED) {
                causes.add(new Cause(
                        "cluster " + h.cluster().value() + " is "
                                + h.state().name().toLowerCase(Locale.ROOT)
                                + (h.reason() == null ? "" : ": " + h.reason()),
                        "#cluster-" + h.cluster().value()));
            }
        }
        if (counts.notReady() > 0) {
            causes.add(new Cause(
                    counts.notReady() + (counts.notReady() == 1 ? " service has" : " services have")
                            + " no address to answer with",
                    "#services?state=not-ready"));
        }
        if (counts.degraded() > 0) {
            causes.add(new Cause(
                    counts.degraded()
                            + (counts.degraded() == 1
                                    ? " service is answered from only some of its"
                                    : " services are answered from only some of their")
                            + " clusters",
                    "#services?state=degraded"));
        }
        if (!verdict.ready()) {
            return new Health("not-serving", "Not serving the zone: " + verdict.reason(), causes);
        }
        if (!causes.isEmpty()) {
            return new Health(
                    "degraded",
                    "Serving, degraded: " + causes.get(0).text()
                            + (causes.size() > 1 ? " (and " + (causes.size() - 1) + " more)" : ""),
                    causes);
        }
        return new Health(
                "synced",
                "Serving: all " + s.clusters().size() + " clusters synced, every service answered"
                        + " from every cluster that exports it",
                causes);
    }

    TlsView tls() {
        if (certificate == null) {
            return null;
        }
        DotCertificate.Info i = certificate.info();
        Duration left = Duration.between(Instant.now(), i.notAfter());
        return new TlsView(
                dot.getAddress().getHostAddress() + ":" + dot.getPort(),
                i.subject(),
                i.issuer(),
                i.notAfter().toString(),
                left.toSeconds(),
                left.compareTo(DotCertificate.EXPIRY_WARNING) < 0,
                i.clientAuth(),
                i.loadedAt().toString(),
                i.reloadError());
    }

    /** What of the status changes without a new snapshot: the certificate served, and whether a reload failed. */
    String tlsTag() {
        if (certificate == null) {
            return "";
        }
        DotCertificate.Info i = certificate.info();
        return "-tls" + i.loadedAt().toEpochMilli()
                + (i.reloadError() == null ? "" : "e" + (i.reloadError().hashCode() & 0xffff));
    }

    List<ClusterView> clusters(MeshSnapshot s) {
        Instant now = Instant.now();
        List<ClusterView> out = new ArrayList<>();
        for (ClusterHealth h : s.clusters().values()) {
            Instant last = h.lastEventAt();
            out.add(new ClusterView(
                    h.cluster().value(),
                    h.state().name(),
                    h.since().toString(),
                    last == null ? null : last.toString(),
                    last == null ? null : Duration.between(last, now).toMillis() / 1000.0,
                    h.services(),
                    h.endpoints(),
                    h.watchRestarts(),
                    h.reason()));
        }
        return out;
    }

    /**
     * One page of the services matching every given filter, in namespace/name order.
     *
     * @param query a part of {@code namespace/name} or of the DNS name, any case
     * @param cursor the {@code nextCursor} of the previous page
     */
    ServicePage services(MeshSnapshot s, String query, String namespace, String state, String limit, String cursor)
            throws BadRequest {
        String q = query == null ? "" : query.trim().toLowerCase(Locale.ROOT);
        String ns = namespace == null || namespace.isBlank() ? null : namespace.trim();
        String st = state == null || state.isBlank() ? null : state.trim();
        if (st != null && !STATES.contains(st)) {
            throw new BadRequest("state '" + shorten(st) + "' is not one of " + String.join(", ", STATES));
        }
        int max = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                max = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > MAX_LIMIT) {
                throw new BadRequest(
                        "limit must be a whole number from 1 to " + MAX_LIMIT + "; was '" + shorten(limit) + "'");
            }
        }
        String after = cursor == null || cursor.isBlank() ? null : cursor.trim();
        Summaries all = summaries(s);
        List<ServiceSummary> page = new ArrayList<>();
        int matched = 0;
        String last = null;
        boolean more = false;
        for (ServiceSummary x : all.sorted()) {
            if (ns != null && !ns.equals(x.namespace())
                    || !q.isEmpty() && !key(x).contains(q) && !x.dnsName().contains(q)
                    || st != null && !inState(x, st)) {
                continue;
            }
            matched++;
            if (after != null && NATURAL.compare(key(x), after) <= 0) {
                continue;
            }
            if (page.size() < max) {
                page.add(x);
                last = key(x);
            } else {
                more = true;
            }
        }
        return new ServicePage(all.version(), all.sorted().size(), matched, page, more ? last : null);
    }

    /** One service with its endpoints by cluster. */
    ServiceView service(MeshSnapshot s, String namespace, String name) throws NotFound {
        GlobalService g = s.service(ServiceKey.of(namespace, name));
        if (g == null) {
            throw new NotFound("no global service " + shorten(namespace + "/" + name) + " in snapshot " + s.version()
                    + "; list them at /api/services");
        }
        ServiceSummary sum = summary(s, g);
        List<ServiceClusterView> parts = new ArrayList<>();
        for (ClusterService cs : g.byCluster().values()) {
            List<EndpointView> eps = cs.endpoints().stream()
                    .map(e -> new EndpointView(
                            e.address().getHostAddress(),
                            e.ready(),
                            e.serving(),
                            e.terminating(),
                            e.hostname(),
                            e.nodeName(),
                            e.topologyZone()))
                    .toList();
            List<String> ports = cs.ports().stream().map(StatusApi::port).toList();
            parts.add(new ServiceClusterView(
                    cs.cluster().value(),
                    cs.type(),
                    cs.headless(),
                    cs.externalName(),
                    ports,
                    readyCount(cs),
                    eps,
                    answeredBy(g, cs),
                    reason(g, cs)));
        }
        return new ServiceView(
                sum.namespace(),
                sum.name(),
                sum.dnsName(),
                sum.policy(),
                sum.state(),
                sum.singleCluster(),
                sum.ready(),
                sum.endpoints(),
                parts);
    }

    private static String key(ServiceSummary x) {
        return x.namespace() + "/" + x.name();
    }

    private static boolean inState(ServiceSummary x, String state) {
        return state.equals("single-cluster") ? x.singleCluster() : state.equals(x.state());
    }

    /** The list view of {@code s}, built once per snapshot version (at most one build at a time). */
    private Summaries summaries(MeshSnapshot s) {
        Summaries current = summaries;
        if (current.version() == s.version()) {
            return current;
        }
        synchronized (this) {
            current = summaries;
            if (current.version() == s.version()) {
                return current;
            }
            List<ServiceSummary> sorted = new ArrayList<>(s.services().size());
            int ready = 0;
            int degraded = 0;
            int notReady = 0;
            int single = 0;
            java.util.TreeSet<String> namespaces = new java.util.TreeSet<>();
            for (GlobalService g : s.services().values()) {
                ServiceSummary x = summary(s, g);
                sorted.add(x);
                namespaces.add(x.namespace());
                switch (x.state()) {
                    case "ready" -> ready++;
                    case "degraded" -> degraded++;
                    default -> notReady++;
                }
                if (x.singleCluster()) {
                    single++;
                }
            }
            sorted.sort(java.util.Comparator.comparing(StatusApi::key, NATURAL));
            Summaries built = new Summaries(
                    s.version(),
                    List.copyOf(sorted),
                    new ServiceCounts(sorted.size(), ready, degraded, notReady, single, List.copyOf(namespaces)));
            // Never replace a newer view with an older one (two requests may hold different snapshots).
            if (built.version() > summaries.version()) {
                summaries = built;
            }
            return built;
        }
    }

    private ServiceSummary summary(MeshSnapshot s, GlobalService g) {
        String dnsName = g.key().name() + "." + g.key().namespace() + ".svc." + zone;
        List<ClusterSummary> parts = new ArrayList<>(g.byCluster().size());
        List<String> why = new ArrayList<>();
        int contributing = 0;
        int ready = 0;
        int endpoints = 0;
        for (ClusterService cs : g.byCluster().values()) {
            int r = readyCount(cs);
            String answeredBy = answeredBy(g, cs);
            parts.add(new ClusterSummary(
                    cs.cluster().value(),
                    cs.type(),
                    cs.headless(),
                    cs.externalName(),
                    r,
                    cs.endpoints().size(),
                    answeredBy,
                    reason(g, cs)));
            if (answeredBy != null && r > 0) {
                contributing++;
            }
            String because = why(s.clusters().get(cs.cluster()), g, cs, answeredBy, r);
            if (because != null) {
                why.add(cs.cluster().value() + ": " + because);
            }
            ready += r;
            endpoints += cs.endpoints().size();
        }
        String state = contributing == 0 ? "not-ready" : contributing == parts.size() ? "ready" : "degraded";
        return new ServiceSummary(
                g.key().namespace(),
                g.key().name(),
                dnsName,
                policyOf(dnsName),
                state,
                parts.size() == 1,
                ready,
                endpoints,
                contributing,
                parts,
                List.copyOf(why));
    }

    /**
     * In words, why a cluster adds nothing to the service's answers (left out, no ready endpoint), or why what
     * it adds may be old (its cluster not synced); null when it contributes and is synced.
     */
    private static String why(ClusterHealth health, GlobalService g, ClusterService cs, String answeredBy, int ready) {
        String leftOut = g.leftOut().get(cs.cluster());
        String cluster = health == null || health.state() == io.meshdns.discovery.ClusterState.SYNCED
                ? null
                : "cluster " + health.state().name().toLowerCase(Locale.ROOT) + " since " + health.since()
                        + (health.state() == io.meshdns.discovery.ClusterState.STALE
                                ? ", its last endpoints kept"
                                : "");
        String own;
        if (leftOut != null) {
            own = "left out: " + leftOut;
        } else if (answeredBy == null) {
            own = "left out: " + (cs.reason() != null ? cs.reason() : "no reachable address");
        } else if (ready == 0) {
            own = cs.endpoints().isEmpty()
                    ? "no endpoint"
                    : "no ready endpoint (0 of " + cs.endpoints().size() + ")";
        } else {
            own = null;
        }
        return own == null ? cluster : cluster == null ? own : own + "; " + cluster;
    }

    /**
     * Names in the order people read them: runs of digits compare as numbers ({@code svc-20} before
     * {@code svc-100}), the rest by character; equal numbers of different width (007, 7) fall back to the text.
     */
    static final java.util.Comparator<String> NATURAL = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int ei = i;
                while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
                    ei++;
                }
                int ej = j;
                while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
                    ej++;
                }
                int si = i;
                while (si < ei - 1 && a.charAt(si) == '0') {
                    si++;
                }
                int sj = j;
                while (sj < ej - 1 && b.charAt(sj) == '0') {
                    sj++;
                }
                int byLength = Integer.compare(ei - si, ej - sj);
                if (byLength != 0) {
                    return byLength;
                }
                int byDigits = a.substring(si, ei).compareTo(b.substring(sj, ej));
                if (byDigits != 0) {
                    return byDigits;
                }
                i = ei;
                j = ej;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        int byRest = Integer.compare(a.length() - i, b.length() - j);
        return byRest != 0 ? byRest : a.compareTo(b);
    };

    /** The charts and the top names, for {@code /api/traffic}, {@code /api/history} and {@code /api/top}. */
    StatusTraffic traffic() {
        return traffic;
    }

    private String policyOf(String dnsName) {
        try {
            return policyName(Name.fromString(dnsName, Name.root));
        } catch (TextParseException e) {
            return policyName(); // a name from a valid ServiceKey and zone always parses
        }
    }

    /** The default load-balancing policy. */
    private String policyName() {
        return selector.config().policy().configName();
    }

    /** The policy that applies to the service named {@code qname} (its annotation's or the default). */
    private String policyName(Name qname) {
        ZoneIndex.Node node = served.index().node(qname);
        return node instanceof ZoneIndex.ServiceNode s
                ? selector.policyOf(s.service()).configName()
                : policyName();
    }

    private static int readyCount(ClusterService cs) {
        int n = 0;
        for (Endpoint e : cs.endpoints()) {
            if (e.ready()) {
                n++;
            }
        }
        return n;
    }

    /** The reachability kind the cluster's addresses come from, or {@code null} when it is left out. */
    private static String answeredBy(GlobalService g, ClusterService cs) {
        return g.leftOut().containsKey(cs.cluster()) || cs.answeredBy() == null
                ? null
                : cs.answeredBy().configName();
    }

    /**
     * Why the cluster is left out of the service's answers (port rule, reachability, a conflict with the
     * oldest export, an ExternalName export), or why its pod IPs are not the addresses answered; else null.
     */
    private static String reason(GlobalService g, ClusterService cs) {
        String leftOut = g.leftOut().get(cs.cluster());
        return leftOut != null ? leftOut : cs.reason();
    }

    private static String port(ServicePort p) {
        return (p.name() == null || p.name().isEmpty() ? "" : p.name() + " ") + p.port() + "/" + p.protocol();
    }

    /**
     * Answers {@code name}/{@code type} as a DNS client in {@code querierCluster} would be answered: the
     * query carries the querier's cluster in the EDNS0 option that CoreDNS's {@code rewrite edns0 local set}
     * adds, exactly as forwarded queries do.
     */
    Resolution resolve(String name, String type, String querierCluster) throws BadRequest {
        if (name == null || name.isBlank()) {
            throw new BadRequest("name is required, for example web.shop.svc." + zone);
        }
        name = name.trim();
        Name qname;
        try {
            qname = Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            // dnsjava's message starts with the name again: keep only why.
            String why = e.getMessage().replace("'" + name + "': ", "");
            throw new BadRequest("'" + shorten(name) + "' is not a DNS name: " + why);
        }
        String typeName = type == null || type.isBlank() ? "A" : type.trim().toUpperCase(Locale.ROOT);
        int qtype = Type.value(typeName);
        if (qtype < 0 || !Type.isRR(qtype) && qtype != Type.ANY) {
            throw new BadRequest("'" + shorten(typeName) + "' is not a query type this page asks; use one of "
                    + String.join(", ", RESOLVE_TYPES));
        }
        List<EDNSOption> options = new ArrayList<>();
        String cluster = querierCluster == null || querierCluster.isBlank() ? null : querierCluster.trim();
        if (cluster != null) {
            List<String> known = mesh.clusters().stream()
                    .map(ClusterSpec::id)
                    .map(Object::toString)
                    .toList();
            if (!known.contains(cluster)) {
                throw new BadRequest("'" + shorten(cluster) + "' is not a cluster of this mesh; clusters: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)));
            }
            options.add(new GenericEDNSOption(ednsClusterOption, cluster.getBytes(StandardCharsets.US_ASCII)));
        }
        Message query = Message.newQuery(Record.newRecord(qname, qtype, DClass.IN));
        query.addRecord(new OPTRecord(RESOLVE_UDP_SIZE, 0, 0, 0, options), Section.ADDITIONAL);
        MeshSnapshot snapshot = mesh.snapshot();
        byte[] wire = responder.respond(query.toWire(), InetAddress.getLoopbackAddress(), false);
        if (wire == null) {
            throw new IllegalStateException("the responder dropped the query");
        }
        Message response;
        try {
            response = new Message(wire);
        } catch (IOException e) {
            throw new IllegalStateException("the responder's answer does not parse: " + e.getMessage(), e);
        }
        Map<InetAddress, Endpoint> origin = endpointsByAddress(snapshot);
        List<RecordView> records = new ArrayList<>();
        String[] sectionNames = {"", "answer", "authority", "additional"};
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record r : response.getSection(section)) {
                if (r.getType() == Type.OPT) {
                    continue;
                }
                Endpoint e = null;
                if (r instanceof org.xbill.DNS.ARecord a) {
                    e = origin.get(a.getAddress());
                } else if (r instanceof org.xbill.DNS.AAAARecord a) {
                    e = origin.get(a.getAddress());
                }
                records.add(new RecordView(
                        sectionNames[section],
                        r.getName().toString(),
                        r.getTTL(),
                        Type.string(r.getType()),
                        r.rdataToString(),
                        e == null ? null : e.cluster().value(),
                        e == null ? null : e.ready()));
            }
        }
        return new Resolution(
                qname.toString(),
                Type.string(qtype),
                Rcode.string(response.getRcode()),
                response.getHeader().printFlags().trim(),
                response.getHeader().getFlag(org.xbill.DNS.Flags.TC),
                policyName(qname),
                cluster,
                cluster == null ? "none: the query carried no cluster" : "EDNS0 option " + ednsClusterOption,
                snapshot.version(),
                wire.length,
                records);
    }

    private static Map<InetAddress, Endpoint> endpointsByAddress(MeshSnapshot s) {
        Map<InetAddress, Endpoint> out = new HashMap<>();
        for (GlobalService g : s.services().values()) {
            for (Endpoint e : g.endpoints()) {
                out.putIfAbsent(e.address(), e);
            }
        }
        return out;
    }

    /** Echoed input stays short enough to read. */
    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
