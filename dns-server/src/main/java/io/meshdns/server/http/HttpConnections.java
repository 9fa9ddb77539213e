package io.meshdns.server.http;

import io.meshdns.server.config.ServerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open connections of one HTTP listener, kept from being used to deny service: without limits, idle
 * or trickling connections take every file descriptor of the process, and DNS over TCP, {@code /healthz}
 * and the certificate reload fail with it. As {@link TcpConnections} does for DNS:
 * <ul>
 *   <li>at most {@code maxConnectionsPerSource} connections from one address and {@code maxConnections} in
 *       all. Every connection is accepted at once (the listen backlog never fills with waiting clients),
 *       and one over a cap closes the connection (of that address, or of all) that has gone longest
 *       without sending a whole request: the newest client is served, so the kubelet's probe gets in
 *       whatever holds the other connections, and one address can only ever push out its own;
 *   <li>a request must arrive whole within {@code requestTimeout} of the connection, or of its first
 *       byte on a kept-alive connection, so headers trickled a byte at a time are cut;
 *   <li>a request arriving while the previous response is still unread (the connection is over Netty's
 *       write-buffer high-water mark) closes the connection: pipelined requests never queue answers in
 *       memory. Connections with nothing read or written for {@code idleTimeout} are closed by the
 *       listener's {@code IdleStateHandler}, whose event lands here to be counted.
 * </ul>
 * Each closure is counted in {@code meshdns_http_connections_closed_total{listener, reason}} and, except
 * idle ones (housekeeping), logged: the first at once, then at most one line per reason every
 * {@link #LOG_INTERVAL} with the count, so an attack costs a few log lines, not one per connection.
 * <p>Every method runs on the listener's one event-loop thread ({@link HttpServer} gives each listener its
 * own), so the bookkeeping takes no lock; only the open-connection count is read from elsewhere (the gauge).
 */
final class HttpConnections {
    private static final Logger log = LoggerFactory.getLogger(HttpConnections.class);
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    /** Why the server closed a connection; a metric label. */
    enum Closed {
        CONNECTION_CAP,
        SOURCE_CAP,
        REQUEST_TIMEOUT,
        IDLE_TIMEOUT,
        UNREAD_RESPONSE;

        final String label = name().toLowerCase(Locale.ROOT);
    }

    private final String listener;
    private final ServerConfig.HttpConnectionLimits limits;
    private final long requestTimeoutNanos;
    /** Open connections, the one longest without a whole request first. */
    private final LinkedHashSet<Connection> open = new LinkedHashSet<>();

    private final Map<InetAddress, LinkedHashSet<Connection>> bySource = new HashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final Counter[] closed = new Counter[Closed.values().length];
    private final CloseLog[] logs = new CloseLog[Closed.values().length];

    /**
     * @param listener the listener's name in metrics and logs: {@code metrics} or {@code admin}
     * @param limits the caps and deadlines, named by their config section in the log
     */
    HttpConnections(String listener, ServerConfig.HttpConnectionLimits limits, MeterRegistry registry) {
        this.listener = listener;
        this.limits = limits;
        this.requestTimeoutNanos = limits.requestTimeout().toNanos();
        for (Closed why : Closed.values()) {
            closed[why.ordinal()] = Counter.builder("meshdns.http.connections.closed")
                    .description(
                            "HTTP connections the server closed to protect itself: over a connection cap (the one longest"
                                    + " without a whole request), no whole request within the request timeout, idle for the idle timeout,"
                                    + " or a request sent while the previous response was still unread")
                    .tag("listener", listener)
                    .tag("reason", why.label)
                    .register(registry);
            logs[why.ordinal()] = new CloseLog(why);
        }
        Gauge.builder("meshdns.http.connections", count, AtomicInteger::get)
                .description("HTTP connections open")
                .tag("listener", listener)
                .register(registry);
    }

    /** A new connection's two handlers: {@code [0]} first in the pipeline, {@code [1]} right after the aggregator. */
    ChannelHandler[] handlers() {
        Connection c = new Connection();
        return new ChannelHandler[] {c, c.requests};
    }

    /** Connections open now. */
    int open() {
        return count.get();
    }

    private void register(Connection c) {
        LinkedHashSet<Connection> same = bySource.computeIfAbsent(c.source, k -> new LinkedHashSet<>());
        same.add(c);
        open.add(c);
        count.incrementAndGet();
        // The new connection is last in both sets and each cap is at least 1, so the first is never the new one.
        if (same.size() > limits.maxConnectionsPerSource()) {
            cut(same.iterator().next(), Closed.SOURCE_CAP);
        } else if (open.size() > limits.maxConnections()) {
            cut(open.iterator().next(), Closed.CONNECTION_CAP);
        }
    }

