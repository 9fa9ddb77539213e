package io.meshdns.server;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.QueryContext;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Turns one DNS query (wire bytes) into its answer (wire bytes), authoritatively for the mesh zone.
 * The query path: parse, look up in the current {@link ZoneIndex} (a volatile read), let the load
 * balancer choose endpoints, encode. No locks, no blocking, no logging per query.
 */
final class QueryResponder {
  /** RFC 1035: the most a DNS message over UDP may carry without EDNS. */
  static final int CLASSIC_UDP_SIZE = 512;
  /** The EDNS buffer size meshdns offers and honours at most (DNS Flag Day 2020). */
  static final int EDNS_UDP_SIZE = 1232;
  static final int TCP_MAX = 65535;

  private final Name origin;
  private final long ttl;
  private final EndpointSelector selector;
  private final Name nsName;
  private final Name hostmaster;
  private volatile ZoneIndex index;

  QueryResponder(String zone, long ttl, EndpointSelector selector) {
    try {
      this.origin = Name.fromString(zone, Name.root);
    } catch (IOException e) {
      throw new IllegalArgumentException("zone " + zone, e);
    }
    this.ttl = ttl;
    this.selector = selector;
    this.nsName = ZoneIndex.child("ns", origin);
    this.hostmaster = ZoneIndex.child("hostmaster", origin);
    this.index = ZoneIndex.build(origin, MeshSnapshot.empty());
  }

  /** Called on the discovery publisher thread with each new snapshot. */
  void update(MeshSnapshot snapshot) {
    index = ZoneIndex.build(origin, snapshot);
  }

  Name origin() {
    return origin;
  }

  /** The load-balancing policy answers are chosen by, for the status page. */
  String policyName() {
    return selector.policy().name();
  }

  /** The response cache's statistics, for /metrics. Placeholder until the response cache replaces it. */
  CacheStats cacheStats() {
    return CacheStats.empty();
  }

  /**
   * @param tcp whether the answer goes over TCP (no size limit); over UDP the client's EDNS size decides
   * @return the response, or {@code null} when the packet is to be dropped
   */
  byte[] respond(byte[] packet, InetAddress client, boolean tcp) {
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
    Message response = new Message(qh.getID());
    Header rh = response.getHeader();
    rh.setFlag(Flags.QR);
    rh.setOpcode(qh.getOpcode());
    if (qh.getFlag(Flags.RD)) {
      rh.setFlag(Flags.RD);
    }
    OPTRecord opt = query.getOPT();
    int udpLimit = opt == null ? CLASSIC_UDP_SIZE
        : Math.max(CLASSIC_UDP_SIZE, Math.min(opt.getPayloadSize(), EDNS_UDP_SIZE));
    if (opt != null) {
      response.addRecord(new OPTRecord(EDNS_UDP_SIZE, 0, 0), Section.ADDITIONAL);
    }
    if (qh.getOpcode() != Opcode.QUERY) {
      rh.setRcode(Rcode.NOTIMP);
      return response.toWire(tcp ? TCP_MAX : udpLimit);
    }
    if (qh.getCount(Section.QUESTION) != 1 || query.getQuestion() == null) {
      rh.setRcode(Rcode.FORMERR);
      return response.toWire(tcp ? TCP_MAX : udpLimit);
    }
    Record question = query.getQuestion();
    response.addRecord(question, Section.QUESTION);
    answer(question, client, response);
    return response.toWire(tcp ? TCP_MAX : udpLimit);
  }

  private void answer(Record question, InetAddress client, Message response) {
    Header rh = response.getHeader();
    Name qname = question.getName();
    int qtype = question.getType();
    if (question.getDClass() != DClass.IN || !qname.subdomain(origin)) {
      rh.setRcode(Rcode.REFUSED);
      return;
    }
    rh.setFlag(Flags.AA);
    ZoneIndex zone = index;
    if (qname.equals(origin)) {
      if (qtype == Type.SOA || qtype == Type.ANY) {
        response.addRecord(soa(zone, qname), Section.ANSWER);
      } else if (qtype == Type.NS) {
        response.addRecord(new NSRecord(qname, DClass.IN, ttl, nsName), Section.ANSWER);
      } else {
        nodata(zone, response);
      }
      return;
    }
    GlobalService service = zone.service(qname);
    if (service != null) {
      if (qtype == Type.A || qtype == Type.AAAA || qtype == Type.ANY) {
        boolean ipv6 = qtype == Type.AAAA;
        List<Endpoint> chosen = selector.select(service, ipv6, QueryContext.anonymous(client));
        for (Endpoint e : chosen) {
          response.addRecord(address(qname, e.address(), ipv6), Section.ANSWER);
        }
        if (chosen.isEmpty()) {
          nodata(zone, response);
        }
      } else {
        nodata(zone, response);
      }
      return;
    }
    if (zone.isEmptyNonTerminal(qname) || qname.equals(nsName)) {
      nodata(zone, response);
      return;
    }
    rh.setRcode(Rcode.NXDOMAIN);
    response.addRecord(soa(zone, origin), Section.AUTHORITY);
  }

  private Record address(Name owner, InetAddress address, boolean ipv6) {
    return ipv6 ? new AAAARecord(owner, DClass.IN, ttl, address) : new ARecord(owner, DClass.IN, ttl, address);
  }

  /** NOERROR with an empty answer: the name exists, not with this type (RFC 2308 NODATA). */
  private void nodata(ZoneIndex zone, Message response) {
    response.addRecord(soa(zone, origin), Section.AUTHORITY);
  }

  /** The serial follows the snapshot version, so secondaries see every change. Minimum = negative TTL. */
  private SOARecord soa(ZoneIndex zone, Name owner) {
    long serial = zone.snapshot.version() & 0xFFFFFFFFL;
    return new SOARecord(owner, DClass.IN, ttl, nsName, hostmaster, serial, 3600, 600, 86400, ttl);
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
    out[2] = (byte) (0x80 | (packet[2] & 0x78)); // QR + the query's opcode
    out[3] = (byte) rcode;
    return out;
  }
}
