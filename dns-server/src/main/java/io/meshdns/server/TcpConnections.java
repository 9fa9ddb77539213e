package io.meshdns.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
import java.util.function.Predicate;

/**
 * The open DNS-over-TCP connections, kept from being used to deny service (RFC 7766 6.2, as Knot does):
 * <ul>
 *   <li>a query must arrive whole within {@code queryTimeout} of its first byte, so a client trickling
 *       bytes cannot hold a connection by resetting the idle timer;
 *   <li>at most {@code maxPerSource} connections from one address and {@code max} in all; a connection over
 *       either cap closes the one (of that source, or of all) that has gone longest without completing a
 *       query, so the newest client is served and a pile of silent or trickling connections is what gives.
 * </ul>
 * Bookkeeping happens per connection (open, close) and per received TCP segment on the connection's own
 * event loop; the only scan, for the connection to close, runs when a cap is reached.
 */
final class TcpConnections {
  /** Why a connection was closed by the server; a metric label. */
  enum Closed { QUERY_TIMEOUT, EVICTED, /** DNS over TLS: no handshake within the query deadline. */ TLS_HANDSHAKE_TIMEOUT }

  interface Listener {
    void closed(Closed why);
  }

  private final int max;
  private final int maxPerSource;
  private final long queryTimeoutNanos;
  private final Listener listener;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger count = new AtomicInteger();
  private final Map<InetAddress, Integer> bySource = new ConcurrentHashMap<>();

  TcpConnections(int max, int maxPerSource, Duration queryTimeout, Listener listener) {
    this.max = max;
    this.maxPerSource = maxPerSource;
    this.queryTimeoutNanos = queryTimeout.toNanos();
    this.listener = listener;
  }

  /** A new connection's two handlers: {@code [0]} before the frame decoder, {@code [1]} right after it. */
  ChannelHandler[] handlers() {
    Connection c = new Connection();
    return new ChannelHandler[] {c.bytes, c.messages};
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
        if (other != c && !other.closing.get() && eligible.test(other)
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

  /** One connection: its source, its progress, and the deadline of the query being received. */
  private final class Connection {
    final AtomicBoolean closing = new AtomicBoolean();
    volatile long lastProgress = System.nanoTime();
    InetAddress source;
    ChannelHandlerContext ctx;
    // Event-loop only: bytes received that no complete message has consumed yet, and their deadline.
    long pending;
    ScheduledFuture<?> deadline;

    final ChannelHandler bytes = new ChannelDuplexHandler() {
      @Override
      public void channelActive(ChannelHandlerContext context) throws Exception {
        ctx = context;
        source = ((InetSocketAddress) context.channel().remoteAddress()).getAddress();
        register(Connection.this);
        super.channelActive(context);
      }

      @Override
      public void channelInactive(ChannelHandlerContext context) throws Exception {
        unregister(Connection.this);
        cancelDeadline();
        super.channelInactive(context);
      }

      @Override
      public void channelRead(ChannelHandlerContext context, Object msg) throws Exception {
        if (msg instanceof ByteBuf buf) {
          pending += buf.readableBytes();
          if (deadline == null && pending > 0) {
            startDeadline(context);
          }
        }
        super.channelRead(context, msg);
      }
    };

    final ChannelHandler messages = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext context, Object msg) throws Exception {
        if (msg instanceof ByteBuf frame) {
          pending -= frame.readableBytes() + 2L; // the decoder stripped the two-byte length
          if (frame.readableBytes() < WireQuery.HEADER) {
            // Not even a header to answer: closing also keeps empty messages from holding the connection.
            frame.release();
            context.close();
            return;
          }
          lastProgress = System.nanoTime();
          cancelDeadline();
          if (pending > 0) {
            startDeadline(context); // the next message has begun
          }
        }
        super.channelRead(context, msg);
      }
    };

    private void startDeadline(ChannelHandlerContext context) {
      deadline = context.executor().schedule(() -> {
        deadline = null;
        if (closing.compareAndSet(false, true)) {
          listener.closed(Closed.QUERY_TIMEOUT);
          context.close();
        }
      }, queryTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelDeadline() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }
  }
}
