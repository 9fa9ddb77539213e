package io.meshdns.server.transfer;

import io.meshdns.core.Cidr;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.server.answer.AnswerCompiler;
import io.meshdns.server.answer.Responses;
import io.meshdns.server.answer.Transfers;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.ZoneIndex;
import io.meshdns.server.zone.ZoneSerial;
import io.meshdns.server.zone.ZoneSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * Zone transfers to secondaries: AXFR (RFC 5936) and IXFR (RFC 1995) over TCP, IXFR over UDP (the SOA),
 * NOTIFYs sent to meshdns (acknowledged, never acted on: meshdns is the primary) and TSIG (RFC 8945) on
 * all of them and on signed queries. A secondary mirrors the cluster-neutral view: every eligible
 * endpoint, not one query's choice.
 *
 * <p>Who may transfer: a client in the allow list, and, when TSIG keys are configured, only with a valid
 * signature from one of them (an empty allow list then admits any signed client).
 */
public final class ZoneTransfer implements Transfers {
    /** Records per message: well under 64 KiB even for SRV records with long names. */
    private static final int RECORDS_PER_MESSAGE = 200;
    /** A diff of this many records or more is compared with the whole zone: the shorter one is sent. */
    private static final int FULL_CHECK = 1000;

    private final List<Cidr> allowed;
    private final TsigKeyring keys;
    private final EndpointSelector selector;
    private final AnswerCompiler compiler;
    private final long ttl;
    private final ZoneJournal journal;
    private final TransferMetrics metrics;
    /** Whether the mesh is ready: until then a secondary must not copy a zone still filling up. */
    private volatile java.util.function.BooleanSupplier ready = () -> true;

    public ZoneTransfer(
            ServerConfig.Axfr config,
            ZoneSettings settings,
            EndpointSelector selector,
            AnswerCompiler compiler,
            TransferMetrics metrics) {
        this.allowed = config.allow();
        this.keys = new TsigKeyring(config.tsig());
        this.selector = selector;
        this.compiler = compiler;
        this.ttl = settings.ttl();
        this.metrics = metrics;
        this.journal = config.enabled() && config.journal().depth() > 0
                ? new ZoneJournal(config.journal().depth(), config.journal().size(), this::recordsAt)
                : null;
        if (journal != null) {
            metrics.journal(settings.origin(), journal, j -> j.depth(settings.origin()));
            for (Name reverse : settings.reverseZones()) {
                metrics.journal(reverse, journal, j -> j.depth(reverse));
            }
        }
    }

    /** Follows each new index (publisher thread): the journal records its change from {@code previous}. */
    public void published(ZoneIndex previous, ZoneIndex index) {
        if (journal != null) {
            journal.published(previous, index, ready.getAsBoolean());
        }
    }

    /** The IXFR journal, or {@code null} without one. */
    ZoneJournal journal() {
        return journal;
    }

    /** The key NOTIFYs are signed with (the first configured), or {@code null}. */
    public TSIG notifyKey() {
        return keys.first();
    }

    /** Transfers wait for {@code ready} (SERVFAIL until then: the secondary retries). */
    public void openWhen(java.util.function.BooleanSupplier ready) {
        this.ready = ready;
    }

