package io.meshdns.server.transport;

import io.meshdns.server.answer.WireQuery;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open DNS-over-TCP connections, kept from being used to deny service (RFC 7766 6.2, as Knot does):
 * <ul>
 *   <li>a connection with nothing read and no answer moving for {@code idleTimeout} is closed (RFC 7766
 *       6.2.3);
 *   <li>a query must arrive whole within {@code queryTimeout} of its first byte, so a client trickling
 *       bytes cannot hold a connection by resetting the idle timer;
 *   <li>at most {@code maxPerSource} connections from one address and {@code max} in all; a connection over
 *       either cap closes the one (of that source, or of all) that has gone longest without completing a
 *       query, so the newest client is served and a pile of silent or trickling connections is what gives;
 *   <li>answers go out as fast as the client takes them, and no faster: once a connection's answers not
 *       yet taken pass the channel's high write-buffer water mark, no more of its queries are decoded and it
 *       is not read until they are below the low mark again, so a client that pipelines queries and never
 *       reads is held back by its own TCP window, with at most the mark and one answer in memory (plus one
 *       read of queries, not yet decoded). Its answers must move within {@code queryTimeout} (any progress
 *       counts, so a secondary slowly taking a large transfer is not cut), or it is closed;
 *   <li>the answers waiting in all connections stay within {@code maxPendingOutput}: over it, the connection
 *       holding the most is closed, then the next, until they fit.
 * </ul>
 * Bookkeeping happens per connection (open, close) and per received TCP segment on the connection's own
 * event loop; the only scans, for the connection to close, run when a cap or the budget is reached. The idle
 * timer and the query deadline cost a query a field write, not a scheduled task or a listener on its answer's
 * write: each is one timer per connection that, when it fires early, looks at the times noted and sets itself
 * again for the rest.
 */
final class TcpConnections {
    private static final Logger log = LoggerFactory.getLogger(TcpConnections.class);
    /** The longest DNS message: its length is a two-byte prefix (RFC 1035 4.2.2). */
    static final int MAX_MESSAGE = 65535;

    /** Why a connection was closed by the server; a metric label. */
    enum Closed {
        QUERY_TIMEOUT,
        EVICTED,
        /** DNS over TLS: no handshake within the query deadline. */
        TLS_HANDSHAKE_TIMEOUT,
        /** Its answers, over the water mark, did not move for the query deadline: the client does not read. */
        WRITE_TIMEOUT,
        /** It held the most answers not taken when all connections together held more than the budget. */
        OUTPUT_BUDGET
    }

    interface Listener {
        void closed(Closed why);
    }

    private final int max;
    private final int maxPerSource;
    private final long queryTimeoutNanos;
    private final long idleNanos;
    private final Listener listener;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final Map<InetAddress, Integer> bySource = new ConcurrentHashMap<>();
    private final long maxPendingOutput;
    /** The answers not yet taken, in all connections, as each last measured its own. */
    private final AtomicLong pendingOutput = new AtomicLong();

    /**
     * @param idleTimeout how long a connection may go with nothing read and no answer bytes taken
     * @param maxPendingOutput the bytes of answers not yet taken by their clients that all connections
     *     together may hold; the write-buffer water marks bound each connection's share
     */
    TcpConnections(
            int max,
            int maxPerSource,
            Duration idleTimeout,
            Duration queryTimeout,
            long maxPendingOutput,
            Listener listener) {
        this.max = max;
        this.maxPerSource = maxPerSource;
        this.idleNanos = idleTimeout.toNanos();
        this.queryTimeoutNanos = queryTimeout.toNanos();
        this.maxPendingOutput = maxPendingOutput;
        this.listener = listener;
    }

    /**
     * A new connection's handlers: {@code [0]} first (right after TLS), {@code [1]} the frame decoder (RFC
     * 1035 4.2.2: each message prefixed with its two-byte length), which passes on every whole message and
     * notes it. The answers written carry their own two-byte length.
     */
    ChannelHandler[] handlers() {
        Connection c = new Connection();
        return new ChannelHandler[] {c.bytes, c.frames};
    }

    /** The bytes of answers not yet taken by their clients, in all connections. */
    long pendingOutput() {
        return pendingOutput.get();
    }

    private void register(Connection c) {
        open.add(c);
        int total = count.incrementAndGet();
        int fromSource = bySource.merge(c.source, 1, Integer::sum);
        if (fromSource > maxPerSource) {
            evictFor(c, other -> other.source.equals(c.source));
        } else if (total > max) {
            evictFor(c, other -> true);
        }
    }

