package io.meshdns.server;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * Tells secondaries of each new serial with a NOTIFY (RFC 1996), signed with the first TSIG key when
 * keys are configured. One NOTIFY per zone, secondary and serial: a newer serial replaces one still
 * unacknowledged. Unacknowledged ones are sent again with back-off (1 s, doubling, at most
 * {@code maxInterval}) until acknowledged or replaced. {@link #published} only records what to send: a
 * slow or unreachable secondary never holds up publication or queries.
 */
final class NotifySender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotifySender.class);

  private record Target(Name zone, InetSocketAddress address) {}

  /** One NOTIFY waiting for its acknowledgement. */
  private record Pending(Record soa, int id, int attempt) {}

  private final List<InetSocketAddress> targets;
  private final TSIG key;
  private final TransferMetrics metrics;
  private final Duration firstInterval;
  private final Duration maxInterval;
  private final DatagramSocket socket;
  private final ScheduledExecutorService timer;
  private final Thread receiver;
  private final Map<Target, Pending> pending = new ConcurrentHashMap<>();
  /** The serial last notified per zone; guarded by this (publisher thread and the readiness watch). */
  private final Map<Name, Long> notified = new HashMap<>();

  NotifySender(List<InetSocketAddress> targets, TSIG key, TransferMetrics metrics) {
    this(targets, key, metrics, Duration.ofSeconds(1), Duration.ofSeconds(60));
  }

  NotifySender(List<InetSocketAddress> targets, TSIG key, TransferMetrics metrics, Duration firstInterval,
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
  void watch(Supplier<ZoneIndex> index, BooleanSupplier ready, Duration interval) {
    timer.scheduleWithFixedDelay(() -> {
      try {
        if (ready.getAsBoolean()) {
          published(index.get());
        }
      } catch (RuntimeException e) {
        log.warn("event=notify-watch-failed error=\"{}\"", e.toString());
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Notifies every secondary of the zones whose serial moved since the last call. */
  synchronized void published(ZoneIndex index) {
    for (ZoneIndex.Zone zone : index.zones()) {
      long serial = zone.soa().getSerial();
      Long before = notified.put(zone.origin(), serial);
      if (before != null && before == serial) {
        continue;
      }
      for (InetSocketAddress address : targets) {
        Target target = new Target(zone.origin(), address);
        Pending p = new Pending(zone.soa(), ThreadLocalRandom.current().nextInt(0x10000), 0);
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
    if (key != null) {
      key.apply(notify, null);
    }
    byte[] wire = notify.toWire();
    try {
      socket.send(new DatagramPacket(wire, wire.length, target.address()));
      metrics.notifySent();
    } catch (IOException e) {
      log.debug("event=notify-failed zone={} secondary={} error=\"{}\"", target.zone(), target.address(), e.getMessage());
    }
    long delay = Math.min(maxInterval.toMillis(), firstInterval.toMillis() << Math.min(p.attempt(), 20));
    Pending next = new Pending(p.soa(), p.id(), p.attempt() + 1);
    if (pending.replace(target, p, next)) {
      if (p.attempt() == 3) {
        log.warn("event=notify-unacknowledged zone={} secondary={} serial={} attempts={}", target.zone(),
            target.address(), ((org.xbill.DNS.SOARecord) p.soa()).getSerial(), p.attempt() + 1);
      }
      timer.schedule(() -> send(target, next), delay, TimeUnit.MILLISECONDS);
    }
  }

  private void receive() {
    byte[] buffer = new byte[4096];
    while (!socket.isClosed()) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
        Message response = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
        if (!response.getHeader().getFlag(Flags.QR) || response.getHeader().getOpcode() != Opcode.NOTIFY
            || response.getQuestion() == null) {
          continue;
        }
        InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
        Target target = new Target(response.getQuestion().getName(), from);
        Pending p = pending.get(target);
        if (p != null && p.id() == response.getHeader().getID() && pending.remove(target, p)) {
          // Any answer ends the retries; one that is not NOERROR means the secondary's config refuses us.
          metrics.notifyAcknowledged();
          int rcode = response.getHeader().getRcode();
          if (rcode != org.xbill.DNS.Rcode.NOERROR) {
            log.warn("event=notify-rejected zone={} secondary={} rcode={} (check its allow-notify/ACL and TSIG key)",
                target.zone(), from, org.xbill.DNS.Rcode.string(rcode));
          }
        }
      } catch (IOException | RuntimeException e) {
        if (!socket.isClosed()) {
          log.debug("event=notify-response-unreadable error=\"{}\"", e.getMessage());
        }
      }
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
