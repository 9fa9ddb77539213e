package io.meshdns.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.loadbalancer.Cidr;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.QuerierResolver;
import io.meshdns.loadbalancer.QueryContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Turns one DNS query (wire bytes) into its answer (wire bytes), authoritatively for the mesh's zones.
 *
 * <p>The hot path: read the question from the bytes ({@link WireQuery}), find the encoded answer in the
 * cache, write it into a pooled buffer with the ID, RD bit and the question's exact case (0x20) patched in. A miss parses with dnsjava,
 * looks the name up in the current {@link ZoneIndex} (a volatile read), lets the load balancer choose
 * endpoints and encodes. No locks, no blocking, no logging per query.
 */
final class QueryResponder {
  /** RFC 1035: the most a DNS message over UDP may carry without EDNS. */
  static final int CLASSIC_UDP_SIZE = 512;
  /** The EDNS buffer size meshdns offers and honours at most (DNS Flag Day 2020). */
  static final int EDNS_UDP_SIZE = 1232;
  static final int TCP_MAX = 65535;
  /** Records per message of a zone transfer: well under 64 KiB even for SRV records with long names. */
  private static final int AXFR_RECORDS_PER_MESSAGE = 200;

  private final ZoneSettings settings;
  private final EndpointSelector selector;
  private final QuerierResolver querier;
  private final int clusterOptionCode;
  private final List<Cidr> axfrAllowed;
  private final ServerConfig.Chaos chaos;
  private final Cache<AnswerKey, CachedAnswer> cache;
  private volatile ZoneIndex index;
  private final FastThreadLocal<Scratch> scratch = new FastThreadLocal<>() {
    @Override
    protected Scratch initialValue() {
      return new Scratch();
    }
  };

  QueryResponder(ServerConfig config, EndpointSelector selector, QuerierResolver querier) {
    this.settings = ZoneSettings.of(config);
    this.selector = selector;
    this.querier = querier;
    this.clusterOptionCode = querier.ednsOptionCode();
    this.axfrAllowed = config.axfr().allow().stream().map(c -> ServerConfig.checkCidr("axfr.allow", c)).toList();
    this.chaos = config.dns().chaos();
    Duration cacheFor = ServerConfig.parseDuration("dns.cache", config.dns().cache());
    this.cache = cacheFor.isZero() ? null : Caffeine.newBuilder()
        .maximumSize(100_000)
        .expireAfterWrite(cacheFor)
        .recordStats()
        .build();
    this.index = ZoneIndex.build(settings, MeshSnapshot.empty());
  }

  /** Called on the discovery publisher thread with each new snapshot. */
  void update(MeshSnapshot snapshot) {
    // Only the services that changed since the last snapshot are rebuilt.
    index = ZoneIndex.build(settings, snapshot, index);
    // Entries of older versions are ignored on lookup; dropping them frees the memory sooner.
    if (cache != null) {
      cache.invalidateAll();
    }
  }

  Name origin() {
    return settings.origin();
  }

  ZoneIndex index() {
    return index;
  }

  CacheStats cacheStats() {
    return cache == null ? CacheStats.empty() : cache.stats();
  }

  /** The default load-balancing policy, for the status page. */
  String policyName() {
    return selector.config().policy();
  }

  /** The policy that applies to the service named {@code qname} (its annotation's or the default). */
  String policyName(Name qname) {
    ZoneIndex.Node node = index.node(qname);
    return node instanceof ZoneIndex.ServiceNode s ? selector.policyOf(s.service()) : policyName();
  }


