package io.meshdns.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * The ceiling of a UDP transport on this machine: the same sockets as meshdns ({@code ffm}: meshdns's own
 * {@code recvmmsg}/{@code sendmmsg} path, one SO_REUSEPORT socket per thread) with no zone behind them:
 * every query is answered with its own header and question and one fixed A record (192.0.2.1, TTL 5),
 * written in place. {@code bench/dnsperf.sh} measures it in the same run as meshdns, Knot and NSD and
 * reports meshdns as a fraction of it. In this package because the transport is package-private.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -cp meshdns.jar:. io.meshdns.server.transport.BareUdpResponder PORT [THREADS]}
 */
public final class BareUdpResponder {
    /** The answer record: a pointer to the question's name (offset 12), A, IN, TTL 5, 192.0.2.1. */
    private static final byte[] RECORD = {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, (byte) 192, 0, 2, 1};

    private BareUdpResponder() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int threads = args.length > 1
                ? Integer.parseInt(args[1])
                : Runtime.getRuntime().availableProcessors();
        String unavailable = UdpTransportSelector.ffmUnavailable();
        if (unavailable != null) {
            System.err.println("bare responder: the ffm UDP transport cannot run: " + unavailable);
            System.exit(2);
        }
        DatagramSockets sockets = UdpTransportSelector.openFfm(
                new FixedAnswer(), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), threads);
        System.out.println("bare responder on 127.0.0.1 port " + port + " (UDP x" + threads + " on ffm)");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sockets.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    /** Header and question of the query, QR and AA set, one answer: no parsing beyond the question's end. */
    private static final class FixedAnswer implements DatagramSockets.QueryPath {
        @Override
        public ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
            int n = query.readableBytes();
            int base = query.readerIndex();
            if (n < 12 || (query.getByte(base + 2) & 0x80) != 0) {
                return null;
            }
            int end = 12;
            while (end < n && query.getByte(base + end) != 0) {
                end += (query.getByte(base + end) & 0xff) + 1;
            }
            end += 5; // the root label, type and class
            if (end > n) {
                return null;
            }
            ByteBuf out = alloc.ioBuffer(end + RECORD.length);
            out.writeBytes(query, base, end);
            out.setByte(2, 0x84 | (query.getByte(base + 2) & 0x01)); // QR, AA, the query's RD
            out.setByte(3, 0);
            out.setShort(6, 1);
            out.setShort(8, 0);
            out.setShort(10, 0);
            return out.writeBytes(RECORD);
        }

        @Override
        public ByteBuf answerCut(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
            return null;
        }
    }
}
