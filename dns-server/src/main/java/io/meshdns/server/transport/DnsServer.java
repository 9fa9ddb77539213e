package io.meshdns.server.transport;

import io.meshdns.server.answer.QueryResponder;
import io.meshdns.server.answer.Responses;
import io.meshdns.server.config.ServerConfig;
import io.meshdns.server.config.UdpTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollMode;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS over UDP and TCP on one address and port, and optionally DNS over TLS on another, with Netty. With
 * native epoll, one UDP socket per event-loop thread shares the port through SO_REUSEPORT so the kernel
 * spreads queries across threads.
 * Queries are answered on the event loop that read them: the responder never blocks.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
    /**
     * The longest UDP query read whole: the largest UDP payload over IPv4. A query may legally be as long as
     * its sender's advertised EDNS size (padded queries, RFC 7830, are), so none is cut.
     */
    public static final int MAX_UDP_QUERY = 65507;
    /** Queries read per recvmmsg system call, when the socket holds that many. */
    static final int READ_BATCH = 16;
    /** One debug line per query when this logger is at debug ({@code --query-log}); off by default. */
    public static final String QUERY_LOG = "io.meshdns.server.QueryLog";

    private final QueryResponder responder;
    private final QueryMetrics metrics;
    /** Read once: when off, the query path pays one branch on a final field. */
    private final Logger queryLog;

    private final long tcpQueryMillis;
    private final TcpConnections tcpConnections;
    /** Each TCP connection's answers not taken: over the high mark it is not read until below the low one. */
    private final WriteBufferWaterMark tcpOutputMarks;
    /** {@code null} when rate limiting is off: the query path then pays one branch. */
    private final ResponseRateLimiter rateLimiter;

    private final EventLoopGroup group;
    /**
     * The bytes of answers a TCP connection's socket may hold not yet sent (TCP_NOTSENT_LOWAT): beyond them (and
     * what is in flight to the client) answers wait in the connection's output, where the write deadline sees
     * them move as the client reads and the output budget counts them. Without it the kernel takes megabytes
     * (its send buffer grows to net.ipv4.tcp_wmem's maximum) and the output moves only when most of them are
     * gone: a secondary steadily taking a large zone transfer at a few hundred KB/s was cut as not reading, and
     * a slow client's answers sat in the kernel, uncounted.
     */
    private static final long TCP_NOT_SENT_LIMIT = 16 * 1024;

    /** Event-loop threads; with epoll, one UDP socket each. */
    private final int threads;

    private final boolean epoll;
    /** The UDP transport that runs: Netty's sockets, or {@code ffm}, meshdns's own ({@link DatagramSockets}). */
    private final UdpTransport udpTransport;

    private final List<Channel> channels = new ArrayList<>();
    /** The FFM transport's sockets; {@code null} with Netty's. */
    private DatagramSockets datagramSockets;

    private InetSocketAddress address;
    private InetSocketAddress dotAddress;
    /**
     * Runs the TLS handshakes' key exchange and signatures (the JDK engine's delegated tasks) off the event
     * loops, so a burst of new DoT connections does not hold up UDP answers. Null until DoT starts.
     */
    private ExecutorService handshakes;

    /**
     * @param tcpIdle how long a TCP connection may stay without traffic
     * @param tcpQueryTimeout how long a query may take to arrive whole over TCP, from its first byte
     * @param maxTcpConnections the cap on open TCP connections, in all and from one source address
     * @param maxTcpPendingOutput the bytes of answers not taken by their clients that TCP connections may hold
     *     in all; over it, the connection holding the most is closed
     * @param maxTcpPendingOutputPerConnection the same for one connection: the high write-buffer water mark
     *     (the low one is half of it), over which it is not read
     * @param rateLimit response rate limiting of UDP answers
     * @param udpTransport the UDP sockets asked for; {@code auto} runs {@code ffm} where the runtime allows it
     * @throws IllegalStateException {@code ffm} asked for where it cannot run, saying why
     */
    public DnsServer(
            QueryResponder responder,
            QueryMetrics metrics,
            int threads,
            Duration tcpIdle,
            Duration tcpQueryTimeout,
            int maxTcpConnections,
            int maxTcpConnectionsPerSource,
            long maxTcpPendingOutput,
            long maxTcpPendingOutputPerConnection,
            ServerConfig.RateLimit rateLimit,
            UdpTransport udpTransport) {
        this.udpTransport = UdpTransportSelector.resolve(udpTransport);
        this.responder = responder;
        this.metrics = metrics;
        Logger q = LoggerFactory.getLogger(QUERY_LOG);
        this.queryLog = q.isDebugEnabled() ? q : null;
        this.tcpQueryMillis = tcpQueryTimeout.toMillis();
        this.tcpConnections = new TcpConnections(
                maxTcpConnections,
                maxTcpConnectionsPerSource,
                tcpIdle,
                tcpQueryTimeout,
                maxTcpPendingOutput,
                metrics::tcpClosed);
        metrics.tcpPendingOutput(tcpConnections::pendingOutput);
        int high = (int) Math.min(Integer.MAX_VALUE, maxTcpPendingOutputPerConnection);
        this.tcpOutputMarks = new WriteBufferWaterMark(high / 2, high);
        this.rateLimiter = rateLimit.enabled()
                ? new ResponseRateLimiter(rateLimit.responsesPerSecond(), rateLimit.slip(), rateLimit.window())
                : null;
        this.threads = threads;
        this.epoll = Epoll.isAvailable();
        this.group = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
        metrics.udpTransport(udpTransportName());
    }

    /** The UDP transport that runs: {@code ffm}, {@code netty-epoll} or {@code netty-nio}. */
    public String udpTransportName() {
        return UdpTransportSelector.runningName(udpTransport);
    }

    /** Binds TCP then UDP on the same port; port 0 picks a free port for both. */
    public DnsServer start(InetAddress host, int port) throws Exception {
        for (int attempt = 0; ; attempt++) {
            Channel tcp = bindTcp(new InetSocketAddress(host, port));
            int bound = ((InetSocketAddress) tcp.localAddress()).getPort();
            List<Channel> udp = new ArrayList<>();
            try {
                int sockets = epoll || udpTransport == UdpTransport.FFM ? threads : 1;
                if (udpTransport == UdpTransport.FFM) {
                    datagramSockets = UdpTransportSelector.openFfm(
                            new UdpQueryPath(), new InetSocketAddress(host, bound), sockets);
                } else {
                    for (int i = 0; i < sockets; i++) {
                        udp.add(bindUdp(new InetSocketAddress(host, bound)));
                    }
                }
                channels.add(tcp);
                channels.addAll(udp);
                address = new InetSocketAddress(host, bound);
                log.info(
                        "DNS listening on {} port {} (UDP x{} on {}, TCP on {})",
                        host.getHostAddress(),
                        bound,
                        sockets,
                        udpTransportName(),
                        epoll ? "epoll" : "nio");
                return this;
            } catch (Exception e) {
                tcp.close().sync();
                for (Channel c : udp) {
                    c.close().sync();
                }
                if (datagramSockets != null) {
                    datagramSockets.close();
                    datagramSockets = null;
                }
                // A free TCP port whose UDP twin is taken: only worth retrying when we chose the port.
                if (port != 0 || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Where DNS over TLS is served, or {@code null} when it is off. */
    public InetSocketAddress dotAddress() {
        return dotAddress;
    }

    /**
     * DNS over TLS (RFC 7858) on {@code bind}/{@code port}: the TCP query path behind TLS, with the same
     * connection caps (the plain TCP and TLS connections count together), idle timeout and query deadline; a
     * handshake must finish within the query deadline. Each connection takes the certificate current when it
     * is accepted.
     */
    public DnsServer startTls(InetAddress host, int port, DotCertificate certificate) throws InterruptedException {
        int handshakeThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        handshakes = Executors.newFixedThreadPool(handshakeThreads, r -> {
            Thread t = new Thread(r, "meshdns-tls-handshake");
            t.setDaemon(true);
            return t;
        });
        Channel dot = tcpBootstrap(QueryMetrics.Proto.DOT, certificate)
                .bind(new InetSocketAddress(host, port))
                .sync()
                .channel();
        channels.add(dot);
        dotAddress = (InetSocketAddress) dot.localAddress();
        log.info(
                "DNS over TLS listening on {} port {} (TLSv1.3, TLSv1.2)", host.getHostAddress(), dotAddress.getPort());
        return this;
    }

    private Channel bindTcp(InetSocketAddress at) throws InterruptedException {
        return tcpBootstrap(QueryMetrics.Proto.TCP, null).bind(at).sync().channel();
    }

    /** The TCP query path; behind TLS with the certificate's current context when {@code certificate} is set. */
    private ServerBootstrap tcpBootstrap(QueryMetrics.Proto proto, DotCertificate certificate) {
        ServerBootstrap bootstrap = new ServerBootstrap();
        if (epoll) {
            bootstrap.childOption(EpollChannelOption.TCP_NOTSENT_LOWAT, TCP_NOT_SENT_LIMIT);
        }
        return bootstrap
                .group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, tcpOutputMarks)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (certificate != null) {
                            SslHandler tls = certificate.context().newHandler(ch.alloc(), handshakes);
                            // A stalled handshake is cut at the query deadline (the deadline below counts decrypted
                            // bytes).
                            tls.setHandshakeTimeoutMillis(tcpQueryMillis);
                            ch.pipeline().addLast(tls);
                        }
                        ChannelHandler[] guard = tcpConnections.handlers();
                        ch.pipeline()
                                .addLast(
                                        guard[0], // caps, idle time, the query deadline and the output's see every
                                        // (decrypted) byte
                                        guard[1], // the two-byte length framing (RFC 1035 4.2.2), held back while the
                                        // output is full; it sees every whole message
                                        new TcpQueryHandler(proto));
                    }
                });
    }

    private Channel bindUdp(InetSocketAddress at) throws InterruptedException {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_UDP_QUERY))
                .handler(new UdpQueryHandler());
        if (epoll) {
            // One recvmmsg reads up to READ_BATCH queries, each slot MAX_UDP_QUERY bytes (a pooled buffer, reused;
            // the kernel copies only what arrived); the answers leave in one sendmmsg. Level-triggered, one
            // recvmmsg per wake-up: edge-triggered epoll must read until EAGAIN, a wasted system call per wake-up
            // (a quarter of all calls at moderate load); a full batch is read again at once, as there may be more.
            b.option(EpollChannelOption.SO_REUSEPORT, true)
                    .option(EpollChannelOption.EPOLL_MODE, EpollMode.LEVEL_TRIGGERED)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_UDP_QUERY)
                    .option(
                            ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(MAX_UDP_QUERY * READ_BATCH).maxMessagesPerRead(1));
        }
        return b.bind(at).sync().channel();
    }

    /** Whether every UDP and TCP listener is still open. */
    public boolean listening() {
        if (channels.isEmpty() || datagramSockets != null && !datagramSockets.serving()) {
            return false;
        }
        for (Channel c : channels) {
            if (!c.isActive()) {
                return false;
            }
        }
        return true;
    }

    @ChannelHandler.Sharable
    private final class UdpQueryHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf answer = answerUdp(packet.content(), packet.sender().getAddress(), ctx.alloc());
            if (answer != null) {
                ctx.write(new DatagramPacket(answer, packet.sender()), ctx.voidPromise());
            }
        }

        /** After every query of one read: the answers written since go out together (sendmmsg with epoll). */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("UDP listener error (ignored): {}", cause.toString());
        }
    }

    /**
     * The UDP query path, whichever transport reads the datagram: the answer, SERVFAIL for a bug, metrics, the
     * query log, then response rate limiting.
     *
     * @return the answer to send, owned by the caller, or {@code null} to drop the query
     */
    private ByteBuf answerUdp(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
        return answerUdp(query, client, alloc, System.nanoTime());
    }

    /** @param start when the query was read ({@link System#nanoTime}): its time to answer counts from there */
    private ByteBuf answerUdp(ByteBuf query, InetAddress client, ByteBufAllocator alloc, long start) {
        ByteBuf answer;
        try {
            answer = responder.respond(query, client, false, alloc);
        } catch (RuntimeException e) {
            answer = servfail(query, e);
        }
        long nanos = System.nanoTime() - start;
        metrics.record(QueryMetrics.Proto.UDP, responder.lastQueryType(), query, answer, nanos);
        if (queryLog != null) {
            logQuery(client, "udp", query, answer, nanos);
        }
        // A query with a valid server cookie (RFC 7873) comes from its real address: not rate limited.
        if (answer != null && rateLimiter != null && !responder.lastQueryHadValidCookie()) {
            answer = rateLimited(client, answer);
        }
        return answer;
    }

    /** The answer to send under the rate limit: as is, slipped (truncated), or {@code null} (dropped). */
    private ByteBuf rateLimited(InetAddress client, ByteBuf answer) {
        switch (rateLimiter.check(client, System.nanoTime())) {
            case ANSWER:
                return answer;
            case SLIP:
                metrics.rrlSlipped();
                return ResponseRateLimiter.truncate(answer);
            default:
                metrics.rrlDropped();
                answer.release();
                return null;
        }
    }

    /** The FFM transport's way into {@link #answerUdp}. */
    private final class UdpQueryPath implements DatagramSockets.QueryPath {
        @Override
        public ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
            return answerUdp(query, client, alloc);
        }

        /** From the {@code recvmmsg} that read it: one clock read per query, the other per batch. */
        @Override
        public ByteBuf answer(ByteBuf query, InetAddress client, ByteBufAllocator alloc, long readAt) {
            return answerUdp(query, client, alloc, readAt);
        }

        @Override
        public ByteBuf answerCut(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
            return answerCut(query, client, alloc, System.nanoTime());
        }

        @Override
        public ByteBuf answerCut(ByteBuf query, InetAddress client, ByteBufAllocator alloc, long start) {
            byte[] header = new byte[Math.min(query.readableBytes(), 12)];
            query.getBytes(query.readerIndex(), header);
            byte[] formerr = Responses.formerr(header);
            ByteBuf answer =
                    formerr == null ? null : alloc.ioBuffer(formerr.length).writeBytes(formerr);
            long nanos = System.nanoTime() - start;
            metrics.record(QueryMetrics.Proto.UDP, query, answer, nanos);
            if (queryLog != null) {
                logQuery(client, "udp", query, answer, nanos);
            }
            return answer != null && rateLimiter != null ? rateLimited(client, answer) : answer;
        }
    }

    /** One per connection (it holds the connection's reused list of messages to send). */
    private final class TcpQueryHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final QueryMetrics.Proto proto;
        /** The messages answering the query being handled: one, or a zone transfer's; emptied after each. */
        private final List<ByteBuf> answers = new ArrayList<>(1);

        private InetAddress client;

        TcpQueryHandler(QueryMetrics.Proto proto) {
            this.proto = proto;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            super.channelActive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            long start = System.nanoTime();
            try {
                responder.respondTcp(frame, client, proto == QueryMetrics.Proto.DOT, ctx.alloc(), answers);
            } catch (RuntimeException e) {
                release(answers);
                ByteBuf servfail = servfail(frame, e);
                if (servfail != null) {
                    answers.add(servfail);
                }
            }
            long nanos = System.nanoTime() - start;
            ByteBuf first = answers.isEmpty() ? null : answers.get(0);
            metrics.record(proto, frame, first, nanos);
            if (queryLog != null) {
                logQuery(client, proto.label, frame, first, nanos);
            }
            // RFC 7766: queries on one connection are answered as they come (pipelining); each answer is
            // written without waiting for the client to read the previous one. A write that fails reaches
            // exceptionCaught, which closes the connection.
            try {
                for (int i = 0; i < answers.size(); i++) {
                    ctx.write(framed(answers.set(i, null), ctx.alloc()), ctx.voidPromise());
                }
            } finally {
                release(answers);
            }
        }

        /**
         * The message with its two-byte length in front (RFC 1035 4.2.2), in one buffer: one write, one entry in
         * the connection's output and one iovec, where a separate prefix buffer costs a second of each. An answer
         * written with room for the length before it (the responder leaves it) gets it there, in place; any other
         * message is copied behind it.
         */
        private static ByteBuf framed(ByteBuf message, ByteBufAllocator alloc) {
            int length = message.readableBytes();
            int at = message.readerIndex() - QueryResponder.TCP_LENGTH_PREFIX;
            if (length > TcpConnections.MAX_MESSAGE) {
                message.release();
                throw new IllegalStateException("a DNS message of " + length + " bytes has no TCP length prefix");
            }
            if (at >= 0) {
                return message.setShort(at, length).readerIndex(at);
            }
            try {
                return alloc.ioBuffer(QueryResponder.TCP_LENGTH_PREFIX + length)
                        .writeShort(length)
                        .writeBytes(message);
            } finally {
                message.release();
            }
        }

        /** Releases and forgets the messages not written (after a failure), and empties the list. */
        private static void release(List<ByteBuf> messages) {
            for (ByteBuf m : messages) {
                if (m != null) {
                    m.release();
                }
            }
            messages.clear();
        }

        /** After every query of one read: their answers go out together. */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                // SslHandler closes the connection itself; a stalled handshake is counted as a defence.
                if (done.cause() instanceof SslHandshakeTimeoutException) {
                    metrics.tcpClosed(TcpConnections.Closed.TLS_HANDSHAKE_TIMEOUT);
                }
                log.debug(
                        "DoT handshake with {} failed: {}",
                        ctx.channel().remoteAddress(),
                        done.cause().toString());
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // An oversized or broken frame: this connection is beyond repair, the listener is not.
            log.debug("TCP connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private void logQuery(InetAddress client, String proto, ByteBuf queryBuf, ByteBuf answerBuf, long nanos) {
        byte[] query = ByteBufUtil.getBytes(queryBuf);
        byte[] answer = answerBuf == null ? null : ByteBufUtil.getBytes(answerBuf);
        String question = "-";
        try {
            Record q = new Message(query).getQuestion();
            if (q != null) {
                question = "name=" + q.getName() + " type=" + Type.string(q.getType());
            }
        } catch (IOException | RuntimeException e) {
            question = "malformed=" + query.length + "B";
        }
        String result = "dropped";
        if (answer != null) {
            try {
                Message r = new Message(answer);
                result = "rcode=" + Rcode.string(r.getRcode()) + " answers="
                        + r.getSection(Section.ANSWER).size() + " bytes=" + answer.length;
            } catch (IOException | RuntimeException e) {
                result = "bytes=" + answer.length;
            }
        }
        queryLog.debug(
                "client={} proto={} {} {} micros={}", client.getHostAddress(), proto, question, result, nanos / 1000);
    }
    /** No packet may escape as an exception: a bug in one answer costs that answer, never the listener. */
    private static ByteBuf servfail(ByteBuf query, RuntimeException e) {
        log.debug("query failed: {}", e.toString());
        byte[] servfail = Responses.servfail(ByteBufUtil.getBytes(query));
        return servfail == null ? null : Unpooled.wrappedBuffer(servfail);
    }

    @Override
    public void close() {
        if (datagramSockets != null) {
            datagramSockets.close();
        }
        for (Channel c : channels) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (handshakes != null) {
            handshakes.shutdownNow();
        }
    }
}