  /** The same answer as bytes, off the hot path (the status page's resolve form, tests). */
  byte[] respond(byte[] packet, InetAddress client, boolean tcp) {
    ByteBuf answer = respond(io.netty.buffer.Unpooled.wrappedBuffer(packet), client, tcp,
        io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
    if (answer == null) {
      return null;
    }
    try {
      return io.netty.buffer.ByteBufUtil.getBytes(answer);
    } finally {
      answer.release();
    }
  }

  /**
   * Answers one query. The cache-hit path allocates nothing on the Java heap: the query is copied into this
   * thread's scratch space, read there, and the cached answer is written into a buffer of {@code alloc}
   * (pooled, so recycled) with the query's ID, RD bit and name bytes patched in.
   *
   * @param query the query; not released
   * @param tcp whether the answer goes over TCP (no size limit); over UDP the client's EDNS size decides
   * @return the response, owned by the caller, or {@code null} when the packet is to be dropped
   */
  ByteBuf respond(ByteBuf query, InetAddress client, boolean tcp, ByteBufAllocator alloc) {
    Scratch s = scratch.get();
    int length = Math.min(query.readableBytes(), s.packet.length);
    query.getBytes(query.readerIndex(), s.packet, 0, length);
    WireQuery wire = s.wire;
    boolean plain = wire.read(s.packet, length, clusterOptionCode);
    ZoneIndex zone = index;
    AnswerKey probe = null;
    if (plain && cache != null && wire.qtype != Type.AXFR && wire.qtype != Type.IXFR) {
      // As QuerierResolver.resolve, without building a QueryContext.
      ClusterId cluster = wire.clusterOptionAt < 0 ? null
          : querier.clusterOfOption(s.packet, wire.clusterOptionAt, wire.clusterOptionLength);
      if (cluster == null) {
        cluster = querier.clusterOfSource(client);
      }
      probe = s.probe.set(wire.question, wire.questionLength, sizeLimit(tcp, wire.ednsPayload),
          wire.ednsPayload >= 0, cluster, querier.zoneOfSource(client));
      CachedAnswer hit = cache.getIfPresent(probe);
      if (hit != null && hit.version == zone.snapshot.version()) {
        return hit.patched(alloc, s.packet, wire.nameLength);
      }
    }
    byte[] response = respondUncached(Arrays.copyOf(s.packet, length), client, tcp, zone);
    if (response == null) {
      return null;
    }
    // FORMERR is never cached: the fast reader accepted the packet, so the full parser objected to
    // something the cache key does not hold (a malformed EDNS option); caching it would hand one bad
    // packet's error to every client asking the same question.
    int rcode = response[3] & 0x0F;
    if (probe != null && rcode != Rcode.SERVFAIL && rcode != Rcode.FORMERR) {
      cache.put(probe.copy(), new CachedAnswer(zone.snapshot.version(), response));
    }
    return alloc.ioBuffer(response.length).writeBytes(response);
  }

  /**
   * Over TCP a query may need several messages (a zone transfer); every other query gets one.
   *
   * @return the messages to send in order, owned by the caller; empty when the query is to be dropped
   */
  List<ByteBuf> respondTcp(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
    Scratch s = scratch.get();
    int length = Math.min(query.readableBytes(), s.packet.length);
    query.getBytes(query.readerIndex(), s.packet, 0, length);
    if (s.wire.read(s.packet, length, clusterOptionCode) && s.wire.qtype == Type.AXFR) {
      try {
        List<ByteBuf> out = new ArrayList<>();
        for (byte[] message : transfer(new Message(Arrays.copyOf(s.packet, length)), client, index)) {
          out.add(Unpooled.wrappedBuffer(message));
        }
        return out;
      } catch (IOException e) {
        // fall through: the normal path answers FORMERR
      }
    }
    ByteBuf one = respond(query, client, true, alloc);
    return one == null ? List.of() : List.of(one);
  }

  private byte[] respondUncached(byte[] packet, InetAddress client, boolean tcp, ZoneIndex zone) {
    Message query;
    try {
      query = new Message(packet);
    } catch (IOException | RuntimeException e) {
      return formerr(packet);
    }
    Header qh = query.getHeader();
    if (qh.getFlag(Flags.QR)) {
      return null; // a response sent to us: answering could start a loop
    }
    if (optCount(query) > 1) {
      return formerr(packet); // RFC 6891 6.1.1: more than one OPT record is a format error
    }
    Message response = newResponse(query);
    Header rh = response.getHeader();
    OPTRecord opt = query.getOPT();
    int limit = sizeLimit(tcp, opt == null ? -1 : opt.getPayloadSize());
    if (opt != null) {
      if (opt.getVersion() > 0) {
        // RFC 6891 6.1.3: only version 0 exists; the upper 8 bits of BADVERS go in the OPT record.
        rh.setRcode(Rcode.BADVERS & 0xF);
        response.addRecord(new OPTRecord(EDNS_UDP_SIZE, Rcode.BADVERS >>> 4, 0), Section.ADDITIONAL);
        return response.toWire(limit);
      }
      response.addRecord(new OPTRecord(EDNS_UDP_SIZE, 0, 0), Section.ADDITIONAL);
    }
    if (qh.getOpcode() != Opcode.QUERY) {
      rh.setRcode(Rcode.NOTIMP);
      return response.toWire(limit);
    }
    if (qh.getCount(Section.QUESTION) != 1 || query.getQuestion() == null) {
      rh.setRcode(Rcode.FORMERR);
      return response.toWire(limit);
    }
    Record question = query.getQuestion();
    response.addRecord(question, Section.QUESTION);
    answer(question, context(opt, client), tcp, response, zone);
    return response.toWire(limit);
  }

  private static int optCount(Message query) {
    int n = 0;
    for (Record r : query.getSection(Section.ADDITIONAL)) {
      if (r.getType() == Type.OPT) {
        n++;
      }
    }
    return n;
  }

  private static Message newResponse(Message query) {
    Header qh = query.getHeader();
    Message response = new Message(qh.getID());
    Header rh = response.getHeader();
    rh.setFlag(Flags.QR);
    rh.setOpcode(qh.getOpcode());
    if (qh.getFlag(Flags.RD)) {
      rh.setFlag(Flags.RD);
    }
    return response;
  }

  private void answer(Record question, QueryContext context, boolean tcp, Message response, ZoneIndex index) {
    Header rh = response.getHeader();
    Name qname = question.getName();
    int qtype = question.getType();
    if (question.getDClass() == DClass.CH) {
      chaos(qname, qtype, response);
      return;
    }
    ZoneIndex.Zone zone = question.getDClass() == DClass.IN || question.getDClass() == DClass.ANY
        ? index.zoneOf(qname) : null;
    if (zone == null) {
      rh.setRcode(Rcode.REFUSED); // not authoritative, and no recursion
      return;
    }
    if (qtype == Type.AXFR || qtype == Type.IXFR) {
      // Zone transfers go over TCP only (RFC 5936 4.2), through respondTcp.
      rh.setRcode(qtype == Type.IXFR ? Rcode.NOTIMP : Rcode.REFUSED);
      return;
    }
    rh.setFlag(Flags.AA);
    if (qname.equals(zone.origin())) {
      switch (qtype) {
        case Type.SOA, Type.ANY -> response.addRecord(zone.soa().withName(qname), Section.ANSWER);
        case Type.NS -> {
          response.addRecord(zone.ns().withName(qname), Section.ANSWER);
          glue(index, response);
        }
        default -> nodata(zone, response);
      }
      return;
    }
    ZoneIndex.Node node = index.node(qname);
    if (node == null) {
      rh.setRcode(Rcode.NXDOMAIN);
      response.addRecord(zone.soa(), Section.AUTHORITY);
      return;
    }
    boolean added;
    if (node instanceof ZoneIndex.ServiceNode s) {
      added = service(s, qname, qtype, context, response);
    } else if (node instanceof ZoneIndex.ClusterNode c) {
      added = addresses(c.service(), qname, qtype, context, response);
    } else if (node instanceof ZoneIndex.RecordsNode r) {
      added = records(r, qname, qtype, response);
    } else {
      added = false; // an empty non-terminal
    }
    if (!added) {
      nodata(zone, response);
    }
  }

  private boolean service(ZoneIndex.ServiceNode s, Name qname, int qtype, QueryContext context, Message response) {
    if (s.cname() != null) {
      // ExternalName: the alias only; resolvers chase it (meshdns does not recurse).
      response.addRecord(new CNAMERecord(qname, DClass.IN, settings.ttl(), s.cname()), Section.ANSWER);
      return true;
    }
    return addresses(s.service(), qname, qtype, context, response);
  }

  private boolean addresses(GlobalService service, Name qname, int qtype, QueryContext context,
      Message response) {
    // ANY gets the A set only (RFC 8482: a minimal answer is enough).
    if (qtype != Type.A && qtype != Type.AAAA && qtype != Type.ANY) {
      return false;
    }
    boolean ipv6 = qtype == Type.AAAA;
    List<Endpoint> chosen = selector.select(service, ipv6, context);
    for (Endpoint e : chosen) {
      response.addRecord(address(qname, e.address()), Section.ANSWER);
    }
    return !chosen.isEmpty();
  }

  private boolean records(ZoneIndex.RecordsNode node, Name qname, int qtype, Message response) {
    boolean added = false;
    for (Record r : node.records()) {
      if (qtype == r.getType() || qtype == Type.ANY) {
        response.addRecord(r.withName(qname), Section.ANSWER);
        added = true;
      }
    }
    if (added) {
      for (Record r : node.additional()) {
        response.addRecord(r, Section.ADDITIONAL);
      }
    }
    return added;
  }

  private void glue(ZoneIndex index, Message response) {
    if (index.node(settings.nsName()) instanceof ZoneIndex.RecordsNode glue) {
      for (Record r : glue.records()) {
        response.addRecord(r, Section.ADDITIONAL);
      }
    }
  }

  /** CH-class TXT {@code version.bind}/{@code id.server}: answered only when configured. */
  private void chaos(Name qname, int qtype, Message response) {
    String name = qname.toString(true).toLowerCase(java.util.Locale.ROOT);
    String value = switch (name) {
      case "version.bind", "version.server" -> chaos.version();
      case "id.server", "hostname.bind" -> chaos.id();
      default -> null;
    };
    if (value == null) {
      response.getHeader().setRcode(Rcode.REFUSED);
      return;
    }
    response.getHeader().setFlag(Flags.AA);
    if (qtype == Type.TXT || qtype == Type.ANY) {
      response.addRecord(new TXTRecord(qname, DClass.CH, 0, value), Section.ANSWER);
    }
  }

  private Record address(Name owner, InetAddress address) {
    return address instanceof Inet4Address
        ? new ARecord(owner, DClass.IN, settings.ttl(), address)
        : new AAAARecord(owner, DClass.IN, settings.ttl(), address);
  }

  /** NOERROR with an empty answer: the name exists, not with this type (RFC 2308 NODATA). */
  private static void nodata(ZoneIndex.Zone zone, Message response) {
    response.addRecord(zone.soa(), Section.AUTHORITY);
  }

  /** AXFR (RFC 5936): SOA, every record of the zone, SOA; only to allow-listed clients. */
  private List<byte[]> transfer(Message query, InetAddress client, ZoneIndex index) {
    Record question = query.getQuestion();
    Message refusal = newResponse(query);
    refusal.addRecord(question, Section.QUESTION);
    if (!axfrAllowed.stream().anyMatch(c -> c.contains(client))) {
      refusal.getHeader().setRcode(Rcode.REFUSED);
      return List.of(refusal.toWire(TCP_MAX));
    }
    ZoneIndex.Zone zone = index.zoneOf(question.getName());
    if (zone == null || !zone.origin().equals(question.getName())) {
      refusal.getHeader().setRcode(Rcode.NOTAUTH);
      return List.of(refusal.toWire(TCP_MAX));
    }
    List<Record> records = new ArrayList<>();
    records.add(zone.soa());
    records.add(zone.ns());
    for (Map.Entry<Name, ZoneIndex.Node> e : index.namesIn(zone)) {
      Name name = e.getKey();
      ZoneIndex.Node node = e.getValue();
      if (node instanceof ZoneIndex.ServiceNode s && s.cname() != null) {
        records.add(new CNAMERecord(name, DClass.IN, settings.ttl(), s.cname()));
      } else if (node instanceof ZoneIndex.ServiceNode s) {
        allAddresses(s.service(), name, records);
      } else if (node instanceof ZoneIndex.ClusterNode c) {
        allAddresses(c.service(), name, records);
      } else if (node instanceof ZoneIndex.RecordsNode r) {
        records.addAll(r.records());
      }
    }
    records.add(zone.soa());
    List<byte[]> messages = new ArrayList<>();
    for (int from = 0; from < records.size(); from += AXFR_RECORDS_PER_MESSAGE) {
      Message m = newResponse(query);
      m.getHeader().setFlag(Flags.AA);
      if (from == 0) {
        m.addRecord(question, Section.QUESTION);
      }
      for (Record r : records.subList(from, Math.min(records.size(), from + AXFR_RECORDS_PER_MESSAGE))) {
        m.addRecord(r, Section.ANSWER);
      }
      messages.add(m.toWire(TCP_MAX));
    }
    return messages;
  }

  /** A secondary mirrors the whole answer set: every eligible endpoint, not one query's choice. */
  private void allAddresses(GlobalService service, Name name, List<Record> out) {
    for (boolean ipv6 : new boolean[] {false, true}) {
      for (Endpoint e : selector.candidates(service, ipv6)) {
        out.add(address(name, e.address()));
      }
    }
  }

  private int sizeLimit(boolean tcp, int ednsPayload) {
    if (tcp) {
      return TCP_MAX;
    }
    return ednsPayload < 0 ? CLASSIC_UDP_SIZE : Math.max(CLASSIC_UDP_SIZE, Math.min(ednsPayload, EDNS_UDP_SIZE));
  }

  /** The querier's cluster from the EDNS0 cluster option, else from its source address; and its zone. */
  private QueryContext context(OPTRecord opt, InetAddress client) {
    if (opt != null) {
      for (EDNSOption option : opt.getOptions(clusterOptionCode)) {
        byte[] wire = option.toWire(); // code (2 bytes), length (2), data: dnsjava keeps the data private
        return querier.resolve(client, wire, 4, wire.length - 4);
      }
    }
    return querier.resolve(client);
  }

  /** FORMERR echoing the ID and opcode when the 12-byte header can be read; otherwise drop. */
  static byte[] formerr(byte[] packet) {
    return headerOnly(packet, Rcode.FORMERR);
  }

  static byte[] servfail(byte[] packet) {
    return headerOnly(packet, Rcode.SERVFAIL);
  }

  private static byte[] headerOnly(byte[] packet, int rcode) {
    if (packet.length < Header.LENGTH) {
      return null;
    }
    if ((packet[2] & 0x80) != 0) {
      return null; // QR set: never answer a response
    }
    byte[] out = new byte[Header.LENGTH];
    out[0] = packet[0];
    out[1] = packet[1];
    out[2] = (byte) (0x80 | (packet[2] & 0x79)); // QR, the query's opcode and RD
    out[3] = (byte) rcode;
    return out;
  }

  /**
   * What an answer depends on besides the snapshot: the question, the size limit, who asks. Keys in the
   * cache are immutable copies; each thread looks up with its own reused, mutable probe ({@link #set}).
   */
  static final class AnswerKey {
    private byte[] question;
    private int questionLength;
    private int sizeLimit;
    private boolean edns;
    private ClusterId cluster;
    private String zone;
    private int hash;

    AnswerKey set(byte[] question, int questionLength, int sizeLimit, boolean edns, ClusterId cluster, String zone) {
      this.question = question;
      this.questionLength = questionLength;
      this.sizeLimit = sizeLimit;
      this.edns = edns;
      this.cluster = cluster;
      this.zone = zone;
      int h = 1;
      for (int i = 0; i < questionLength; i++) {
        h = 31 * h + question[i];
      }
      this.hash = (h * 31 + sizeLimit) * 31 + Objects.hashCode(cluster);
      return this;
    }

    /** An immutable key with this probe's values, for storing in the cache. */
    AnswerKey copy() {
      return new AnswerKey().set(Arrays.copyOf(question, questionLength), questionLength, sizeLimit, edns, cluster, zone);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof AnswerKey k && k.hash == hash && k.sizeLimit == sizeLimit && k.edns == edns
          && Arrays.equals(k.question, 0, k.questionLength, question, 0, questionLength)
          && Objects.equals(k.cluster, cluster) && Objects.equals(k.zone, zone);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** One thread's reused space for the cache-hit path. */
  private static final class Scratch {
    /** The longest query: a TCP message. */
    final byte[] packet = new byte[TCP_MAX];
    final WireQuery wire = new WireQuery();
    final AnswerKey probe = new AnswerKey();
  }

  /** An encoded answer; reused for later queries of the same key with their own ID, RD bit and case. */
  static final class CachedAnswer {
    final long version;
    private final byte[] wire;

    CachedAnswer(long version, byte[] wire) {
      this.version = version;
      this.wire = wire;
    }

    ByteBuf patched(ByteBufAllocator alloc, byte[] query, int nameLength) {
      ByteBuf out = alloc.ioBuffer(wire.length).writeBytes(wire);
      out.setByte(0, query[0]);
      out.setByte(1, query[1]);
      out.setByte(2, (wire[2] & ~0x01) | (query[2] & 0x01));
      // The question is the first name in the answer and every owner name points back to it, so copying
      // the query's name bytes gives the whole answer the client's exact case (0x20 randomisation).
      out.setBytes(WireQuery.HEADER, query, WireQuery.HEADER, nameLength);
      return out;
    }
  }
}
