package io.meshdns.server;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
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

/**
 * A real DNS client for tests: dnsjava's resolver over UDP or TCP to one server on loopback, and queries over
 * a connection the test holds (plain TCP or TLS).
 */
final class DnsClient {
    enum Transport {
        UDP,
        TCP
    }

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

    /** Writes {@code query} to a TCP or TLS stream with its two-byte length (RFC 1035 4.2.2). */
    static void send(Socket socket, Message query) throws IOException {
        byte[] wire = query.toWire();
        var out = new DataOutputStream(socket.getOutputStream());
        out.writeShort(wire.length);
        out.write(wire);
        out.flush();
    }

    static void send(Socket socket, String name, int type) throws IOException {
        send(socket, Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    /** Reads the next length-prefixed message from a TCP or TLS stream. */
    static Message receive(Socket socket) throws IOException {
        return new Message(receiveBytes(socket));
    }

    /** The next length-prefixed message from a TCP or TLS stream, as its bytes. */
    static byte[] receiveBytes(Socket socket) throws IOException {
        var in = new DataInputStream(socket.getInputStream());
        byte[] reply = new byte[in.readUnsignedShort()];
        in.readFully(reply);
        return reply;
    }

    /** One query over an open TCP or TLS connection and its response. */
    static Message query(Socket socket, Message query) throws IOException {
        send(socket, query);
        return receive(socket);
    }

    static Message query(Socket socket, String name, int type) throws IOException {
        send(socket, name, type);
        return receive(socket);
    }
}
