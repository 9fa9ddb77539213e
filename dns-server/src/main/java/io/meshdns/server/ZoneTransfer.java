package io.meshdns.server;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.loadbalancer.Cidr;
import io.meshdns.loadbalancer.EndpointSelector;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;

/**
 * AXFR (RFC 5936) over TCP to allow-listed clients: SOA, every record of the zone, SOA. A secondary
 * mirrors the cluster-neutral view: every eligible endpoint, not one query's choice.
 */
final class ZoneTransfer {
  /** Records per message: well under 64 KiB even for SRV records with long names. */
  private static final int RECORDS_PER_MESSAGE = 200;

  private final List<Cidr> allowed;
  private final EndpointSelector selector;
  private final AnswerCompiler compiler;
  private final long ttl;

  ZoneTransfer(List<Cidr> allowed, EndpointSelector selector, AnswerCompiler compiler, long ttl) {
    this.allowed = List.copyOf(allowed);
    this.selector = selector;
    this.compiler = compiler;
    this.ttl = ttl;
  }

  /** The messages of the transfer (or one refusal), in order. */
  List<byte[]> transfer(Message query, InetAddress client, ZoneIndex index) {
    Record question = query.getQuestion();
    Message refusal = AnswerCompiler.newResponse(query);
    refusal.addRecord(question, Section.QUESTION);
    if (allowed.stream().noneMatch(c -> c.contains(client))) {
      refusal.getHeader().setRcode(Rcode.REFUSED);
      return List.of(refusal.toWire(AnswerCompiler.TCP_MAX));
    }
    ZoneIndex.Zone zone = index.zoneOf(question.getName());
    if (zone == null || !zone.origin().equals(question.getName())) {
      refusal.getHeader().setRcode(Rcode.NOTAUTH);
      return List.of(refusal.toWire(AnswerCompiler.TCP_MAX));
    }
    List<Record> records = new ArrayList<>();
    records.add(zone.soa());
    records.add(zone.ns());
    for (Map.Entry<Name, ZoneIndex.Node> e : index.namesIn(zone)) {
      Name name = e.getKey();
      ZoneIndex.Node node = e.getValue();
      if (node instanceof ZoneIndex.EndpointSrvNode srv) {
        List<SRVRecord> all = AnswerCompiler.srvRecords(srv, name,
            srv.service().endpoints().stream().filter(Endpoint::ready).toList(), ttl);
        int weight = Math.max(1, 100 / Math.max(1, all.size()));
        for (SRVRecord r : all) {
          records.add(new SRVRecord(name, DClass.IN, ttl, 0, weight, r.getPort(), r.getTarget()));
        }
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
    for (int from = 0; from < records.size(); from += RECORDS_PER_MESSAGE) {
      Message m = AnswerCompiler.newResponse(query);
      m.getHeader().setFlag(Flags.AA);
      if (from == 0) {
        m.addRecord(question, Section.QUESTION);
      }
      for (Record r : records.subList(from, Math.min(records.size(), from + RECORDS_PER_MESSAGE))) {
        m.addRecord(r, Section.ANSWER);
      }
      messages.add(m.toWire(AnswerCompiler.TCP_MAX));
    }
    return messages;
  }

  private void allAddresses(GlobalService service, Name name, List<Record> out) {
    for (boolean ipv6 : new boolean[] {false, true}) {
      for (Endpoint e : selector.candidates(service, ipv6)) {
        out.add(compiler.address(name, e.address()));
      }
    }
  }
}
