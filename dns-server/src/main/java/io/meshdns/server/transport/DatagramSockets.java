package io.meshdns.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;

/**
 * DNS over UDP on sockets of meshdns's own rather than Netty's: the {@code java.lang.foreign} datagram path
 * ({@code FfmDatagramSockets}, JDK 22+, in the multi-release part of the jar), opened by {@link UdpTransportSelector}.
 * TCP, DNS over TLS and HTTP stay on Netty.
 */
interface DatagramSockets extends AutoCloseable {
    /** Whether every socket is open and its thread still reading. */
    boolean serving();

    /** The {@code recvmmsg} calls that returned datagrams, over all sockets: with {@link #datagrams}, the batching. */
    long reads();

    /** The datagrams read, over all sockets. */
    long datagrams();

    /** Wakes every reading thread (none is left blocked in a system call), waits for it, then frees the sockets. */
    @Override
    void close();

    /** What the transport does with each datagram: {@link DnsServer}'s UDP query path, the Netty path's own. */
    interface QueryPath {
        /**
         * The answer to one UDP query, or {@code null} to drop it: the responder, SERVFAIL for a bug, metrics,
         * the query log and response rate limiting, as over Netty.
         *
         * @param query the datagram; not released
         * @param alloc where the answer is written (the transport hands out its own send slot)
         */
        ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc);

        /**
         * The answer to a datagram longer than the slot it was read into, whose end the kernel dropped: FORMERR
         * echoing its header (it was not received whole), or {@code null} to drop it. Counted like any answer.
         */
        ByteBuf answerCut(ByteBuf query, InetAddress client, ByteBufAllocator alloc);

        /**
         * As {@link #answer(ByteBuf, InetAddress, ByteBufAllocator)} for a datagram read at {@code readAt}
         * ({@link System#nanoTime}, read once for all the datagrams of one {@code recvmmsg}): the transport's way
         * in, so that the time to answer is measured from the read, with one clock read per query.
         */
        default ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc, long readAt) {
            return answer(query, client, alloc);
        }

        /** As {@link #answerCut(ByteBuf, InetAddress, ByteBufAllocator)} for a datagram read at {@code readAt}. */
        default ByteBuf answerCut(ByteBuf query, InetAddress client, ByteBufAllocator alloc, long readAt) {
            return answerCut(query, client, alloc);
        }
    }
}
