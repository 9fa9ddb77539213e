package io.meshdns.server.transport;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over UDP through {@code java.lang.foreign} (JDK 22+, Linux x86_64/aarch64): one {@code SO_REUSEPORT}
 * socket per thread, so the kernel spreads queries across threads. A thread blocks in one
 * {@code recvmmsg(MSG_WAITFORONE)} until a datagram arrives and takes every other one already queued, up to
 * {@link #BATCH}, into preallocated off-heap slots; each is answered by {@link DnsServer}'s UDP query path
 * straight into a send slot, and the batch's answers leave in one {@code sendmmsg} to the addresses the
 * queries came from. Two system calls per batch, no object per datagram: the slots are wrapped in Netty
 * buffers once, and a client's {@link InetAddress} is kept in a small per-thread table.
 *
 * <p>An IPv4 bind address gets IPv4 sockets ({@code 0.0.0.0}: any IPv4 address), taking the datagrams Netty's
 * epoll sockets take on its IPv4-mapped form; an IPv6 one IPv6 sockets as Netty's ({@code ::} both
 * families). Closing shuts each socket down for reading, which wakes its thread from {@code recvmmsg} (Linux
 * does so even for an unconnected datagram socket), waits for it, then frees the sockets and slots.
 */
@SuppressWarnings("restricted") // native calls are what this class is for; native access is checked before use
final class FfmDatagramSockets implements DatagramSockets {
    private static final Logger log = LoggerFactory.getLogger(FfmDatagramSockets.class);
    /** Datagrams read (and answers sent) per system call at most. */
    static final int BATCH = 64;
    /** A slot holds any UDP datagram whole (65,507 bytes over IPv4, 65,527 over IPv6) and any UDP answer. */
    static final int SLOT = 64 * 1024;

    // Linux's values, the same on x86_64 and aarch64 (asm-generic).
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_REUSEPORT = 15;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_WAITFORONE = 0x10000;
    private static final int SHUT_RD = 0;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    /** As Netty's UDP sockets. */
    private static final int RECEIVE_BUFFER = 4 * 1024 * 1024;