    private void unregister(Connection c) {
        if (open.remove(c)) {
            count.decrementAndGet();
            LinkedHashSet<Connection> same = bySource.get(c.source);
            same.remove(c);
            if (same.isEmpty()) {
                bySource.remove(c.source);
            }
        }
    }

    /** A whole request: the connection goes to the back of the line for eviction. */
    private void progressed(Connection c) {
        if (open.remove(c)) {
            open.add(c);
            LinkedHashSet<Connection> same = bySource.get(c.source);
            same.remove(c);
            same.add(c);
        }
    }

    private void cut(Connection c, Closed why) {
        if (c.closing) {
            return;
        }
        c.closing = true;
        // Out of the books now: the descriptor is released by this close, before Netty reports it inactive.
        unregister(c);
        c.cancelDeadline();
        closed[why.ordinal()].increment();
        logs[why.ordinal()].add(c.source, c.ctx.executor());
        c.ctx.close();
    }

    /** One connection: its source, and the deadline of the request being received. */
    private final class Connection extends ChannelDuplexHandler {
        boolean closing;
        InetAddress source;
        ChannelHandlerContext ctx;
        ScheduledFuture<?> deadline;

        final ChannelHandler requests = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext context, Object msg) throws Exception {
                if (msg instanceof FullHttpRequest) {
                    if (closing || !context.channel().isActive()) {
                        // Decoded from what a connection left behind as it closed (the codec flushes a partial request
                        // then): no one to answer.
                        ReferenceCountUtil.release(msg);
                        return;
                    }
                    cancelDeadline();
                    if (!context.channel().isWritable()) {
                        ReferenceCountUtil.release(msg);
                        cut(Connection.this, Closed.UNREAD_RESPONSE);
                        return;
                    }
                    progressed(Connection.this);
                }
                super.channelRead(context, msg);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext context, Object evt) throws Exception {
                if (evt instanceof IdleStateEvent) {
                    cut(Connection.this, Closed.IDLE_TIMEOUT);
                    return;
                }
                super.userEventTriggered(context, evt);
            }
        };

        @Override
        public void channelActive(ChannelHandlerContext context) throws Exception {
            ctx = context;
            source = ((InetSocketAddress) context.channel().remoteAddress()).getAddress();
            register(this);
            if (!closing) {
                startDeadline(); // a client connects to send a request: the deadline runs from now
            }
            super.channelActive(context);
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) throws Exception {
            unregister(this);
            cancelDeadline();
            super.channelInactive(context);
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) throws Exception {
            if (msg instanceof ByteBuf && deadline == null && !closing) {
                startDeadline(); // the first byte of the next request on a kept-alive connection
            }
            super.channelRead(context, msg);
        }

        private void startDeadline() {
            deadline = ctx.executor()
                    .schedule(
                            () -> {
                                deadline = null;
                                cut(this, Closed.REQUEST_TIMEOUT);
                            },
                            requestTimeoutNanos,
                            TimeUnit.NANOSECONDS);
        }

        void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }
    }

    /** The closures of one reason since the last line logged, and the address of the latest. */
    private final class CloseLog {
        final Closed why;
        long count;
        InetAddress lastSource;
        /** The listener's event loop while a line is due, else null. */
        EventExecutor scheduled;

        CloseLog(Closed why) {
            this.why = why;
        }

        void add(InetAddress source, EventExecutor loop) {
            if (why == Closed.IDLE_TIMEOUT) {
                return; // housekeeping of kept-alive connections: counted, not logged
            }
            count++;
            lastSource = source;
            if (scheduled == null) {
                write(""); // the first one at once
                scheduled = loop;
                loop.schedule(this::tick, LOG_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        private void tick() {
            if (count == 0) {
                scheduled = null;
                return;
            }
            write(" period=" + LOG_INTERVAL.toSeconds() + "s");
            scheduled.schedule(this::tick, LOG_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void write(String period) {
            log.warn(
                    "event=http-connections-closed listener={} reason={} connections={}{} last_source={} why=\"{}\"",
                    listener,
                    why.label,
                    count,
                    period,
                    lastSource.getHostAddress(),
                    explain());
            count = 0;
        }

        private String explain() {
            String s = limits.section();
            return switch (why) {
                case CONNECTION_CAP ->
                    "more than " + s + ".maxConnections (" + limits.maxConnections()
                            + ") open: the connection longest without a whole request was closed";
                case SOURCE_CAP ->
                    "more than " + s + ".maxConnectionsPerSource (" + limits.maxConnectionsPerSource()
                            + ") open from one address: its connection longest without a whole request was closed";
                case REQUEST_TIMEOUT ->
                    "no whole request within " + s + ".requestTimeout ("
                            + limits.requestTimeout().toMillis() + " ms)";
                case UNREAD_RESPONSE -> "a request sent while the previous response was still unread";
                case IDLE_TIMEOUT -> "nothing read or written for " + s + ".idleTimeout";
            };
        }
    }
}
