package io.meshdns.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** A real DNS client for tests: dnsjava's resolver over UDP or TCP to one server on loopback. */
final class DnsClient {
  enum Transport { UDP, TCP }

  private final SimpleResolver resolver;

  DnsClient(InetSocketAddress server, Transport transport) {
    resolver = new SimpleResolver(server);
    resolver.setTCP(transport == Transport.TCP);
    resolver.setTimeout(Duration.ofSeconds(2));
  }

  Message query(String name, int type) {
    return query(name, type, DClass.IN);
  }

  Message query(String name, int type, int dclass) {
    try {
      Message q = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, dclass));
      return resolver.send(q);
    } catch (IOException e) {
      throw new UncheckedIOException("query " + name + " " + Type.string(type) + " failed", e);
    }
  }

  /** The A addresses answered for {@code name}, sorted. */
  Set<String> addresses(String name) {
    Set<String> out = new TreeSet<>();
    for (Record r : query(name, Type.A).getSection(Section.ANSWER)) {
      if (r instanceof ARecord a) {
        out.add(a.getAddress().getHostAddress());
      }
    }
    return out;
  }

  /**
   * Asks until the answer satisfies {@code condition} (discovery is asynchronous) or 15 s pass, and returns
   * the last answer either way so the caller's assertion shows what was seen.
   */
  Set<String> addressesOnceTrue(String name, Predicate<Set<String>> condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    Set<String> last = addresses(name);
    while (!condition.test(last) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      last = addresses(name);
    }
    return last;
  }

  Set<String> addressesOnce(String name, Set<String> expected) throws InterruptedException {
    return addressesOnceTrue(name, expected::equals);
  }

  static List<Transport> transports() {
    return List.of(Transport.UDP, Transport.TCP);
  }
}
