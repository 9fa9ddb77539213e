package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.zone.DnsNames;
import io.meshdns.server.zone.ZoneSerial;
import io.meshdns.testkit.MeshObjects;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/**
 * AXFR, IXFR and NOTIFY with TSIG, through real TCP and UDP sockets on loopback, with dnsjava's
 * {@link ZoneTransferIn} as the secondary and a UDP socket of the test standing in for a secondary that
 * receives NOTIFYs. A second NOTIFY target is down the whole time: publication and answers never wait for it.
 */
class ZoneTransferTest {
    static final String WEB = "web.shop.svc.clusterset.local.";
    static final String API = "api.shop.svc.clusterset.local.";
    static final Name ZONE = name("clusterset.local.");
    static final byte[] SECRET = "meshdns-test-secret-of-32-bytes!".getBytes();
    static final TSIG KEY = new TSIG(TSIG.HMAC_SHA256, name("xfr-key."), SECRET);

    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;
    static DatagramSocket secondary;
    static final BlockingQueue<Message> notifies = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws Exception {
        secondary = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        DatagramSocket unreachable = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread acknowledging = new Thread(() -> {
            byte[] buf = new byte[4096];
            while (!secondary.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    secondary.receive(p);
                    byte[] wire = Arrays.copyOf(buf, p.getLength());
                    Message notify = new Message(wire);
                    if (KEY.verify(notify, wire, null) != Rcode.NOERROR) {
                        continue; // a secondary drops what it cannot verify: no acknowledgement
                    }
                    notifies.add(notify);
                    Message ack = new Message(notify.getHeader().getID());
                    ack.getHeader().setFlag(Flags.QR);
                    ack.getHeader().setOpcode(Opcode.NOTIFY);
                    ack.addRecord(notify.getQuestion(), Section.QUESTION);
                    KEY.apply(ack, notify.getTSIG());
                    byte[] out = ack.toWire();
                    secondary.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (Exception e) {
                    // closed at the end, or a packet the test did not expect: the assertions tell
                }
            }
        });
        acknowledging.setDaemon(true);
        acknowledging.start();
        mesh = new TwoClusterMesh(kubeconfigs, ConfigLoader.parse("test", """
        nameservers:
          - {name: ns1.clusterset.local, addresses: [192.0.2.53, "2001:db8::53"]}
          - {name: ns2.example.net}
        axfr:
          allow: [127.0.0.0/8]
          tsig: [{name: xfr-key, secret: %s}]
          notify: ["127.0.0.1:%d", "127.0.0.1:%d"]
          journal: {depth: 50}
        """.formatted(
                Base64.getEncoder().encodeToString(SECRET), secondary.getLocalPort(), unreachable.getLocalPort())));
        unreachable.close(); // a secondary that is down: its NOTIFYs go nowhere, and nothing else waits for them
        mesh.exportWebFromEast();
    }

    @AfterAll
    static void stop() {
        mesh.close();
        secondary.close();
    }

    @Test
    void signedAxfrHasEveryRecordBetweenTwoSoas() throws Exception {
        List<Record> records = axfr(KEY);

        assertThat(records.get(0).getType()).isEqualTo(Type.SOA);
        assertThat(records.get(records.size() - 1)).isEqualTo(records.get(0));
        assertThat(records)
                .filteredOn(r -> r.getName().toString().equals(WEB) && r.getType() == Type.A)
                .hasSize(3);
    }

    /** A secondary serving the zone can answer the delegation's addresses too: RFC 5936 2.1 (every RR of the zone). */
    @Test
    void axfrCarriesTheNameServersAndTheAddressesOfThoseInTheZone() throws Exception {
        List<Record> records = axfr(KEY);

        assertThat(records)
                .filteredOn(r -> r.getType() == Type.NS)
                .extracting(Record::rdataToString)
                .containsExactly("ns1.clusterset.local.", "ns2.example.net.");
        assertThat(records)
                .filteredOn(r -> r.getName().toString().equals("ns1.clusterset.local."))
                .extracting(Record::rdataToString)
                .containsExactlyInAnyOrder("192.0.2.53", "2001:db8:0:0:0:0:0:53");
    }