    private void unregister(Connection c) {
        if (open.remove(c)) {
            count.decrementAndGet();
            bySource.computeIfPresent(c.source, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** Closes the eligible connection that has gone longest without completing a query; else {@code c} itself. */
    private void evictFor(Connection c, Predicate<Connection> eligible) {
        while (true) {
            Connection oldest = null;
            for (Connection other : open) {
                if (other != c
                        && !other.closing.get()
                        && eligible.test(other)
                        && (oldest == null || other.lastProgress - oldest.lastProgress < 0)) {
                    oldest = other;
                }
            }
            Connection victim = oldest == null ? c : oldest;
            if (victim.closing.compareAndSet(false, true)) {
                listener.closed(Closed.EVICTED);
                victim.ctx.close();
                return;
            }
            if (victim == c) {
                return; // another new connection already chose to close this one: the cap holds
            }
            // Another new connection claimed the same one at the same moment: look again.
        }
    }

    /**
     * Closes connections, the one holding the most answers first, until those not closing hold no more than
     * the budget. Runs on the event loop of a connection whose output grew past it; the others are read
     * as they last measured themselves.
     */
    private void shedOverBudget() {
        while (true) {
            long live = 0;
            Connection largest = null;
            long most = 0;
            for (Connection c : open) {
                long held = c.reportedOutput;
                if (held > 0 && !c.closing.get()) {
                    live += held;
                    if (held > most) {
                        most = held;
                        largest = c;
                    }
                }
            }
            if (live <= maxPendingOutput || largest == null) {
                return;
            }
            if (largest.closing.compareAndSet(false, true)) {
                listener.closed(Closed.OUTPUT_BUDGET);
                log.info(
                        "TCP connection {} closed: it held {} bytes of answers not taken, the most of any connection,"
                                + " while all held {}, over dns.maxTcpPendingOutput ({})",
                        largest.ctx.channel().remoteAddress(),
                        most,
                        live,
                        maxPendingOutput);
                largest.abort();
            }
        }
    }

    /** The bytes written to {@code ch} that it has not sent yet (TLS: before and after encryption). */
    private static long pendingBytes(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * One connection: its source, its progress, the deadline of the query being received, and whether it is
     * read: not while its answers are over the water mark.
     */
    private final class Connection {
        final AtomicBoolean closing = new AtomicBoolean();
        volatile long lastProgress = System.nanoTime();
        /** This connection's answers not taken, as last added to {@link #pendingOutput}; written on its event loop. */
        volatile long reportedOutput;

        InetAddress source;
        ChannelHandlerContext ctx;
        // Event-loop only: bytes received that no complete message has consumed yet; whether they have a deadline,
        // counted from when; the timer that checks it (armed for that deadline or an earlier one).
        long pending;
        boolean receiving;
        long receivingSince;
        ScheduledFuture<?> deadline;
        // Event-loop only: when bytes were last read or answers taken; the idle timer; the output as it last saw it.
        long lastActivity;
        ScheduledFuture<?> idleTimer;
        final OutputMark idleMark = new OutputMark();
        // Event-loop only: reading stopped for the answers to drain, and the deadline for them to move.
        boolean paused;
        ScheduledFuture<?> writeDeadline;
        final OutputMark writeMark = new OutputMark();
        final Runnable resume = this::resume;
        final Runnable checkOutput = this::checkOutput;
        final Runnable checkDeadline = this::checkDeadline;
        final Runnable checkIdle = this::checkIdle;

        final ChannelHandler bytes = new ChannelDuplexHandler() {
            @Override
            public void handlerAdded(ChannelHandlerContext context) {
                ctx = context;
            }

            @Override
            public void channelActive(ChannelHandlerContext context) throws Exception {
                source = ((InetSocketAddress) context.channel().remoteAddress()).getAddress();
                register(Connection.this);
                lastActivity = System.nanoTime();
                idleTimer = context.executor().schedule(checkIdle, idleNanos, TimeUnit.NANOSECONDS);
                super.channelActive(context);
            }

            @Override
            public void channelInactive(ChannelHandlerContext context) throws Exception {
                unregister(Connection.this);
                receiving = false;
                cancel(deadline);
                deadline = null;
                cancel(idleTimer);
                idleTimer = null;
                cancelWriteDeadline();
                pendingOutput.addAndGet(-reportedOutput);
                reportedOutput = 0;
                super.channelInactive(context);
            }

            @Override
            public void channelRead(ChannelHandlerContext context, Object msg) throws Exception {
                if (msg instanceof ByteBuf buf) {
                    long now = System.nanoTime();
                    lastActivity = now;
                    pending += buf.readableBytes();
                    if (!receiving && pending > 0 && !paused) {
                        startDeadline(now);
                    }
                }
                super.channelRead(context, msg);
            }

            /**
             * While paused, a read asked for by a handler behind this one (the frame decoder asks when a read
             * gave it no whole message) waits for the resume: the client is not read at all.
             */
            @Override
            public void read(ChannelHandlerContext context) {
                if (!paused) {
                    context.read();
                }
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext context) throws Exception {
                if (!context.channel().isWritable()) {
                    pause(); // counted once flushed, at the end of the read that wrote it: the kernel may take it all
                } else {
                    if (paused) {
                        // Later, not inside the flush that drained the output: the resume writes and flushes again.
                        context.executor().execute(resume);
                    }
                    lastActivity = System.nanoTime(); // answers taken: not idle (RFC 7766 6.2.3)
                    account();
                }
                super.channelWritabilityChanged(context);
            }
        };

        final Frames frames = new Frames();

        /**
         * The frame decoder, holding back what it has read while the answers are over the water mark; each whole
         * message completes the one being received (its deadline), in the decoder rather than in a handler of its
         * own, which would cost every query a step through the pipeline.
         */
        final class Frames extends LengthFieldBasedFrameDecoder {
            Frames() {
                super(MAX_MESSAGE + 2, 0, 2, 0, 2);
            }

            @Override
            protected Object decode(ChannelHandlerContext context, ByteBuf in) throws Exception {
                if (paused || closing.get()) {
                    return null;
                }
                if (!context.channel().isWritable()) {
                    // The answer to the previous message passed the mark: this one and the rest of the read wait.
                    pause();
                    return null;
                }
                Object frame = super.decode(context, in);
                return frame == null ? null : received(context, (ByteBuf) frame);
            }

            /** After the query handler has flushed the read's answers: what the client has not taken yet counts. */
            @Override
            public void channelReadComplete(ChannelHandlerContext context) throws Exception {
                super.channelReadComplete(context);
                if (paused) {
                    markOutput(); // the write deadline counts from this flush: what the kernel took in it is no
                    // progress
                }
                account();
            }

            /** Whether bytes read are held back, undecoded. */
            boolean holding() {
                ByteBuf held = internalBuffer();
                return held != null && held.isReadable();
            }
        }

        /**
         * A whole message decoded: the one being received is complete, and the next has begun if bytes of it were
         * read. Returns the message to pass on, or {@code null} for one too short to answer.
         */
        private ByteBuf received(ChannelHandlerContext context, ByteBuf frame) {
            pending -= frame.readableBytes() + 2L; // the decoder stripped the two-byte length
            if (frame.readableBytes() < WireQuery.HEADER) {
                // Not even a header to answer: closing also keeps empty messages from holding the connection.
                // The answers to the messages before it, written in this same read, go out first.
                frame.release();
                if (closing.compareAndSet(false, true)) {
                    cancelDeadline();
                    pause(); // nothing more is read or decoded; the write deadline still applies
                    context.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
                return null;
            }
            long now = System.nanoTime();
            lastProgress = now;
            cancelDeadline();
            if (pending > 0 && !paused) {
                startDeadline(now); // the next message has begun
            }
            return frame;
        }

        /** Stops reading and decoding until the answers are below the low water mark; their deadline starts. */
        private void pause() {
            if (paused) {
                return;
            }
            paused = true;
            ctx.channel().config().setAutoRead(false);
            cancelDeadline(); // the query deadline: while it is not read, a partial query is not the client's fault
            markOutput();
            writeDeadline = ctx.executor().schedule(checkOutput, queryTimeoutNanos, TimeUnit.NANOSECONDS);
        }

        /** Decodes what was held back, then reads again, unless those answers pass the mark again. */
        private void resume() {
            Channel ch = ctx.channel();
            if (!paused || closing.get() || !ch.isWritable()) {
                return;
            }
            paused = false;
            cancelWriteDeadline();
            ChannelHandlerContext decoder = ch.pipeline().context(frames);
            if (decoder != null && frames.holding()) {
                try {
                    // An empty read: the decoder goes on from what it holds; its read-complete flushes the answers.
                    frames.channelRead(decoder, Unpooled.EMPTY_BUFFER);
                    frames.channelReadComplete(decoder);
                } catch (Exception e) {
                    ch.pipeline().fireExceptionCaught(e);
                    return;
                }
            }
            if (!paused) {
                ch.config().setAutoRead(true);
                if (pending > 0 && !receiving) {
                    startDeadline(System.nanoTime());
                }
            }
            account();
        }

        /** At the write deadline: closes the connection unless its answers moved since the last look. */
        private void checkOutput() {
            writeDeadline = null;
            Channel ch = ctx.channel();
            if (!paused || !ch.isActive() || ch.isWritable() && !closing.get()) {
                return; // resumed, closed, or about to resume
            }
            if (markOutput()) {
                writeDeadline = ctx.executor().schedule(checkOutput, queryTimeoutNanos, TimeUnit.NANOSECONDS);
                return;
            }
            if (closing.compareAndSet(false, true)) {
                listener.closed(Closed.WRITE_TIMEOUT);
                log.debug(
                        "TCP connection {} closed: its {} bytes of answers did not move in {} ms (dns.tcpQueryTimeout)",
                        ch.remoteAddress(),
                        pendingBytes(ch),
                        TimeUnit.NANOSECONDS.toMillis(queryTimeoutNanos));
            }
            abort();
        }

        /**
         * Closes a connection whose client does not take its answers at once: with a reset (SO_LINGER 0), so the
         * kernel drops the answers it still holds for it too, and under TLS (the next handler toward the socket)
         * without a close_notify, which the client would not read either: SslHandler would wait 3 s for it.
         */
        void abort() {
            Channel ch = ctx.channel();
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ChannelHandlerContext tls = ch.pipeline().context(SslHandler.class);
            (tls != null ? tls : ctx).close();
        }

        /** Whether the output moved since the write deadline last looked; false once the channel has none. */
        private boolean markOutput() {
            ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
            return out != null && writeMark.moved(out);
        }

        private void cancelWriteDeadline() {
            cancel(writeDeadline);
            writeDeadline = null;
        }

        /**
         * Brings this connection's share of {@link #pendingOutput} up to date, and sheds over the budget when it
         * grew. Nothing to do, and no shared write, for a client that takes its answers as they come.
         */
        private void account() {
            long now = pendingBytes(ctx.channel());
            long before = reportedOutput;
            if (now == before) {
                return;
            }
            reportedOutput = now;
            if (pendingOutput.addAndGet(now - before) > maxPendingOutput && now > before) {
                shedOverBudget();
            }
        }

        /** The message being received began at {@code now}: it must be whole within the query deadline. */
        private void startDeadline(long now) {
            receiving = true;
            receivingSince = now;
            if (deadline == null) {
                deadline = ctx.executor().schedule(checkDeadline, queryTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        }

        /** No message is being received, or none that is the client's fault: the timer, when it fires, lets go. */
        private void cancelDeadline() {
            receiving = false;
        }

        /** The deadline timer: closes the connection when its message is late; else waits for its deadline. */
        private void checkDeadline() {
            deadline = null;
            if (!receiving) {
                return;
            }
            long left = receivingSince + queryTimeoutNanos - System.nanoTime();
            if (left > 0) {
                deadline = ctx.executor().schedule(checkDeadline, left, TimeUnit.NANOSECONDS);
            } else if (closing.compareAndSet(false, true)) {
                listener.closed(Closed.QUERY_TIMEOUT);
                ctx.close();
            }
        }

        /**
         * The idle timer (RFC 7766 6.2.3: servers close idle connections): closes the connection when nothing was
         * read for the idle timeout and its answers, if it holds any, did not move since the timer last looked.
         */
        private void checkIdle() {
            idleTimer = null;
            Channel ch = ctx.channel();
            if (!ch.isActive() || closing.get()) {
                return;
            }
            long quiet = System.nanoTime() - lastActivity;
            if (quiet < idleNanos) {
                idleTimer = ctx.executor().schedule(checkIdle, idleNanos - quiet, TimeUnit.NANOSECONDS);
                return;
            }
            if (idleMark.moved(ch.unsafe().outboundBuffer())) {
                idleTimer = ctx.executor().schedule(checkIdle, idleNanos, TimeUnit.NANOSECONDS);
                return;
            }
            ctx.close();
        }

        private void cancel(ScheduledFuture<?> timer) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /**
     * Where a connection's output stood when last noted, as Netty's IdleStateHandler notes it to see output
     * progress: the bytes pending, the message being written and how far. Event-loop only.
     */
    private static final class OutputMark {
        private long pending;
        private long progress;
        private int head;

        /** Notes where {@code out} stands ({@code null}: nothing pending); whether any of it moved since the last note. */
        boolean moved(ChannelOutboundBuffer out) {
            long pendingNow = out == null ? 0 : out.totalPendingWriteBytes();
            long progressNow = out == null ? 0 : out.currentProgress();
            int headNow = out == null ? 0 : System.identityHashCode(out.current());
            boolean moved = pendingNow != pending || progressNow != progress || headNow != head;
            pending = pendingNow;
            progress = progressNow;
            head = headNow;
            return moved;
        }
    }
}