    /** {@code struct iovec}. */
    static final StructLayout IOVEC =
            MemoryLayout.structLayout(ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));
    /** {@code struct msghdr} (LP64). */
    static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"),
            JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4));
    /** {@code struct mmsghdr}: a message header and the bytes that message received or sent. */
    static final StructLayout MMSGHDR = MemoryLayout.structLayout(
            MSGHDR.withName("msg_hdr"), JAVA_INT.withName("msg_len"), MemoryLayout.paddingLayout(4));
    /** {@code struct sockaddr_in6}; the port and address in network order. */
    static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin6_family"),
            JAVA_SHORT.withName("sin6_port"),
            JAVA_INT.withName("sin6_flowinfo"),
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
            JAVA_INT.withName("sin6_scope_id"));
    /** {@code struct sockaddr_in}. */
    static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin_family"), JAVA_SHORT.withName("sin_port"),
            MemoryLayout.sequenceLayout(4, JAVA_BYTE).withName("sin_addr"), MemoryLayout.sequenceLayout(8, JAVA_BYTE));

    private static final long MMSG_SIZE = MMSGHDR.byteSize();
    private static final long MSG_NAME = MMSGHDR.byteOffset(groupElement("msg_hdr"), groupElement("msg_name"));
    private static final long MSG_NAMELEN = MMSGHDR.byteOffset(groupElement("msg_hdr"), groupElement("msg_namelen"));
    private static final long MSG_IOV = MMSGHDR.byteOffset(groupElement("msg_hdr"), groupElement("msg_iov"));
    private static final long MSG_IOVLEN = MMSGHDR.byteOffset(groupElement("msg_hdr"), groupElement("msg_iovlen"));
    private static final long MSG_FLAGS = MMSGHDR.byteOffset(groupElement("msg_hdr"), groupElement("msg_flags"));
    private static final long MSG_LEN = MMSGHDR.byteOffset(groupElement("msg_len"));
    private static final long IOV_SIZE = IOVEC.byteSize();
    private static final long IOV_BASE = IOVEC.byteOffset(groupElement("iov_base"));
    private static final long IOV_LEN = IOVEC.byteOffset(groupElement("iov_len"));
    /** Room for either address family's source address in each receive slot. */
    private static final long NAME_SIZE = SOCKADDR_IN6.byteSize();

    private static final long IN6_ADDR = SOCKADDR_IN6.byteOffset(groupElement("sin6_addr"));
    private static final long IN6_SCOPE = SOCKADDR_IN6.byteOffset(groupElement("sin6_scope_id"));
    private static final long IN_ADDR = SOCKADDR_IN.byteOffset(groupElement("sin_addr"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final MethodHandle SOCKET = errnoCall("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SETSOCKOPT =
            errnoCall("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle BIND = errnoCall("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    // The message vectors go as raw addresses (a pointer is a 64-bit integer argument on LP64): a MemorySegment
    // of the shared arena would be acquired and released (two atomic updates) around every call. They stay
    // valid while the reader runs: close() frees them only after its thread has stopped.
    private static final MethodHandle RECVMMSG =
            errnoCall("recvmmsg", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle SENDMMSG =
            errnoCall("sendmmsg", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT);
    private static final MethodHandle SHUTDOWN = errnoCall("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CLOSE = errnoCall("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle MMAP =
            errnoCall("mmap", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = errnoCall("munmap", JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            symbol("strerror"),
            FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, JAVA_BYTE)), JAVA_INT));

    private final List<Reader> readers = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private volatile boolean closing;

    private FfmDatagramSockets() {}

    /** Why this path cannot run here, or {@code null}: native access must be enabled for this class's module. */
    static String unavailable() {
        if (!FfmDatagramSockets.class.getModule().isNativeAccessEnabled()) {
            return "native access is not enabled: run java with --enable-native-access=ALL-UNNAMED"
                    + " (java -jar meshdns.jar enables it from the jar's manifest)";
        }
        return null;
    }

    /**
     * Binds {@code sockets} sockets to {@code at}, each read by a thread of its own.
     *
     * @throws IOException the address is taken or not on this host (with the system's words)
     */
    static DatagramSockets open(DatagramSockets.QueryPath path, InetSocketAddress at, int sockets) throws IOException {
        return open(path, at, sockets, BATCH, SLOT);
    }

    /** As {@link #open(DatagramSockets.QueryPath, InetSocketAddress, int)} with {@code batch} slots of {@code slot} bytes. */
    static FfmDatagramSockets open(
            DatagramSockets.QueryPath path, InetSocketAddress at, int sockets, int batch, int slot) throws IOException {
        FfmDatagramSockets set = new FfmDatagramSockets();
        try {
            for (int i = 0; i < sockets; i++) {
                set.readers.add(set.new Reader(path, at, batch, slot, i));
            }
        } catch (IOException | RuntimeException e) {
            set.close();
            throw e;
        }
        for (Reader r : set.readers) {
            r.thread.start();
        }
        return set;
    }

    @Override
    public boolean serving() {
        if (closing || readers.isEmpty()) {
            return false;
        }
        for (Reader r : readers) {
            if (!r.thread.isAlive() && r.thread.getState() != Thread.State.NEW) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long reads() {
        long n = 0;
        for (Reader r : readers) {
            n += r.reads;
        }
        return n;
    }

    @Override
    public long datagrams() {
        long n = 0;
        for (Reader r : readers) {
            n += r.datagrams;
        }
        return n;
    }

    @Override
    public void close() {
        closing = true;
        long start = System.nanoTime();
        MemorySegment state = arena.allocate(CALL_STATE);
        for (Reader r : readers) {
            if (r.fd >= 0) {
                // ENOTCONN for an unconnected socket, but the reader is woken: recvmmsg returns 0.
                call(() -> (int) SHUTDOWN.invokeExact(state, r.fd, SHUT_RD));
            }
        }
        boolean stopped = true;
        for (Reader r : readers) {
            if (r.thread.getState() != Thread.State.NEW) {
                try {
                    r.thread.join(TimeUnit.SECONDS.toMillis(2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            stopped &= !r.thread.isAlive();
        }
        for (Reader r : readers) {
            if (r.fd >= 0) {
                call(() -> (int) CLOSE.invokeExact(state, r.fd));
            }
        }
        if (!stopped) {
            // Never free memory a thread may still be reading into: leak it instead (this has not been seen).
            log.warn("a UDP reader thread did not stop within 2 s; its slots are not freed");
            return;
        }
        for (Reader r : readers) {
            r.unmap(state);
        }
        arena.close();
        log.info(
                "UDP sockets closed, {} reader threads stopped, in {} µs",
                readers.size(),
                (System.nanoTime() - start) / 1000);
    }

    /** One socket, its slots and the thread that reads it. */
    private final class Reader implements Runnable {
        final Thread thread;
        final int fd;
        final int batch;
        final int slot;
        final DatagramSockets.QueryPath path;
        /** {@code recvmmsg}'s headers, each pointing at its receive slot and source address. */
        final MemorySegment received;
        /** {@code sendmmsg}'s headers, each pointing at its send slot and at a source address in {@link #names}. */
        final MemorySegment sending;

        final MemorySegment sendIov;
        final MemorySegment names;
        /** The mapped receive and send slots ({@code batch} each), committed by the kernel as they are touched. */
        final MemorySegment slots;

        final ByteBuf[] in;
        final ByteBuf[] out;
        final long outBase;
        final SendSlot alloc = new SendSlot();
        final ClientAddresses clients = new ClientAddresses();
        /** Written by this reader's thread only, once per batch. */
        volatile long reads;

        volatile long datagrams;

        Reader(DatagramSockets.QueryPath path, InetSocketAddress at, int batch, int slot, int index)
                throws IOException {
            this.path = path;
            this.batch = batch;
            this.slot = slot;
            MemorySegment state = arena.allocate(CALL_STATE);
            this.received = arena.allocate(MMSGHDR, batch);
            this.sending = arena.allocate(MMSGHDR, batch);
            MemorySegment recvIov = arena.allocate(IOVEC, batch);
            this.sendIov = arena.allocate(IOVEC, batch);
            this.names = arena.allocate(NAME_SIZE * batch, 8);
            // mmap, not Arena.allocate: the arena zeroes (touches) every page; a mapping costs only the pages used.
            long bytes = 2L * batch * slot;
            MemorySegment mapped = call(() -> (MemorySegment)
                    MMAP.invokeExact(state, MemorySegment.NULL, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L));
            if (mapped.address() == -1L) {
                throw new IOException("mmap of " + bytes + " bytes of UDP slots failed: " + strerror(errno(state)));
            }
            this.slots = mapped.reinterpret(bytes);
            this.in = new ByteBuf[batch];
            this.out = new ByteBuf[batch];
            this.outBase = slots.address() + (long) batch * slot;
            for (int i = 0; i < batch; i++) {
                MemorySegment inSlot = slots.asSlice((long) i * slot, slot);
                MemorySegment outSlot = slots.asSlice((long) (batch + i) * slot, slot);
                // Wrapped once; release() does nothing, so the responder's buffers never free the slots.
                in[i] = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(inSlot.asByteBuffer()));
                out[i] = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(outSlot.asByteBuffer()));
                long r = i * MMSG_SIZE;
                recvIov.set(ADDRESS, i * IOV_SIZE + IOV_BASE, inSlot);
                recvIov.set(JAVA_LONG, i * IOV_SIZE + IOV_LEN, slot);
                received.set(ADDRESS, r + MSG_IOV, recvIov.asSlice(i * IOV_SIZE, IOV_SIZE));
                received.set(JAVA_LONG, r + MSG_IOVLEN, 1);
                received.set(ADDRESS, r + MSG_NAME, names.asSlice(i * NAME_SIZE, NAME_SIZE));
                sendIov.set(ADDRESS, i * IOV_SIZE + IOV_BASE, outSlot);
                sending.set(ADDRESS, r + MSG_IOV, sendIov.asSlice(i * IOV_SIZE, IOV_SIZE));
                sending.set(JAVA_LONG, r + MSG_IOVLEN, 1);
            }
            this.fd = bind(at, state);
            this.thread = new FastThreadLocalThread(this, "meshdns-udp-" + index);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            // errno is captured into memory of this thread's own arena: a confined arena's segment costs a downcall
            // no atomic update, a shared one's two.
            try (Arena confined = Arena.ofConfined()) {
                run(confined.allocate(CALL_STATE));
            }
        }

        private void run(MemorySegment state) {
            long headers = received.address();
            int written = batch;
            while (!closing) {
                // The kernel writes back how long each source address was, into the headers of the datagrams it
                // returned only: those get their room back (msg_flags is only written, never read, by recvmmsg).
                for (int i = 0; i < written; i++) {
                    received.set(JAVA_INT, i * MMSG_SIZE + MSG_NAMELEN, (int) NAME_SIZE);
                }
                written = 0;
                int n;
                try {
                    n = (int) RECVMMSG.invokeExact(state, fd, headers, batch, MSG_WAITFORONE, 0L);
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
                if (n <= 0) {
                    // 0: woken by close's shutdown. EINTR and EAGAIN: try again. Anything else is not this datagram's
                    // fault (ENOMEM...): keep serving, quietly, as Netty's listener does.
                    if (n < 0 && !closing) {
                        int errno = errno(state);
                        if (errno != EINTR && errno != EAGAIN) {
                            log.debug("recvmmsg failed: {}", strerror(errno));
                        }
                    }
                    continue;
                }
                written = n;
                long readAt = System.nanoTime();
                reads++;
                datagrams += n;
                answer(n, readAt, state);
            }
        }

        /**
         * Answers the {@code n} datagrams just read at {@code readAt} ({@link System#nanoTime}), then sends the
         * answers in one batch.
         */
        private void answer(int n, long readAt, MemorySegment state) {
            int answers = 0;
            for (int i = 0; i < n; i++) {
                long r = i * MMSG_SIZE;
                int length = received.get(JAVA_INT, r + MSG_LEN);
                boolean cut = (received.get(JAVA_INT, r + MSG_FLAGS) & MSG_TRUNC) != 0;
                InetAddress client = clients.of(names, i * NAME_SIZE, received.get(JAVA_INT, r + MSG_NAMELEN));
                ByteBuf query = in[i].setIndex(0, Math.min(length, slot));
                ByteBuf sendSlot = out[answers];
                alloc.offer(sendSlot);
                ByteBuf answer =
                        cut ? path.answerCut(query, client, alloc, readAt) : path.answer(query, client, alloc, readAt);
                if (answer == null) {
                    continue;
                }
                int size = answer.readableBytes();
                long from;
                if (answer == sendSlot) {
                    from = outBase + (long) answers * slot + answer.readerIndex();
                } else {
                    // Written elsewhere (a second allocation): copied into the send slot when it fits, else dropped.
                    if (size <= slot) {
                        sendSlot.clear().writeBytes(answer, answer.readerIndex(), size);
                    }
                    answer.release();
                    if (size > slot) {
                        continue;
                    }
                    from = outBase + (long) answers * slot;
                }
                long s = answers * MMSG_SIZE;
                sendIov.set(JAVA_LONG, answers * IOV_SIZE + IOV_BASE, from);
                sendIov.set(JAVA_LONG, answers * IOV_SIZE + IOV_LEN, size);
                // To the address the query came from: the name it was read into, until the next recvmmsg.
                sending.set(JAVA_LONG, s + MSG_NAME, names.address() + i * NAME_SIZE);
                sending.set(JAVA_INT, s + MSG_NAMELEN, received.get(JAVA_INT, r + MSG_NAMELEN));
                answers++;
            }
            send(answers, state);
        }

        private void send(int count, MemorySegment state) {
            int sent = 0;
            while (sent < count) {
                int n;
                try {
                    n = (int) SENDMMSG.invokeExact(state, fd, sending.address() + sent * MMSG_SIZE, count - sent, 0);
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
                if (n > 0) {
                    sent += n;
                } else if (errno(state) != EINTR) {
                    // This answer cannot go (an address the kernel refuses): skip it, send the others.
                    log.debug("sendmmsg failed: {}", strerror(errno(state)));
                    sent++;
                }
            }
        }

        void unmap(MemorySegment callState) {
            long bytes = slots.byteSize();
            call(() -> (int) MUNMAP.invokeExact(callState, slots, bytes));
        }
    }

    /**
     * Opens and binds one SO_REUSEPORT datagram socket: IPv4 for an IPv4 address, IPv6 (dual-stack as Netty's)
     * for an IPv6 one.
     */
    private int bind(InetSocketAddress at, MemorySegment state) throws IOException {
        InetAddress host = at.getAddress();
        // An IPv4 address gets an IPv4 socket: the datagrams its mapped form would take on an IPv6 socket (IPv4
        // only), without the IPv6 layer handing each one over to IPv4 (udpv6_sendmsg, mapped source addresses).
        boolean v6 = !(host instanceof Inet4Address);
        int fd = call(() -> (int) SOCKET.invokeExact(state, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (fd < 0) {
            throw new IOException("socket: " + strerror(errno(state)));
        }
        final int socket = fd;
        try {
            setInt(socket, SOL_SOCKET, SO_REUSEPORT, 1, state);
            setInt(socket, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER, state);
            MemorySegment address;
            if (v6) {
                setInt(socket, IPPROTO_IPV6, IPV6_V6ONLY, 0, state);
                address = arena.allocate(SOCKADDR_IN6);
                address.set(JAVA_SHORT, 0, (short) AF_INET6);
                byte[] bytes = host.getAddress();
                if (bytes.length == 4) { // ::ffff:a.b.c.d
                    address.set(JAVA_BYTE, IN6_ADDR + 10, (byte) 0xff);
                    address.set(JAVA_BYTE, IN6_ADDR + 11, (byte) 0xff);
                    MemorySegment.copy(bytes, 0, address, JAVA_BYTE, IN6_ADDR + 12, 4);
                } else {
                    MemorySegment.copy(bytes, 0, address, JAVA_BYTE, IN6_ADDR, 16);
                    address.set(JAVA_INT, IN6_SCOPE, ((Inet6Address) host).getScopeId());
                }
            } else {
                address = arena.allocate(SOCKADDR_IN);
                address.set(JAVA_SHORT, 0, (short) AF_INET);
                MemorySegment.copy(host.getAddress(), 0, address, JAVA_BYTE, IN_ADDR, 4);
            }
            address.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) at.getPort());
            MemorySegment bound = address;
            int rc = call(() -> (int) BIND.invokeExact(state, socket, bound, (int) bound.byteSize()));
            if (rc < 0) {
                throw new IOException(
                        "bind(" + host.getHostAddress() + " port " + at.getPort() + "): " + strerror(errno(state)));
            }
            return socket;
        } catch (IOException | RuntimeException e) {
            call(() -> (int) CLOSE.invokeExact(state, socket));
            throw e;
        }
    }

    private static void setInt(int fd, int level, int option, int value, MemorySegment state) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            int rc = call(() -> (int) SETSOCKOPT.invokeExact(state, fd, level, option, v, (int) JAVA_INT.byteSize()));
            if (rc < 0) {
                throw new IOException("setsockopt(" + level + ", " + option + "): " + strerror(errno(state)));
            }
        }
    }

    /**
     * A client's {@link InetAddress} (what the query path takes) by its socket address bytes: a direct-mapped
     * table per thread, so a client that asks again costs no object. IPv4-mapped addresses become
     * {@link Inet4Address}es, as Netty's epoll sockets give them.
     */
    private static final class ClientAddresses {
        private static final int SIZE = 256;
        private final long[] high = new long[SIZE];
        private final long[] low = new long[SIZE];
        private final int[] scope = new int[SIZE];
        private final InetAddress[] address = new InetAddress[SIZE];

        InetAddress of(MemorySegment names, long at, int length) {
            long hi;
            long lo;
            int sc;
            boolean v6 = names.get(JAVA_SHORT, at) == AF_INET6;
            if (v6) {
                hi = names.get(JAVA_LONG_UNALIGNED, at + IN6_ADDR);
                lo = names.get(JAVA_LONG_UNALIGNED, at + IN6_ADDR + 8);
                sc = names.get(JAVA_INT, at + IN6_SCOPE);
            } else {
                hi = 0;
                lo = names.get(JAVA_INT, at + IN_ADDR) & 0xffffffffL;
                sc = -1;
            }
            long h = (hi * 0x9E3779B97F4A7C15L) ^ (lo * 0xC2B2AE3D27D4EB4FL) ^ sc;
            int slot = (int) (h ^ (h >>> 29) ^ (h >>> 47)) & (SIZE - 1);
            InetAddress known = address[slot];
            if (known != null && high[slot] == hi && low[slot] == lo && scope[slot] == sc) {
                return known;
            }
            InetAddress made = make(names, at, v6, sc);
            high[slot] = hi;
            low[slot] = lo;
            scope[slot] = sc;
            address[slot] = made;
            return made;
        }

        private static InetAddress make(MemorySegment names, long at, boolean v6, int scopeId) {
            try {
                if (!v6) {
                    return InetAddress.getByAddress(
                            names.asSlice(at + IN_ADDR, 4).toArray(JAVA_BYTE));
                }
                byte[] bytes = names.asSlice(at + IN6_ADDR, 16).toArray(JAVA_BYTE);
                boolean mapped = bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
                for (int i = 0; i < 10 && mapped; i++) {
                    mapped = bytes[i] == 0;
                }
                if (mapped) {
                    return InetAddress.getByAddress(java.util.Arrays.copyOfRange(bytes, 12, 16));
                }
                return scopeId == 0 ? InetAddress.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, scopeId);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // only for a wrong length, which cannot be
            }
        }
    }

    /**
     * The responder's allocator for one answer: the first buffer it asks for is the send slot (cleared), so the
     * answer is written where {@code sendmmsg} reads it; any further one comes from the heap (never seen on the
     * UDP path, and copied into the slot afterwards).
     */
    private static final class SendSlot implements ByteBufAllocator {
        private static final ByteBufAllocator HEAP = UnpooledByteBufAllocator.DEFAULT;
        private ByteBuf slot;

        void offer(ByteBuf sendSlot) {
            slot = sendSlot;
        }

        private ByteBuf take(int initialCapacity) {
            ByteBuf s = slot;
            if (s == null || initialCapacity > s.capacity()) {
                return HEAP.heapBuffer(initialCapacity);
            }
            slot = null;
            return s.clear();
        }

        @Override
        public ByteBuf buffer() {
            return take(0);
        }

        @Override
        public ByteBuf buffer(int initialCapacity) {
            return take(initialCapacity);
        }

        @Override
        public ByteBuf buffer(int initialCapacity, int maxCapacity) {
            return take(initialCapacity);
        }

        @Override
        public ByteBuf ioBuffer() {
            return take(0);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            return take(initialCapacity);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
            return take(initialCapacity);
        }

        @Override
        public ByteBuf heapBuffer() {
            return HEAP.heapBuffer();
        }

        @Override
        public ByteBuf heapBuffer(int initialCapacity) {
            return HEAP.heapBuffer(initialCapacity);
        }

        @Override
        public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
            return HEAP.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public ByteBuf directBuffer() {
            return take(0);
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity) {
            return take(initialCapacity);
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
            return take(initialCapacity);
        }

        @Override
        public CompositeByteBuf compositeBuffer() {
            return HEAP.compositeHeapBuffer();
        }

        @Override
        public CompositeByteBuf compositeBuffer(int maxNumComponents) {
            return HEAP.compositeHeapBuffer(maxNumComponents);
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer() {
            return HEAP.compositeHeapBuffer();
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
            return HEAP.compositeHeapBuffer(maxNumComponents);
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer() {
            return HEAP.compositeHeapBuffer();
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
            return HEAP.compositeHeapBuffer(maxNumComponents);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        @Override
        public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
            return HEAP.calculateNewCapacity(minNewCapacity, maxCapacity);
        }
    }

    private interface NativeCall {
        int call() throws Throwable;
    }

    private interface NativeAddressCall {
        MemorySegment call() throws Throwable;
    }

    private static int call(NativeCall c) {
        try {
            return c.call();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemorySegment call(NativeAddressCall c) {
        try {
            return c.call();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.getString(0) + " (errno " + errno + ")";
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /** A libc function whose errno is captured right after the call, before the JVM can overwrite it. */
    private static MethodHandle errnoCall(String name, MemoryLayout result, MemoryLayout... arguments) {
        return LINKER.downcallHandle(
                symbol(name), FunctionDescriptor.of(result, arguments), Linker.Option.captureCallState("errno"));
    }
}