    @Test
    void unsignedAxfrFromAnAllowedAddressIsRefusedWhenKeysAreConfigured() {
        assertThatThrownBy(() -> axfr(null))
                .isInstanceOf(ZoneTransferException.class)
                .hasMessageContaining("REFUSED");
    }

    @Test
    void axfrSignedWithAnUnknownKeyGetsNotauthWithBadkey() throws Exception {
        Message reply = tcpOne(signed(axfrQuery(), new TSIG(TSIG.HMAC_SHA256, name("other-key."), SECRET)));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(reply.getTSIG().getError()).isEqualTo(Rcode.BADKEY);
    }

    @Test
    void axfrSignedWithTheWrongSecretGetsNotauthWithBadsig() throws Exception {
        byte[] wrong = "a-different-secret-of-32-bytes!!".getBytes();
        Message reply = tcpOne(signed(axfrQuery(), new TSIG(TSIG.HMAC_SHA256, name("xfr-key."), wrong)));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(reply.getTSIG().getError()).isEqualTo(Rcode.BADSIG);
    }

    @Test
    void axfrSignedAnHourAgoGetsNotauthWithBadtime() throws Exception {
        Clock hourAgo = Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC);
        TSIG skewed = new TSIG(TSIG.HMAC_SHA256, name("xfr-key."), new SecretKeySpec(SECRET, "HmacSHA256"), hourAgo);
        Message reply = tcpOne(signed(axfrQuery(), skewed));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(reply.getTSIG().getError()).isEqualTo(Rcode.BADTIME);
        assertThat(new HttpFetch(mesh.server.httpAddress()).get("/metrics").body())
                .contains("meshdns_tsig_errors_total{error=\"badtime\"}");
    }

    @Test
    void ixfrAfterAChangeCarriesOnlyTheChangeAndTheSecondaryWasNotified() throws Exception {
        MeshObjects.exported(mesh.east(), "shop", "api", "10.96.0.20");
        slice(mesh.east(), "shop", "api", "api-east", pods("10.10.2.", 1, 2, true));
        mesh.tcp().addressesOnceTrue(API, s -> s.size() == 2);
        long before = soa(axfr(KEY)).getSerial();
        notifies.clear();
        slice(mesh.east(), "shop", "api", "api-east", pods("10.10.2.", 1, 3, true));
        mesh.tcp().addressesOnceTrue(API, s -> s.size() == 3);

        // A NOTIFY of the serial read above may still arrive after the clear (the sender repeats one until it
        // is acknowledged): the one wanted is of this zone, with a newer serial.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long after = before;
        while (!ZoneSerial.isNewer(after, before)) {
            Message notify = notifies.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertThat(notify)
                    .as("a NOTIFY of %s with a serial newer than %d", ZONE, before)
                    .isNotNull();
            if (notify.getQuestion().getName().equals(ZONE)) {
                after = ((SOARecord) notify.getSection(Section.ANSWER).get(0)).getSerial();
            }
        }

        ZoneTransferIn ixfr = ZoneTransferIn.newIXFR(ZONE, before, false, mesh.dns(), KEY);
        ixfr.setTimeout(Duration.ofSeconds(10));
        ixfr.run();

        assertThat(ixfr.isIXFR()).isTrue();
        List<Record> adds = new ArrayList<>();
        List<Record> deletes = new ArrayList<>();
        for (ZoneTransferIn.Delta d : ixfr.getIXFR()) {
            adds.addAll(d.adds);
            deletes.addAll(d.deletes);
        }
        assertThat(adds)
                .filteredOn(r -> r.getType() == Type.A)
                .containsExactly(new ARecord(name(API), DClass.IN, 5, InetAddress.getByName("10.10.2.3")));
        assertThat(deletes).filteredOn(r -> r.getType() == Type.A).isEmpty();
    }

    @Test
    void ixfrFromASerialOlderThanTheJournalIsAFullTransfer() throws Exception {
        long current = soa(axfr(KEY)).getSerial();
        long older = (current - 1_000_000) & 0xFFFFFFFFL; // never held by this server's journal
        ZoneTransferIn ixfr = ZoneTransferIn.newIXFR(ZONE, older, false, mesh.dns(), KEY);
        ixfr.setTimeout(Duration.ofSeconds(10));
        ixfr.run();

        assertThat(ixfr.isAXFR()).isTrue();
        assertThat(ixfr.getAXFR())
                .filteredOn(r -> r.getName().toString().equals(WEB))
                .isNotEmpty();
    }

    @Test
    void ixfrOverUdpFromTheCurrentSerialIsTheSoaAlone() throws Exception {
        SOARecord current = soa(axfr(KEY));
        Message q = Message.newQuery(Record.newRecord(ZONE, Type.IXFR, DClass.IN));
        q.addRecord(current, Section.AUTHORITY);
        Message reply = udp(signed(q, KEY));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(reply.getSection(Section.ANSWER)).containsExactly(current);
        assertThat(reply.getTSIG()).as("signed").isNotNull();
    }

    @Test
    void ixfrWithoutTheClientSoaIsFormerr() throws Exception {
        Message q = Message.newQuery(Record.newRecord(ZONE, Type.IXFR, DClass.IN));

        assertThat(tcpOne(signed(q, KEY)).getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(udp(signed(Message.newQuery(Record.newRecord(ZONE, Type.IXFR, DClass.IN)), KEY))
                        .getRcode())
                .isEqualTo(Rcode.FORMERR);
    }

    @Test
    void unsignedNotifyIsRefusedWhenKeysAreConfigured() throws Exception {
        Message reply = udp(notify(ZONE, Type.SOA));

        assertThat(reply.getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void signedNotifyIsAcknowledged() throws Exception {
        Message reply = udp(signed(notify(ZONE, Type.SOA), KEY));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(reply.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(reply.getTSIG()).isNotNull();
    }

    @Test
    void notifyForAnotherTypeThanSoaIsFormerr() throws Exception {
        assertThat(udp(signed(notify(ZONE, Type.A), KEY)).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void signedSoaQueryGetsASignedAnswer() throws Exception {
        Message q = signed(Message.newQuery(Record.newRecord(ZONE, Type.SOA, DClass.IN)), KEY);
        byte[] wire = udpRaw(q.toWire());
        Message reply = new Message(wire);

        assertThat(reply.getSection(Section.ANSWER)).hasSize(1);
        assertThat(KEY.verify(reply, wire, q.getTSIG())).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void transfersAreCountedByTypeAndResult() throws Exception {
        axfr(KEY);
        String metrics =
                new HttpFetch(mesh.server.httpAddress()).get("/metrics").body();

        assertThat(metrics).contains("meshdns_zone_transfers_total{result=\"full\",type=\"axfr\"}");
        assertThat(metrics).contains("meshdns_transfer_journal_depth{zone=\"clusterset.local.\"}");
        assertThat(metrics).contains("meshdns_notifies_acknowledged_total");
    }

    private static Message notify(Name zone, int type) {
        Message m = new Message();
        m.getHeader().setOpcode(Opcode.NOTIFY);
        m.getHeader().setFlag(Flags.AA);
        m.addRecord(Record.newRecord(zone, type, DClass.IN), Section.QUESTION);
        return m;
    }

    private static Message axfrQuery() {
        return Message.newQuery(Record.newRecord(ZONE, Type.AXFR, DClass.IN));
    }

    private static Message signed(Message m, TSIG key) {
        key.apply(m, null);
        return m;
    }

    private static List<Record> axfr(TSIG key) throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(ZONE, mesh.dns(), key);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        return xfr.getAXFR();
    }

    private static SOARecord soa(List<Record> records) {
        return (SOARecord) records.get(0);
    }

    private static Message udp(Message query) throws Exception {
        return new Message(udpRaw(query.toWire()));
    }

    private static byte[] udpRaw(byte[] packet) throws Exception {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(2000);
            socket.send(new DatagramPacket(packet, packet.length, mesh.dns()));
            byte[] buf = new byte[65535];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            socket.receive(reply);
            return Arrays.copyOf(buf, reply.getLength());
        }
    }

    /** One request over TCP and its first response message. */
    private static Message tcpOne(Message query) throws Exception {
        try (Socket s = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
            s.setSoTimeout(5000);
            return DnsClient.query(s, query);
        }
    }

    private static Name name(String s) {
        return DnsNames.absolute(s);
    }
}
