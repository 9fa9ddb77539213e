package io.meshdns.server.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.zone.ZoneIndex;
import io.meshdns.server.zone.ZoneSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * NOTIFYs to secondaries over real UDP on loopback: retried with back-off until acknowledged or replaced;
 * the test's socket plays the secondary, replying rightly or wrongly.
 */
class NotifySenderTest {
    final ZoneSettings settings = ZoneSettings.of(ServerConfig.defaults());
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DatagramSocket secondary;
    NotifySender sender;

    @BeforeEach
    void open() throws Exception {
        secondary = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        secondary.setSoTimeout(3000);
        sender = new NotifySender(
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), secondary.getLocalPort())),
                null,
                new TransferMetrics(registry),
                Duration.ofMillis(50),
                Duration.ofMillis(200));
    }

    @AfterEach
    void close() {
        sender.close();
        secondary.close();
    }

    private ZoneIndex index(long version, Instant at) {
        return ZoneIndex.build(settings, MeshSnapshot.of(version, at, Map.of(), Map.of()));
    }

    private Message receive() throws Exception {
        byte[] buf = new byte[4096];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        secondary.receive(p);
        lastFrom = p;
        return new Message(Arrays.copyOf(buf, p.getLength()));
    }

    private DatagramPacket lastFrom;

    private static long serial(Message notify) {
        return ((SOARecord) notify.getSection(Section.ANSWER).get(0)).getSerial();
    }

    @Test
    void becomingReadyWithoutAPublicationStillNotifiesTheSecondaries() throws Exception {
        ZoneIndex index = index(1, Instant.parse("2026-11-29T12:00:00Z"));
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        sender.watch(() -> index, ready::get, Duration.ofMillis(50));
        secondary.setSoTimeout(300);
        assertThat(receivedNothing()).as("nothing while not ready").isTrue();

        ready.set(true); // as readyAfter passing: no snapshot is published

        secondary.setSoTimeout(3000);
        assertThat(serial(receive())).isEqualTo(index.serial());
    }

    @Test
    void anUnacknowledgedNotifyIsSentAgainWithTheSameIdUntilAcknowledged() throws Exception {
        ZoneIndex index = index(1, Instant.parse("2026-11-29T12:00:00Z"));
        sender.published(index); // returns at once: sending happens on the sender's own thread

        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(receive());
        }
        assertThat(sent).allSatisfy(m -> {
            assertThat(m.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
            assertThat(m.getHeader().getID()).isEqualTo(sent.get(0).getHeader().getID());
            assertThat(serial(m)).isEqualTo(index.serial());
        });
        assertThat(sender.unacknowledged()).isEqualTo(1);

        Message ack = new Message(sent.get(0).getHeader().getID());
        ack.getHeader().setFlag(Flags.QR);
        ack.getHeader().setOpcode(Opcode.NOTIFY);
        ack.addRecord(sent.get(0).getQuestion(), Section.QUESTION);
        byte[] wire = ack.toWire();
        secondary.send(new DatagramPacket(wire, wire.length, lastFrom.getSocketAddress()));

        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (sender.unacknowledged() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sender.unacknowledged()).isZero();
        assertThat(registry.get("meshdns.notifies.acknowledged").counter().count())
                .isEqualTo(1);
        drain();
        secondary.setSoTimeout(600);
        assertThat(receivedNothing()).as("no NOTIFY after the acknowledgement").isTrue();
    }

    @Test
    void aNewerSerialReplacesTheUnacknowledgedNotify() throws Exception {
        Instant t = Instant.parse("2026-11-29T12:00:00Z");
        ZoneIndex first = index(1, t);
        sender.published(first);
        receive();
        ZoneIndex second = ZoneIndex.build(settings, MeshSnapshot.of(2, t.plusSeconds(9), Map.of(), Map.of()), null);
        sender.published(second);
        drain();

        Message next = receive();
        assertThat(serial(next)).isEqualTo(second.serial());
        assertThat(sender.unacknowledged()).isEqualTo(1);
    }

    /** The acknowledgement a secondary sends for {@code notify}, changed by {@code edit}, sent to the sender. */
    private void reply(Message notify, java.util.function.Consumer<Message> edit) throws Exception {
        Message ack = new Message(notify.getHeader().getID());
        ack.getHeader().setFlag(Flags.QR);
        ack.getHeader().setOpcode(Opcode.NOTIFY);
        ack.addRecord(notify.getQuestion(), Section.QUESTION);
        edit.accept(ack);
        byte[] wire = ack.toWire();
        secondary.send(new DatagramPacket(wire, wire.length, lastFrom.getSocketAddress()));
    }

    /** Waits until a reply was rejected for {@code reason}; returns how many were. */
    private double awaitRejected(String reason) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (rejected(reason) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return rejected(reason);
    }

    private double rejected(String reason) {
        var counter =
                registry.find("meshdns.notifies.rejected").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    /** After {@code reply} was rejected for {@code reason}, the same NOTIFY is sent again and still pending. */
    private void assertRejectedAndSentAgain(Message notify, String reason) throws Exception {
        assertThat(awaitRejected(reason)).isEqualTo(1);
        Message again = receive();
        assertThat(again.getHeader().getID()).isEqualTo(notify.getHeader().getID());
        assertThat(serial(again)).isEqualTo(serial(notify));
        assertThat(sender.unacknowledged()).isEqualTo(1);
        assertThat(registry.get("meshdns.notifies.acknowledged").counter().count())
                .isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {Rcode.REFUSED, Rcode.NOTAUTH, Rcode.SERVFAIL})
    void aReplyThatIsNotNoerrorIsNoAcknowledgementAndTheNotifyIsSentAgain(int rcode) throws Exception {
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message notify = receive();

        reply(notify, ack -> ack.getHeader().setRcode(rcode));

        assertRejectedAndSentAgain(notify, Rcode.string(rcode).toLowerCase(java.util.Locale.ROOT));
    }

    @Test
    void aReplyWithAnotherIdIsNoAcknowledgement() throws Exception {
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message notify = receive();

        reply(notify, ack -> ack.getHeader().setID((notify.getHeader().getID() + 1) & 0xFFFF));

        assertRejectedAndSentAgain(notify, "wrong-id");
    }

    @Test
    void aReplyWithAnotherQuestionIsNoAcknowledgement() throws Exception {
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message notify = receive();

        reply(notify, ack -> {
            ack.removeAllRecords(Section.QUESTION);
            ack.addRecord(Record.newRecord(notify.getQuestion().getName(), Type.A, DClass.IN), Section.QUESTION);
        });

        assertRejectedAndSentAgain(notify, "wrong-question");
    }

    @Test
    void anUnsignedReplyIsNoAcknowledgementWhenNotifiesAreSigned() throws Exception {
        useSender(KEY);
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message notify = receive();
        assertThat(notify.getTSIG()).as("the NOTIFY is signed").isNotNull();

        reply(notify, ack -> {});

        assertRejectedAndSentAgain(notify, "unsigned");
    }

    @Test
    void aReplySignedWithAnotherKeyIsNoAcknowledgement() throws Exception {
        useSender(KEY);
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message notify = receive();

        TSIG other = new TSIG(TSIG.HMAC_SHA256, "meshdns-xfr.", "b3RoZXIgc2VjcmV0IG9mIGVub3VnaCBsZW5ndGgh");
        reply(notify, ack -> other.apply(ack, notify.getTSIG()));

        assertRejectedAndSentAgain(notify, "bad-tsig");
    }

    @Test
    void aReplySignedWithTheKeyAcknowledgesASignedNotify() throws Exception {
        useSender(KEY);
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message notify = receive();

        reply(notify, ack -> KEY.apply(ack, notify.getTSIG()));

        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (sender.unacknowledged() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sender.unacknowledged()).isZero();
        assertThat(registry.get("meshdns.notifies.acknowledged").counter().count())
                .isEqualTo(1);
    }

    @Test
    void aSignedReplyToAnEarlierAttemptStillAcknowledges() throws Exception {
        useSender(KEY);
        sender.published(index(1, Instant.parse("2026-11-29T12:00:00Z")));
        Message first = receive();
        Message second = receive(); // sent again, signed anew, before the secondary answered the first

        reply(first, ack -> KEY.apply(ack, first.getTSIG()));

        assertThat(second.getTSIG().getTimeSigned())
                .isAfterOrEqualTo(first.getTSIG().getTimeSigned());
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (sender.unacknowledged() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sender.unacknowledged()).isZero();
        assertThat(rejected("bad-tsig")).isZero();
    }

    static final TSIG KEY =
            new TSIG(TSIG.HMAC_SHA256, "meshdns-xfr.", "c2VjcmV0IG9mIHRoZSBtZXNoZG5zIHRyYW5zZmVyIGtleQ==");

    /** Replaces the unsigned sender with one signing its NOTIFYs with {@code key}. */
    private void useSender(TSIG key) {
        sender.close();
        sender = new NotifySender(
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), secondary.getLocalPort())),
                key,
                new TransferMetrics(registry),
                Duration.ofMillis(50),
                Duration.ofMillis(200));
    }

    /** Reads what was sent so far (what is in flight within 100 ms). */
    private void drain() throws Exception {
        secondary.setSoTimeout(100);
        while (!receivedNothing()) {
            // discard
        }
        secondary.setSoTimeout(3000);
    }

    private boolean receivedNothing() throws Exception {
        try {
            receive();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }
}
