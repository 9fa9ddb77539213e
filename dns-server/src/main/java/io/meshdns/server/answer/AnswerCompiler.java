package io.meshdns.server.answer;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.ServicePort;
import io.meshdns.loadbalancer.EndpointOrder;
import io.meshdns.loadbalancer.EndpointSelector;
import io.meshdns.loadbalancer.QueryContext;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.Lifetime;
import io.meshdns.server.zone.ZoneIndex;
import io.meshdns.server.zone.ZoneSettings;
import io.micrometer.core.instrument.Counter;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Compiles the answer to one parsed query from a {@link ZoneIndex} (the mesh snapshot's names) and the
 * load balancer's per-service orders: what the answer contains for every later query of the same
 * question, querier and size class, and how long it stays right. Runs on the query path only when the
 * store has no current answer; it allocates, the written answers do not.
 */
public final class AnswerCompiler {
    /** RFC 1035: the most a DNS message over UDP may carry without EDNS. */
    static final int CLASSIC_UDP_SIZE = 512;
    /** The EDNS buffer size meshdns offers and honours at most (DNS Flag Day 2020). */
    static final int EDNS_UDP_SIZE = 1232;

    static final int TCP_MAX = 65535;

    private final ZoneSettings settings;
    private final EndpointSelector selector;
    private final ServerConfig.Chaos chaos;
    /** In-zone queries answered SERVFAIL before the mesh was ready. */
    private final Counter notReady;

    private final Counter tcpTruncated;

    /**
     * @param notReady counts in-zone queries answered SERVFAIL before the mesh was ready
     * @param tcpTruncated counts answers over TCP cut at 65,535 bytes (see {@link CompiledAnswer#balanced})
     */
    AnswerCompiler(
            ZoneSettings settings,
            EndpointSelector selector,
            ServerConfig.Chaos chaos,
            Counter notReady,
            Counter tcpTruncated) {
        this.settings = settings;
        this.selector = selector;
        this.chaos = chaos;
        this.notReady = notReady;
        this.tcpTruncated = tcpTruncated;
    }

    /** The most bytes an answer may have: 64 KiB over TCP, else the client's EDNS size (512 without EDNS). */
    static int sizeLimit(boolean tcp, int ednsPayload) {
        if (tcp) {
            return TCP_MAX;
        }
        return ednsPayload < 0 ? CLASSIC_UDP_SIZE : Math.max(CLASSIC_UDP_SIZE, Math.min(ednsPayload, EDNS_UDP_SIZE));
    }

    /**
     * The answer to {@code query}, or {@code null} when the packet is to be dropped (a response sent to us).
     *
     * @param context who asks (the querier's cluster and zone decide load-balanced answers)
     * @param reserve bytes to leave free below the size limit, for options written per query (a cookie)
     * @param ready whether the mesh has been ready once; until then an in-zone query gets SERVFAIL
     */
    CompiledAnswer compile(
            Message query, QueryContext context, boolean tcp, int reserve, ZoneIndex index, boolean ready) {
        Header qh = query.getHeader();
        if (qh.getFlag(Flags.QR)) {
            return null; // a response sent to us: answering could start a loop
        }
        if (!ednsWellFormed(query)) {
            // RFC 6891 6.1.1: a format error. Never stored: the store's key does not hold what made this
            // packet wrong, so storing it would hand one bad packet's error to everyone.
            return CompiledAnswer.once(Responses.formerr(query.toWire()));
        }
        Message response = newResponse(query);
        Header rh = response.getHeader();
        OPTRecord opt = query.getOPT();
        int limit = sizeLimit(tcp, opt == null ? -1 : opt.getPayloadSize()) - reserve;
        if (opt != null) {
            if (opt.getVersion() > 0) {
                // RFC 6891 6.1.3: only version 0 exists; the upper 8 bits of BADVERS go in the OPT record.
                rh.setRcode(Rcode.BADVERS & 0xF);
                response.addRecord(new OPTRecord(EDNS_UDP_SIZE, Rcode.BADVERS >>> 4, 0), Section.ADDITIONAL);
                return CompiledAnswer.fixed(response.toWire(limit), index, null);
            }
            response.addRecord(new OPTRecord(EDNS_UDP_SIZE, 0, 0), Section.ADDITIONAL);
        }
        if (qh.getOpcode() != Opcode.QUERY) {
            rh.setRcode(Rcode.NOTIMP);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        if (qh.getCount(Section.QUESTION) != 1 || query.getQuestion() == null) {
            rh.setRcode(Rcode.FORMERR);
            return CompiledAnswer.once(response.toWire(limit));
        }
        Record question = query.getQuestion();
        response.addRecord(question, Section.QUESTION);
        return answer(question, context, response, limit, index, ready);
    }

    /**
     * RFC 6891 6.1.1: at most one OPT record (more is FORMERR), in the additional section, owned by the
     * root name. Knot answers an OPT record elsewhere or with another owner FORMERR too.
     */
    public static boolean ednsWellFormed(Message query) {
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record r : query.getSection(section)) {
                if (r.getType() == Type.OPT) {
                    return false;
                }
            }
        }
        int opts = 0;
        for (Record r : query.getSection(Section.ADDITIONAL)) {
            if (r.getType() == Type.OPT && (++opts > 1 || !r.getName().equals(Name.root))) {
                return false;
            }
        }
        return true;
    }

    public static Message newResponse(Message query) {
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

    private CompiledAnswer answer(
            Record question, QueryContext context, Message response, int limit, ZoneIndex index, boolean ready) {
        Header rh = response.getHeader();
        Name qname = question.getName();
        int qtype = question.getType();
        if (question.getDClass() == DClass.CH) {
            chaos(qname, qtype, response);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        ZoneIndex.Zone zone =
                question.getDClass() == DClass.IN || question.getDClass() == DClass.ANY ? index.zoneOf(qname) : null;
        if (zone == null) {
            rh.setRcode(Rcode.REFUSED); // not authoritative, and no recursion
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR) {
            // Zone transfers go over TCP only (RFC 5936 4.2), through ZoneTransfer.
            rh.setRcode(qtype == Type.IXFR ? Rcode.NOTIMP : Rcode.REFUSED);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        if (!ready) {
            // A partly loaded mesh must not deny a name or give part of its addresses: SERVFAIL is not cached as
            // a denial (RFC 2308 7.1) and resolvers retry. Never stored, so the first answer after readiness is
            // compiled from the zone.
            notReady.increment();
            rh.setRcode(Rcode.SERVFAIL);
            return CompiledAnswer.once(response.toWire(limit));
        }
        rh.setFlag(Flags.AA);
        if (qname.equals(zone.origin())) {
            switch (qtype) {
                case Type.SOA, Type.ANY -> response.addRecord(zone.soa().withName(qname), Section.ANSWER);
                case Type.NS -> {
                    for (Record ns : zone.ns()) {
                        response.addRecord(ns.withName(qname), Section.ANSWER);
                    }
                    glue(index, response);
                }
                default -> nodata(zone, response);
            }
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        ZoneIndex.Node node = index.node(qname);
        if (node == null) {
            rh.setRcode(Rcode.NXDOMAIN);
            response.addRecord(zone.soa(), Section.AUTHORITY);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        Lifetime lifetime = index.serviceLifetime(qname);
        boolean addressQuery = qtype == Type.A || qtype == Type.AAAA || qtype == Type.ANY;
        if (node instanceof ZoneIndex.ServiceNode s && addressQuery) {
            // MCS: a querier whose cluster imports the service with ClusterSetIPs gets those (its dataplane
            // spreads them over every cluster's backends), whether or not any pod is ready.
            List<InetAddress> clusterSetIps =
                    s.headless() ? List.of() : s.service().clusterSetIps(context.querierCluster());
            if (!clusterSetIps.isEmpty()) {
                for (InetAddress ip : clusterSetIps) {
                    if ((ip instanceof Inet4Address) == (qtype != Type.AAAA)) {
                        response.addRecord(address(qname, ip), Section.ANSWER);
                    }
                }
                return fixedOrNodata(zone, response, limit, index, lifetime);
            }
            return addresses(s.service(), qname, qtype, response, limit, zone, index, lifetime);
        }
        if (node instanceof ZoneIndex.ClusterNode c && addressQuery) {
            return addresses(c.service(), qname, qtype, response, limit, zone, index, lifetime);
        }
        if (node instanceof ZoneIndex.ServiceNode s && qtype == Type.SRV) {
            node = s.srv(); // SRV at the service's own name: every port (CoreDNS, the mcs-api conformance suite)
        }
        if (node instanceof ZoneIndex.EndpointSrvNode srv && (qtype == Type.SRV || qtype == Type.ANY)) {
            return endpointSrv(srv, qname, response, limit, zone, index, lifetime);
        }
        if (node instanceof ZoneIndex.RecordsNode r) {
            records(r, qname, qtype, response);
        }
        return fixedOrNodata(zone, response, limit, index, lifetime);
    }

    /**
     * The answer as built; NODATA (with the SOA, so tied to this index's serial) when it has no record.
     */
    private static CompiledAnswer fixedOrNodata(
            ZoneIndex.Zone zone, Message response, int limit, ZoneIndex index, Lifetime lifetime) {
        if (response.getSection(Section.ANSWER).isEmpty()) {
            nodata(zone, response);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        return CompiledAnswer.fixed(response.toWire(limit), index, lifetime);
    }

    /**
     * A/AAAA of a service: every candidate's record encoded once, as a block the writer picks per query.
     * ANY gets the A set only (RFC 8482: a minimal answer is enough).
     */
    private CompiledAnswer addresses(
            GlobalService service,
            Name qname,
            int qtype,
            Message response,
            int limit,
            ZoneIndex.Zone zone,
            ZoneIndex index,
            Lifetime lifetime) {
        boolean ipv6 = qtype == Type.AAAA;
        EndpointOrder order = selector.addresses(service, ipv6);
        List<Endpoint> candidates = order.candidates();
        if (candidates.isEmpty()) {
            nodata(zone, response);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        byte[] head = response.toWire(TCP_MAX); // header, question, then the OPT record if any
        int blocksAt = Header.LENGTH + qname.length() + 4;
        ByteArrayOutputStream blocks = new ByteArrayOutputStream();
        for (Endpoint e : candidates) {
            addressBlock(blocks, QUESTION, e.address().getAddress());
        }
        return CompiledAnswer.balanced(
                spliced(head, blocksAt, blocks.toByteArray()),
                blocksAt,
                ipv6 ? 28 : 16,
                order,
                limit,
                lifetime,
                tcpTruncated);
    }

    /** {@code head} (a message without answers) with {@code blocks} inserted after its question at {@code at}. */
    private static byte[] spliced(byte[] head, int at, byte[] blocks) {
        byte[] wire = new byte[head.length + blocks.length];
        System.arraycopy(head, 0, wire, 0, at);
        System.arraycopy(blocks, 0, wire, at, blocks.length);
        System.arraycopy(head, at, wire, at + blocks.length, head.length - at);
        return wire;
    }

    /** A compression pointer to the question's name, the owner of every record of an answer. */
    private static final int QUESTION = 0xC000 | Header.LENGTH;

    /** An address record whose owner is the compression pointer {@code owner}. */
    private void addressBlock(ByteArrayOutputStream out, int owner, byte[] address) {
        recordHeader(out, owner, address.length == 4 ? Type.A : Type.AAAA, address.length);
        out.writeBytes(address);
    }

    /** Owner (a compression pointer), type, class IN, the zone's TTL and the data's length. */
    private void recordHeader(ByteArrayOutputStream out, int owner, int type, int rdlength) {
        long ttl = settings.ttl();
        out.write(owner >>> 8);
        out.write(owner & 0xFF);
        out.write(type >>> 8);
        out.write(type & 0xFF);
        out.write(0);
        out.write(DClass.IN);
        out.write((int) (ttl >>> 24));
        out.write((int) (ttl >>> 16));
        out.write((int) (ttl >>> 8));
        out.write((int) ttl);
        out.write(rdlength >>> 8);
        out.write(rdlength & 0xFF);
    }

    /**
     * SRV of a headless service: the endpoints chosen as for A (policy, rotation; every one unless the
     * service's annotation caps it), each with the ports its own EndpointSlice gives for the node's Service
     * ports (one record per distinct port); an endpoint without any of them gets no record (a port is never
     * guessed). Every candidate's SRV records and its address record are encoded once; the writer picks this
     * query's, one set of SRV records per target, and adds the addresses in the additional section while
     * they fit (dropped before any SRV record).
     */
    private CompiledAnswer endpointSrv(
            ZoneIndex.EndpointSrvNode node,
            Name qname,
            Message response,
            int limit,
            ZoneIndex.Zone zone,
            ZoneIndex index,
            Lifetime lifetime) {
        EndpointOrder order = selector.srvTargets(node.service());
        List<Endpoint> candidates = order.candidates();
        int n = candidates.size();
        int[][] ports = new int[n][];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            ports[i] = ports(candidates.get(i), node.ports());
            any |= ports[i].length > 0;
        }
        if (!any) {
            nodata(zone, response);
            return CompiledAnswer.fixed(response.toWire(limit), index, null);
        }
        byte[] head = response.toWire(TCP_MAX); // header, question, then the OPT record if any
        int blocksAt = Header.LENGTH + qname.length() + 4;
        // The service's name ends the question's name (after _port._proto, or the whole of it).
        int serviceAt = Header.LENGTH;
        for (int l = 0; l < qname.labels() - node.serviceName().labels(); l++) {
            serviceAt += qname.getLabel(l).length;
        }
        ByteArrayOutputStream srv = new ByteArrayOutputStream();
        ByteArrayOutputStream additional = new ByteArrayOutputStream();
        int[] srvAt = new int[n + 1];
        int[] additionalAt = new int[n + 1];
        int[] group = new int[n];
        Map<String, Integer> groups = new HashMap<>();
        for (int i = 0; i < n; i++) {
            srvAt[i] = srv.size();
            additionalAt[i] = additional.size();
            if (ports[i].length == 0) {
                group[i] = -1;
                continue;
            }
            Endpoint e = candidates.get(i);
            String host = e.hostname().toLowerCase(Locale.ROOT);
            String cluster = e.cluster().value();
            // A dual-stack pod with a hostname is one target with two addresses: one set of SRV records for both.
            Integer first = groups.putIfAbsent(java.util.Arrays.toString(ports[i]) + " " + host + "." + cluster, i);
            group[i] = first == null ? i : first;
            for (int port : ports[i]) {
                srvBlock(srv, port, host, cluster, serviceAt);
            }
            addressBlock(additional, 0xC000, e.address().getAddress()); // owner: its SRV target, set when written
        }
        srvAt[n] = srv.size();
        additionalAt[n] = additional.size();
        int[] records = new int[n];
        for (int i = 0; i < n; i++) {
            records[i] = ports[i].length;
        }
        srv.writeBytes(additional.toByteArray());
        return CompiledAnswer.srv(
                spliced(head, blocksAt, srv.toByteArray()),
                blocksAt,
                srvAt,
                records,
                additionalAt,
                group,
                order,
                limit,
                lifetime,
                tcpTruncated);
    }

    /** The distinct ports {@code e} serves for {@code servicePorts}, in their order; empty when none. */
    private static int[] ports(Endpoint e, List<ServicePort> servicePorts) {
        int[] out = new int[servicePorts.size()];
        int count = 0;
        next:
        for (ServicePort p : servicePorts) {
            int port = e.port(p.name(), p.protocol());
            if (port < 0) {
                continue;
            }
            for (int k = 0; k < count; k++) {
                if (out[k] == port) {
                    continue next;
                }
            }
            out[count++] = port;
        }
        return java.util.Arrays.copyOf(out, count);
    }

    /** An SRV record whose owner is the question and whose target is {@code host.cluster.<service>}. */
    private void srvBlock(ByteArrayOutputStream out, int port, String host, String cluster, int serviceAt) {
        byte[] h = host.getBytes(StandardCharsets.US_ASCII);
        byte[] c = cluster.getBytes(StandardCharsets.US_ASCII);
        recordHeader(out, QUESTION, Type.SRV, 6 + 1 + h.length + 1 + c.length + 2);
        out.write(0); // priority 0
        out.write(0);
        out.write(0); // weight: set per answer to 100 / records
        out.write(0);
        out.write(port >>> 8);
        out.write(port & 0xFF);
        out.write(h.length);
        out.writeBytes(h);
        out.write(c.length);
        out.writeBytes(c);
        out.write(0xC0 | (serviceAt >>> 8));
        out.write(serviceAt & 0xFF);
    }

    /** One SRV record per distinct (target, port) among {@code endpoints}, in their order. */
    public static List<SRVRecord> srvRecords(
            ZoneIndex.EndpointSrvNode node, Name owner, List<Endpoint> endpoints, long ttl) {
        List<SRVRecord> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Endpoint e : endpoints) {
            Name target = ZoneIndex.endpointName(e, node.serviceName());
            for (int port : ports(e, node.ports())) {
                // A dual-stack pod with a hostname is one target with two addresses: one record per port.
                if (seen.add(port + " " + target)) {
                    out.add(new SRVRecord(owner, DClass.IN, ttl, 0, 100, port, target));
                }
            }
        }
        return out;
    }

    private static void records(ZoneIndex.RecordsNode node, Name qname, int qtype, Message response) {
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
    }

    /**
     * The addresses of the name servers inside the zone, in the additional section of an NS answer (RFC 1035
     * 3.3.11 and 4.3.2: additional section processing of NS), so a resolver need not ask again. Not with the
     * SOA, whose MNAME gets no additional processing.
     */
    private void glue(ZoneIndex index, Message response) {
        for (ZoneSettings.NameServer ns : settings.nameservers()) {
            if (index.node(ns.name()) instanceof ZoneIndex.RecordsNode glue) {
                for (Record r : glue.records()) {
                    response.addRecord(r, Section.ADDITIONAL);
                }
            }
        }
    }

    /** CH-class TXT {@code version.bind}/{@code id.server}: answered only when configured. */
    private void chaos(Name qname, int qtype, Message response) {
        String name = qname.toString(true).toLowerCase(Locale.ROOT);
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

    public Record address(Name owner, InetAddress address) {
        return address instanceof Inet4Address
                ? new ARecord(owner, DClass.IN, settings.ttl(), address)
                : new AAAARecord(owner, DClass.IN, settings.ttl(), address);
    }

    /** NOERROR with an empty answer: the name exists, not with this type (RFC 2308 NODATA). */
    private static void nodata(ZoneIndex.Zone zone, Message response) {
        response.addRecord(zone.soa(), Section.AUTHORITY);
    }
}
