package io.meshdns.server;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.MeshWatcher;
import io.meshdns.discovery.ServicePort;
import java.io.IOException;
import java.net.InetAddress;
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
 * The views behind the status page and the {@code /api/...} endpoints: clusters, global services, and
 * "resolve", which answers a name through the real query path (a dnsjava query message, its wire bytes
 * handed to {@link QueryResponder#respond}) and explains the answer. Plain records, serialised by Jackson.
 */
final class StatusApi {
  /** The EDNS buffer size of a resolve query: what a modern resolver offers over UDP. */
  static final int RESOLVE_UDP_SIZE = 1232;
  static final List<String> RESOLVE_TYPES = List.of("A", "AAAA", "SRV", "TXT", "SOA", "NS", "PTR", "CNAME", "ANY");

  /** A request the API cannot answer, with a message meant for the person who sent it. */
  static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  record Status(String zone, String dns, String policy, long snapshotVersion, String snapshotPublishedAt,
      Readiness.Verdict readiness, List<ClusterView> clusters, List<ServiceView> services) {}

  record ClusterView(String id, String state, String since, String lastEventAt, Double lastEventAgeSeconds,
      int services, int endpoints, long watchRestarts, String reason) {}

  record ServiceView(String namespace, String name, String dnsName, int ready, int endpoints,
      List<ServiceClusterView> clusters) {}

  /**
   * @param answeredBy the reachability kind the cluster's addresses come from ({@code pod}, {@code clusterIP},
   *     {@code loadBalancer}), or {@code null} when it is left out of the answers
   * @param reason why it is left out, or why its pod IPs are not answered; {@code null} when neither
   */
  record ServiceClusterView(String cluster, String type, boolean headless, String externalName,
      List<String> ports, int ready, String answeredBy, String reason, List<EndpointView> endpoints) {}

  record EndpointView(String address, boolean ready, boolean serving, boolean terminating, String hostname,
      String nodeName, String zone) {}

  record Resolution(String name, String type, String rcode, String flags, boolean truncated,
      String policy, String querierCluster, String querierSource, long snapshotVersion, int responseBytes,
      List<RecordView> records) {}

  /** One record of the response; {@code cluster} says which cluster an address answer came from. */
  record RecordView(String section, String name, long ttl, String type, String data, String cluster,
      Boolean ready) {}

  private final String zone;
  private final QueryResponder responder;
  private final MeshWatcher mesh;
  private final Readiness readiness;
  private final int ednsClusterOption;
  private final InetAddress dns;
  private final int dnsPort;

  StatusApi(String zone, QueryResponder responder, MeshWatcher mesh, Readiness readiness, int ednsClusterOption,
      InetAddress dns, int dnsPort) {
    this.zone = zone;
    this.responder = responder;
    this.mesh = mesh;
    this.readiness = readiness;
    this.ednsClusterOption = ednsClusterOption;
    this.dns = dns;
    this.dnsPort = dnsPort;
  }

  Status status() {
    MeshSnapshot s = mesh.snapshot();
    return new Status(zone, dns.getHostAddress() + ":" + dnsPort, responder.policyName(), s.version(),
        s.publishedAt().toString(), readiness.check(), clusters(s), services(s));
  }

  List<ClusterView> clusters() {
    return clusters(mesh.snapshot());
  }

  List<ServiceView> services() {
    return services(mesh.snapshot());
  }

  private static List<ClusterView> clusters(MeshSnapshot s) {
    Instant now = Instant.now();
    List<ClusterView> out = new ArrayList<>();
    for (ClusterHealth h : s.clusters().values()) {
      Instant last = h.lastEventAt();
      out.add(new ClusterView(h.cluster().value(), h.state().name(), h.since().toString(),
          last == null ? null : last.toString(),
          last == null ? null : Duration.between(last, now).toMillis() / 1000.0,
          h.services(), h.endpoints(), h.watchRestarts(), h.reason()));
    }
    return out;
  }

  private List<ServiceView> services(MeshSnapshot s) {
    List<ServiceView> out = new ArrayList<>();
    s.services().values().stream().sorted((a, b) -> a.key().compareTo(b.key())).forEach(g -> {
      List<ServiceClusterView> parts = new ArrayList<>();
      for (ClusterService cs : g.byCluster().values()) {
        List<EndpointView> eps = cs.endpoints().stream().map(e -> new EndpointView(e.address().getHostAddress(),
            e.ready(), e.serving(), e.terminating(), e.hostname(), e.nodeName(), e.zone())).toList();
        List<String> ports = cs.ports().stream().map(StatusApi::port).toList();
        String leftOut = g.leftOut().get(cs.cluster());
        parts.add(new ServiceClusterView(cs.cluster().value(), cs.type(), cs.headless(), cs.externalName(), ports,
            (int) cs.endpoints().stream().filter(Endpoint::ready).count(),
            leftOut != null || cs.answeredBy() == null ? null : cs.answeredBy().configName(),
            leftOut != null ? leftOut : cs.reason(), eps));
      }
      out.add(new ServiceView(g.key().namespace(), g.key().name(),
          g.key().name() + "." + g.key().namespace() + ".svc." + zone,
          (int) g.endpoints().stream().filter(Endpoint::ready).count(), g.endpoints().size(), parts));
    });
    return out;
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
      List<String> known = mesh.clusters().stream().map(ClusterSpec::id).map(Object::toString).toList();
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
        records.add(new RecordView(sectionNames[section], r.getName().toString(), r.getTTL(),
            Type.string(r.getType()), r.rdataToString(), e == null ? null : e.cluster().value(),
            e == null ? null : e.ready()));
      }
    }
    return new Resolution(qname.toString(), Type.string(qtype), Rcode.string(response.getRcode()),
        response.getHeader().printFlags().trim(), response.getHeader().getFlag(org.xbill.DNS.Flags.TC),
        responder.policyName(qname), cluster,
        cluster == null ? "none: the query carried no cluster" : "EDNS0 option " + ednsClusterOption,
        snapshot.version(), wire.length, records);
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
