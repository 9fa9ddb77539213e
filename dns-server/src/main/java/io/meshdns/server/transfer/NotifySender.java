package io.meshdns.server.transfer;

import io.meshdns.server.zone.ZoneIndex;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Tells secondaries of each new serial with a NOTIFY (RFC 1996), signed with the first TSIG key when
 * keys are configured. One NOTIFY per zone, secondary and serial: a newer serial replaces one still
 * unacknowledged. Unacknowledged ones are sent again with back-off (1 s, doubling, at most
 * {@code maxInterval}) until acknowledged or replaced. {@link #published} only records what to send: a
 * slow or unreachable secondary never holds up publication or queries.
 *
 * <p>Only a reply that is the secondary's answer to this NOTIFY acknowledges it (RFC 1996 4.7): QR set,
 * opcode NOTIFY, the NOTIFY's ID, its question (the zone, SOA, IN), rcode NOERROR and, when NOTIFYs are
 * signed, a TSIG that verifies against the request (RFC 8945 5.3). Any other reply from the secondary
 * (REFUSED or NOTAUTH from a secondary whose ACL or key does not admit us, an unsigned or badly signed
 * reply, another ID or question) leaves the NOTIFY pending, to be sent again on its schedule, and is
 * counted by reason.
 */
public final class NotifySender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NotifySender.class);

    private record Target(Name zone, InetSocketAddress address) {}

    /**
     * One NOTIFY waiting for its acknowledgement; {@code signed} holds the TSIG records of its last
     * attempts (each is signed anew, as a signature's time must be recent), any of which a reply may answer.
     */
    private record Pending(Record soa, int id, int attempt, List<TSIGRecord> signed) {}

    /** How many attempts' signatures a reply may answer: a late reply to an earlier attempt still counts. */
    private static final int SIGNATURES_KEPT = 4;

    private final List<InetSocketAddress> targets;
    private final TSIG key;
    private final TransferMetrics metrics;
    private final Duration firstInterval;
    private final Duration maxInterval;
    private final DatagramSocket socket;
    private final ScheduledExecutorService timer;
    private final Thread receiver;
    private final Map<Target, Pending> pending = new ConcurrentHashMap<>();
    /** The last reason a secondary's reply was rejected for, per target: logged when it changes. Receiver thread. */
    private final Map<Target, String> rejectionLogged = new HashMap<>();
    /** The serial last notified per zone; guarded by this (publisher thread and the readiness watch). */
    private final Map<Name, Long> notified = new HashMap<>();

    public NotifySender(List<InetSocketAddress> targets, TSIG key, TransferMetrics metrics) {
        this(targets, key, metrics, Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    public NotifySender(
            List<InetSocketAddress> targets,
            TSIG key,
            TransferMetrics metrics,
            Duration firstInterval,
            Duration maxInterval) {
        this.targets = List.copyOf(targets);
        this.key = key;
        this.metrics = metrics;
        this.firstInterval = firstInterval;
        this.maxInterval = maxInterval;
        try {
            this.socket = new DatagramSocket(0);
        } catch (SocketException e) {
            throw new IllegalStateException("cannot open a UDP socket for NOTIFY: " + e.getMessage(), e);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshdns-notify");
            t.setDaemon(true);
            return t;
        });
        this.receiver = new Thread(this::receive, "meshdns-notify-ack");
        this.receiver.setDaemon(true);
        this.receiver.start();
    }

    /**
     * Every {@code interval}, while {@code ready} says so, notifies of the current index's serials that were
     * not notified yet: meshdns may turn ready by time alone ({@code readyAfter}), with no publication to
     * trigger {@link #published}, and its secondaries must still hear of the zone.
     */
    public void watch(Supplier<ZoneIndex> index, BooleanSupplier ready, Duration interval) {
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        if (ready.getAsBoolean()) {
                            published(index.get());
                        }
                    } catch (RuntimeException e) {
                        log.warn("event=notify-watch-failed error=\"{}\"", e.toString());
                    }
                },
                interval.toMillis(),
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Notifies every secondary of the zones whose serial moved since the last call. */
    public synchronized void published(ZoneIndex index) {
        for (ZoneIndex.Zone zone : index.zones()) {
            long serial = zone.soa().getSerial();
            Long before = notified.put(zone.origin(), serial);
            if (before != null && before == serial) {
                continue;
            }
            for (InetSocketAddress address : targets) {
                Target target = new Target(zone.origin(), address);
                Pending p = new Pending(zone.soa(), ThreadLocalRandom.current().nextInt(0x10000), 0, List.of());
                pending.put(target, p);
                timer.execute(() -> send(target, p));
            }
        }
    }

    private void send(Target target, Pending p) {
        if (pending.get(target) != p) {
            return; // acknowledged, or replaced by a newer serial
        }
        Message notify = new Message(p.id());
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);
        notify.addRecord(Record.newRecord(target.zone(), Type.SOA, DClass.IN), Section.QUESTION);
        notify.addRecord(p.soa(), Section.ANSWER);
        List<TSIGRecord> signed = p.signed();
        if (key != null) {
            key.apply(notify, null);
            List<TSIGRecord> last = new ArrayList<>(signed);
            last.add(notify.getTSIG());
            signed = List.copyOf(last.subList(Math.max(0, last.size() - SIGNATURES_KEPT), last.size()));
        }
        byte[] wire = notify.toWire();
        // Recorded before it is sent: a secondary on the same host answers before send() returns, and its
        // answer must find this attempt's signature.
        Pending next = new Pending(p.soa(), p.id(), p.attempt() + 1, signed);
        if (!pending.replace(target, p, next)) {
            return; // acknowledged, or replaced by a newer serial, meanwhile
        }
        try {
            socket.send(new DatagramPacket(wire, wire.length, target.address()));
            metrics.notifySent();
        } catch (IOException e) {
            log.debug(
                    "event=notify-failed zone={} secondary={} error=\"{}\"",
                    target.zone(),
                    target.address(),
                    e.getMessage());
        }
        if (p.attempt() == 3) {
            log.warn(
                    "event=notify-unacknowledged zone={} secondary={} serial={} attempts={}",
                    target.zone(),
                    target.address(),
                    ((org.xbill.DNS.SOARecord) p.soa()).getSerial(),
                    p.attempt() + 1);
        }
        long delay = Math.min(maxInterval.toMillis(), firstInterval.toMillis() << Math.min(p.attempt(), 20));
        timer.schedule(() -> send(target, next), delay, TimeUnit.MILLISECONDS);
    }

    private void receive() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
                byte[] wire = Arrays.copyOf(packet.getData(), packet.getLength());
                Message response;
                try {
                    response = new Message(wire);
                } catch (IOException | RuntimeException unreadable) {
                    response = null;
                }
                acknowledge(from, wire, response);
            } catch (IOException | RuntimeException e) {
                if (!socket.isClosed()) {
                    log.debug("event=notify-response-unreadable error=\"{}\"", e.getMessage());
                }
            }
        }
    }

    /**
     * Ends the retries of the NOTIFY {@code response} answers if it acknowledges it; otherwise counts why
     * not. The NOTIFY it answers is the one pending for that secondary with its ID, else the one for the
     * zone it names; a reply matching neither (a late copy of an acknowledgement, a stranger) is ignored.
     */
    private void acknowledge(InetSocketAddress from, byte[] wire, Message response) {
        Target target = null;
        Pending p = null;
        for (Map.Entry<Target, Pending> e : pending.entrySet()) {
            if (!e.getKey().address().equals(from)) {
                continue;
            }
            boolean sameId = response != null
                    && e.getValue().id() == response.getHeader().getID();
            boolean sameZone = response == null
                    || (response.getQuestion() != null
                            && response.getQuestion()
                                    .getName()
                                    .equals(e.getKey().zone()));
            if (sameId || (p == null && sameZone)) {
                target = e.getKey();
                p = e.getValue();
            }
        }
        if (p == null) {
            return;
        }
        String rejected = rejection(response, wire, target, p);
        if (rejected == null) {
            if (pending.remove(target, p)) {
                metrics.notifyAcknowledged();
                rejectionLogged.remove(target);
            }
            return;
        }
        metrics.notifyRejected(rejected);
        if (!rejected.equals(rejectionLogged.put(target, rejected))) {
            log.warn(
                    "event=notify-rejected zone={} secondary={} reason={} (sent again on its schedule; check the"
                            + " secondary's allow-notify/ACL and TSIG key)",
                    target.zone(),
                    from,
                    rejected);
        }
    }

    /** Why {@code response} does not acknowledge {@code p}, or {@code null} when it does. */
    private String rejection(Message response, byte[] wire, Target target, Pending p) {
        if (response == null) {
            return "malformed";
        }
        Header h = response.getHeader();
        if (!h.getFlag(Flags.QR) || h.getOpcode() != Opcode.NOTIFY) {
            return "not-a-notify-response";
        }
        if (h.getID() != p.id()) {
            return "wrong-id";
        }
        Record q = response.getQuestion();
        if (h.getCount(Section.QUESTION) != 1
                || q == null
                || !q.getName().equals(target.zone())
                || q.getType() != Type.SOA
                || q.getDClass() != DClass.IN) {
            return "wrong-question";
        }
        int rcode = h.getRcode();
        if (rcode != Rcode.NOERROR) {
            return Rcode.string(rcode).toLowerCase(Locale.ROOT); // refused, notauth: the secondary does not admit us
        }
        if (key != null) {
            if (response.getTSIG() == null) {
                return "unsigned";
            }
            boolean verified = false;
            for (TSIGRecord request : p.signed()) {
                // dnsjava's verify reads the message's TSIG state: parse afresh for each try.
                if (key.verify(copy(wire), wire, request) == Rcode.NOERROR) {
                    verified = true;
                    break;
                }
            }
            if (!verified) {
                return "bad-tsig";
            }
        }
        return null;
    }

    private static Message copy(byte[] wire) {
        try {
            return new Message(wire);
        } catch (IOException e) {
            throw new IllegalStateException("a message read once cannot be read again", e);
        }
    }

    /** NOTIFYs not acknowledged yet (tests, status). */
    int unacknowledged() {
        return pending.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        socket.close();
    }
}