    /**
     * The messages answering a zone transfer request over TCP, in order; {@code null} when {@code packet}
     * is no AXFR or IXFR request (the normal path answers it).
     */
    public List<byte[]> transferTcp(byte[] packet, InetAddress client, ZoneIndex index) {
        Message query;
        try {
            query = new Message(packet);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        Record question = query.getQuestion();
        Header h = query.getHeader();
        if (h.getFlag(Flags.QR)
                || h.getOpcode() != Opcode.QUERY
                || question == null
                || (question.getType() != Type.AXFR && question.getType() != Type.IXFR)
                || !AnswerCompiler.ednsWellFormed(query)) { // the query path's FORMERR
            return null;
        }
        return transfer(query, packet, client, index);
    }

    private List<byte[]> transfer(Message query, byte[] packet, InetAddress client, ZoneIndex index) {
        Record question = query.getQuestion();
        String type = question.getType() == Type.AXFR ? "axfr" : "ixfr";
        Message response = AnswerCompiler.newResponse(query);
        response.addRecord(question, Section.QUESTION);
        TsigKeyring.Verdict verdict = keys.verify(query, packet);
        if (verdict.signed() && !verdict.valid()) {
            metrics.tsigError(verdict.error());
            metrics.transfer(type, "bad-tsig");
            return List.of(TsigKeyring.error(response, verdict));
        }
        if (!authorized(verdict, client)) {
            metrics.transfer(type, "refused");
            return List.of(finish(response, Rcode.REFUSED, verdict));
        }
        if (!ready.getAsBoolean()) {
            metrics.transfer(type, "not-ready");
            return List.of(finish(response, Rcode.SERVFAIL, verdict));
        }
        ZoneIndex.Zone zone = index.zoneOf(question.getName());
        if (zone == null
                || !zone.origin().equals(question.getName())
                || query.getHeader().getCount(Section.QUESTION) != 1) {
            metrics.transfer(type, "notauth");
            return List.of(finish(response, Rcode.NOTAUTH, verdict));
        }
        List<Record> records;
        String result;
        if (type.equals("ixfr")) {
            SOARecord theirs = clientSoa(query, zone);
            if (theirs == null) {
                metrics.transfer(type, "formerr");
                return List.of(finish(response, Rcode.FORMERR, verdict));
            }
            long ours = zone.soa().getSerial();
            if (!ZoneSerial.isNewer(ours, theirs.getSerial())) {
                records = List.of(zone.soa()); // up to date (or ahead of us): RFC 1995 4
                result = "up-to-date";
            } else {
                ZoneJournal.Diff diff = journal == null ? null : journal.since(zone.origin(), theirs.getSerial(), ours);
                // A large diff is compared with the whole zone, built once and sent if the diff is not smaller.
                List<Record> full = diff != null && diff.records() >= FULL_CHECK ? allRecords(zone, index) : null;
                if (diff != null && (full == null || diff.records() < full.size())) {
                    records = new ArrayList<>();
                    records.add(zone.soa());
                    records.add(withSerial(zone.soa(), diff.from()));
                    records.addAll(diff.deleted());
                    records.add(zone.soa());
                    records.addAll(diff.added());
                    records.add(zone.soa());
                    result = "incremental";
                } else {
                    // older than the journal, or more changes than records
                    records = full != null ? full : allRecords(zone, index);
                    result = "full";
                }
            }
        } else {
            records = allRecords(zone, index);
            result = "full";
        }
        List<Message> messages = new ArrayList<>();
        for (int from = 0; from < records.size(); from += RECORDS_PER_MESSAGE) {
            Message m = AnswerCompiler.newResponse(query);
            m.getHeader().setFlag(Flags.AA);
            if (from == 0) {
                m.addRecord(question, Section.QUESTION);
            }
            for (Record r : records.subList(from, Math.min(records.size(), from + RECORDS_PER_MESSAGE))) {
                m.addRecord(r, Section.ANSWER);
            }
            messages.add(m);
        }
        if (verdict.valid()) {
            TsigKeyring.sign(messages, verdict);
        }
        metrics.transfer(type, result);
        return messages.stream().map(Message::toWire).toList();
    }

    /** Whether {@code parsed} is for this class: a NOTIFY, an IXFR over UDP, or any signed request. */
    @Override
    public boolean takes(Message parsed) {
        return handles(parsed);
    }

    static boolean handles(Message parsed) {
        Record q = parsed.getQuestion();
        return parsed.getHeader().getOpcode() == Opcode.NOTIFY
                || parsed.getTSIG() != null
                || (q != null && q.getType() == Type.IXFR);
    }

    /**
     * The answer to a request {@link #handles} (over UDP, or a signed query over TCP), or {@code null} to drop it.
     *
     * @param answer the unsigned answer the normal path gives a query (null: drop)
     */
    public byte[] respond(
            Message query, byte[] packet, InetAddress client, ZoneIndex index, Function<Message, byte[]> answer) {
        Header h = query.getHeader();
        if (h.getFlag(Flags.QR)) {
            return null; // a response sent to us: answering could start a loop
        }
        Record question = query.getQuestion();
        Message response = AnswerCompiler.newResponse(query);
        if (question != null) {
            response.addRecord(question, Section.QUESTION);
        }
        TsigKeyring.Verdict verdict = keys.verify(query, packet);
        boolean ixfr = question != null && question.getType() == Type.IXFR && h.getOpcode() == Opcode.QUERY;
        if (verdict.signed() && !verdict.valid()) {
            metrics.tsigError(verdict.error());
            if (ixfr) {
                metrics.transfer("ixfr", "bad-tsig");
            }
            return TsigKeyring.error(response, verdict);
        }
        if (h.getOpcode() == Opcode.NOTIFY) {
            return notifyReceived(query, response, client, index, verdict);
        }
        if (ixfr) {
            return ixfrOverUdp(query, response, client, index, verdict);
        }
        // A signed query: the normal answer, signed.
        byte[] unsigned = answer.apply(query);
        if (unsigned == null || !verdict.valid()) {
            return unsigned;
        }
        try {
            Message signed = new Message(unsigned);
            TsigKeyring.sign(List.of(signed), verdict);
            return signed.toWire();
        } catch (IOException e) {
            return Responses.servfail(packet);
        }
    }

    /** RFC 1996: a NOTIFY to meshdns is acknowledged for a known source (it changes nothing: we are the primary). */
    private byte[] notifyReceived(
            Message query, Message response, InetAddress client, ZoneIndex index, TsigKeyring.Verdict verdict) {
        Record question = query.getQuestion();
        if (query.getHeader().getCount(Section.QUESTION) != 1 || question == null || question.getType() != Type.SOA) {
            return finish(response, Rcode.FORMERR, verdict);
        }
        if (!authorized(verdict, client)) {
            return finish(response, Rcode.REFUSED, verdict);
        }
        ZoneIndex.Zone zone = index.zoneOf(question.getName());
        if (zone == null || !zone.origin().equals(question.getName())) {
            return finish(response, Rcode.NOTAUTH, verdict);
        }
        response.getHeader().setFlag(Flags.AA);
        return finish(response, Rcode.NOERROR, verdict);
    }

    /** RFC 1995 2: over UDP, the current SOA (up to date, or the client retries over TCP), as Knot answers. */
    private byte[] ixfrOverUdp(
            Message query, Message response, InetAddress client, ZoneIndex index, TsigKeyring.Verdict verdict) {
        Record question = query.getQuestion();
        if (query.getHeader().getCount(Section.QUESTION) != 1) {
            metrics.transfer("ixfr", "formerr");
            return finish(response, Rcode.FORMERR, verdict);
        }
        if (!authorized(verdict, client)) {
            metrics.transfer("ixfr", "refused");
            return finish(response, Rcode.REFUSED, verdict);
        }
        ZoneIndex.Zone zone = index.zoneOf(question.getName());
        if (zone == null || !zone.origin().equals(question.getName())) {
            metrics.transfer("ixfr", "notauth");
            return finish(response, Rcode.NOTAUTH, verdict);
        }
        SOARecord theirs = clientSoa(query, zone);
        if (theirs == null) {
            metrics.transfer("ixfr", "formerr");
            return finish(response, Rcode.FORMERR, verdict);
        }
        metrics.transfer(
                "ixfr", ZoneSerial.isNewer(zone.soa().getSerial(), theirs.getSerial()) ? "tcp-needed" : "up-to-date");
        response.getHeader().setFlag(Flags.AA);
        response.addRecord(zone.soa(), Section.ANSWER);
        return finish(response, Rcode.NOERROR, verdict);
    }

    private boolean authorized(TsigKeyring.Verdict verdict, InetAddress client) {
        boolean listed = allowed.stream().anyMatch(c -> c.contains(client));
        if (keys.isEmpty()) {
            return listed;
        }
        return verdict.valid() && (allowed.isEmpty() || listed);
    }

    private static byte[] finish(Message response, int rcode, TsigKeyring.Verdict verdict) {
        response.getHeader().setRcode(rcode);
        if (verdict.valid()) {
            TsigKeyring.sign(List.of(response), verdict);
        }
        return response.toWire();
    }

    /** The client's SOA in the authority section of an IXFR request (RFC 1995 3), or {@code null}. */
    private static SOARecord clientSoa(Message query, ZoneIndex.Zone zone) {
        List<Record> authority = query.getSection(Section.AUTHORITY);
        if (authority.size() != 1
                || !(authority.get(0) instanceof SOARecord soa)
                || !soa.getName().equals(zone.origin())) {
            return null;
        }
        return soa;
    }

    private static SOARecord withSerial(SOARecord soa, long serial) {
        return new SOARecord(
                soa.getName(),
                soa.getDClass(),
                soa.getTTL(),
                soa.getHost(),
                soa.getAdmin(),
                serial,
                soa.getRefresh(),
                soa.getRetry(),
                soa.getExpire(),
                soa.getMinimum());
    }

    /** SOA, NS, every record of the zone, SOA: an AXFR (also a full IXFR answer). */
    List<Record> allRecords(ZoneIndex.Zone zone, ZoneIndex index) {
        List<Record> records = new ArrayList<>();
        records.add(zone.soa());
        records.addAll(zone.ns());
        for (Map.Entry<Name, ZoneIndex.Node> e : index.namesIn(zone)) {
            records.addAll(recordsAt(e.getKey(), e.getValue()));
        }
        records.add(zone.soa());
        return records;
    }

    /**
     * The records a secondary gets at {@code name} of {@code index} (none for an empty non-terminal or no
     * name), each once: an address two clusters share is one record, as an RRset is a set.
     */
    List<Record> recordsAt(ZoneIndex index, Name name) {
        ZoneIndex.Node node = index.node(name);
        return node == null ? List.of() : recordsAt(name, node);
    }

    private List<Record> recordsAt(Name name, ZoneIndex.Node node) {
        List<Record> records = new ArrayList<>();
        if (node instanceof ZoneIndex.EndpointSrvNode srv) {
            List<SRVRecord> all = AnswerCompiler.srvRecords(
                    srv,
                    name,
                    srv.service().endpoints().stream().filter(Endpoint::ready).toList(),
                    ttl);
            int weight = Math.max(1, 100 / Math.max(1, all.size()));
            for (SRVRecord r : all) {
                records.add(new SRVRecord(name, DClass.IN, ttl, 0, weight, r.getPort(), r.getTarget()));
            }
        } else if (node instanceof ZoneIndex.ServiceNode s) {
            allAddresses(s.service(), name, records);
            records.addAll(recordsAt(name, s.srv()));
        } else if (node instanceof ZoneIndex.ClusterNode c) {
            allAddresses(c.service(), name, records);
        } else if (node instanceof ZoneIndex.RecordsNode r) {
            records.addAll(r.records());
        }
        return records.size() <= 1 ? records : List.copyOf(new java.util.LinkedHashSet<>(records));
    }

    private void allAddresses(GlobalService service, Name name, List<Record> out) {
        for (boolean ipv6 : new boolean[] {false, true}) {
            for (Endpoint e : selector.candidates(service, ipv6)) {
                out.add(compiler.address(name, e.address()));
            }
        }
    }
}
