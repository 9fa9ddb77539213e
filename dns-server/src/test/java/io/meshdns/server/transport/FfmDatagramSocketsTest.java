package io.meshdns.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What only the ffm UDP transport has: batches read by one {@code recvmmsg}, slots of a fixed size, reader
 * threads blocked in a system call, the table of client addresses. Its DNS behaviour is that of the Netty
 * path: the protocol tests run on both ({@link DnsProtocolTest} and the others parameterised over
 * {@link UdpTransportSelector}). Here the query path echoes each query with QR set, so the transport alone is seen.
 */
class FfmDatagramSocketsTest {
    private static final InetAddress LOOPBACK_IPV4 = address("127.0.0.1");
    private static final InetAddress LOOPBACK_IPV6 = address("::1");

    @BeforeEach
    void ffmRunsHere() {
        String unavailable = UdpTransportSelector.ffmUnavailable();
        Assumptions.assumeTrue(unavailable == null, () -> "the ffm UDP transport cannot run here: " + unavailable);
    }

    @Test
    void queriesQueuedWhileTheReaderIsBusyAreReadInOneBatchAndEachAnsweredToItsSender() throws Exception {
        CountDownLatch firstRead = new CountDownLatch(1);
        CountDownLatch othersSent = new CountDownLatch(1);
        Echo echo = new Echo() {
            @Override
            public ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
                if (firstRead.getCount() > 0) { // hold the only reader until the others wait in its socket
                    firstRead.countDown();
                    await(othersSent);
                }
                return super.answer(query, client, alloc);
            }
        };
        int others = 40;
        InetSocketAddress server = new InetSocketAddress(LOOPBACK_IPV4, freePort());
        try (DatagramSockets sockets = UdpTransportSelector.openFfm(echo, server, 1);
                DatagramSocket client = client(LOOPBACK_IPV4)) {
            send(client, server, 0);
            await(firstRead);
            for (int id = 1; id <= others; id++) {
                send(client, server, id);
            }
            othersSent.countDown();
            Set<Integer> answered = new java.util.HashSet<>();
            for (int i = 0; i <= others; i++) {
                answered.add(receiveId(client));
            }
            assertThat(answered).hasSize(others + 1);
            assertThat(sockets.datagrams()).isEqualTo(others + 1);
            // The first alone, then the 40 queued behind it: a few reads at most, never one per datagram.
            assertThat(sockets.reads()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void aDatagramLongerThanItsSlotIsAnsweredAsCutNeverAsItsFirstBytes() throws Exception {
        Echo echo = new Echo();
        InetSocketAddress server = new InetSocketAddress(LOOPBACK_IPV4, freePort());
        try (DatagramSockets sockets = UdpTransportSelector.openFfm(echo, server, 1, 8, 512);
                DatagramSocket client = client(LOOPBACK_IPV4)) {
            byte[] longQuery = new byte[1000];
            longQuery[0] = 0x12;
            longQuery[1] = 0x34;
            client.send(new DatagramPacket(longQuery, longQuery.length, server));
            byte[] shortQuery = new byte[511];
            shortQuery[1] = 7;
            client.send(new DatagramPacket(shortQuery, shortQuery.length, server));
            DatagramPacket first = receive(client);
            assertThat(first.getLength())
                    .as("the cut datagram's answer: its header alone")
                    .isEqualTo(12);
            assertThat(first.getData()[3] & 0xf).as("FORMERR").isEqualTo(1);
            assertThat(echo.cutLengths).containsExactly(512);
            DatagramPacket second = receive(client);
            assertThat(second.getLength())
                    .as("a datagram that fits is read whole")
                    .isEqualTo(511);
        }
    }

    @Test
    void closingWhileIdleWakesEveryReaderBlockedInRecvmmsgAndFreesThePort() throws Exception {
        int port = freePort();
        List<Thread> before = readerThreads();
        DatagramSockets sockets =
                UdpTransportSelector.openFfm(new Echo(), new InetSocketAddress(LOOPBACK_IPV4, port), 2);
        try (DatagramSocket client = client(LOOPBACK_IPV4)) {
            send(client, new InetSocketAddress(LOOPBACK_IPV4, port), 1);
            receiveId(client); // a reader has served, and gone back to waiting
        }
        List<Thread> readers = new ArrayList<>(readerThreads());
        readers.removeAll(before);
        assertThat(readers).hasSize(2);
        long start = System.nanoTime();
        sockets.close();
        long closeMicros = (System.nanoTime() - start) / 1000;
        assertThat(readers)
                .as("reader threads left after close (%d µs)", closeMicros)
                .noneMatch(Thread::isAlive);
        assertThat(sockets.serving()).isFalse();
        try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(LOOPBACK_IPV4, port))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void aBurstFromManySourcesOfBothFamiliesIsAnsweredOnceEachToItsSenderWithItsAddress() throws Exception {
        Echo echo = new Echo();
        int port = freePort();
        int perFamily = 100;
        int queriesEach = 5;
        try (DatagramSockets sockets =
                UdpTransportSelector.openFfm(echo, new InetSocketAddress(address("::"), port), 2)) {
            List<DatagramSocket> clients = new ArrayList<>();
            Map<DatagramSocket, InetSocketAddress> servers = new HashMap<>();
            try {
                for (InetAddress family : List.of(LOOPBACK_IPV4, LOOPBACK_IPV6)) {
                    for (int i = 0; i < perFamily; i++) {
                        DatagramSocket c = client(family);
                        clients.add(c);
                        servers.put(c, new InetSocketAddress(family, port));
                    }
                }
                for (int q = 0; q < queriesEach; q++) {
                    for (int c = 0; c < clients.size(); c++) {
                        send(clients.get(c), servers.get(clients.get(c)), c * queriesEach + q);
                    }
                }
                for (int c = 0; c < clients.size(); c++) {
                    List<Integer> ids = new ArrayList<>();
                    for (int q = 0; q < queriesEach; q++) {
                        ids.add(receiveId(clients.get(c)));
                    }
                    int first = c * queriesEach;
                    assertThat(ids)
                            .as("client %d's answers", c)
                            .containsExactlyInAnyOrder(first, first + 1, first + 2, first + 3, first + 4);
                }
            } finally {
                clients.forEach(DatagramSocket::close);
            }
            assertThat(sockets.datagrams()).isEqualTo(2L * perFamily * queriesEach);
            // IPv4 clients come as Inet4Address (not IPv4-mapped IPv6), as Netty gives them to the query path.
            assertThat(echo.clients).containsExactlyInAnyOrder(LOOPBACK_IPV4, LOOPBACK_IPV6);
            assertThat(echo.clients).anyMatch(a -> a instanceof Inet4Address).anyMatch(a -> a instanceof Inet6Address);
        }
    }

    /** Answers each query with itself, QR set, written where the transport's allocator says. */
    private static class Echo implements DatagramSockets.QueryPath {
        final Set<InetAddress> clients = ConcurrentHashMap.newKeySet();
        final List<Integer> cutLengths = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
            clients.add(client);
            ByteBuf out =
                    alloc.ioBuffer(query.readableBytes()).writeBytes(query, query.readerIndex(), query.readableBytes());
            out.setByte(2, out.getByte(2) | 0x80);
            return out;
        }

        @Override
        public ByteBuf answerCut(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
            cutLengths.add(query.readableBytes());
            ByteBuf out = alloc.ioBuffer(12).writeBytes(query, query.readerIndex(), 12);
            out.setByte(2, out.getByte(2) | 0x80);
            out.setByte(3, 1);
            return out;
        }
    }

    /** A port free for UDP now (the transport binds it next; a test binds one at a time). */
    private static int freePort() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(LOOPBACK_IPV4, 0))) {
            return probe.getLocalPort();
        }
    }

    private static List<Thread> readerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("meshdns-udp-") && t.isAlive())
                .toList();
    }

    private static DatagramSocket client(InetAddress family) throws Exception {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(family, 0));
        socket.setSoTimeout(10_000); // a guard against a hang, not a measure
        return socket;
    }

    /** A 12-byte DNS header with ID {@code id}: all the echo needs. */
    private static void send(DatagramSocket client, InetSocketAddress server, int id) throws Exception {
        byte[] header = new byte[12];
        header[0] = (byte) (id >> 8);
        header[1] = (byte) id;
        client.send(new DatagramPacket(header, header.length, server));
    }

    private static DatagramPacket receive(DatagramSocket client) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        client.receive(p);
        assertThat(p.getData()[2] & 0x80).as("QR").isNotZero();
        return p;
    }

    private static int receiveId(DatagramSocket client) throws Exception {
        DatagramPacket p = receive(client);
        return (p.getData()[0] & 0xff) << 8 | p.getData()[1] & 0xff;
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).as("awaited event").isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
