package io.meshdns.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS over UDP and TCP on one address and port, with Netty. With native epoll, one UDP socket per
 * event-loop thread shares the port through SO_REUSEPORT so the kernel spreads queries across threads.
 * Queries are answered on the event loop that read them: the responder never blocks.
 */
final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  /** One debug line per query when this logger is at debug ({@code --query-log}); off by default. */
  static final String QUERY_LOG = "io.meshdns.server.QueryLog";

  private final QueryResponder responder;
  private final QueryMetrics metrics;
  /** Read once: when off, the query path pays one branch on a final field. */
  private final Logger queryLog;
  private final long tcpIdleMillis;
  private final int maxTcpConnections;
  private final AtomicInteger tcpConnections = new AtomicInteger();
  private final EventLoopGroup group;
  private final boolean epoll;
  private final List<Channel> channels = new ArrayList<>();
  private InetSocketAddress address;

  DnsServer(QueryResponder responder, QueryMetrics metrics, int threads, Duration tcpIdle, int maxTcpConnections) {
    this.responder = responder;
    this.metrics = metrics;
    Logger q = LoggerFactory.getLogger(QUERY_LOG);
    this.queryLog = q.isDebugEnabled() ? q : null;
    this.tcpIdleMillis = tcpIdle.toMillis();
    this.maxTcpConnections = maxTcpConnections;
    this.epoll = Epoll.isAvailable();
    this.group = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
  }

  /** Binds TCP then UDP on the same port; port 0 picks a free port for both. */
  DnsServer start(String bind, int port, int threads) throws Exception {
    InetAddress host;
    try {
      host = InetAddress.getByName(bind);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("DNS bind address '" + bind + "' is not an address", e);
    }
    for (int attempt = 0; ; attempt++) {
      Channel tcp = bindTcp(new InetSocketAddress(host, port));
      int bound = ((InetSocketAddress) tcp.localAddress()).getPort();
      try {
        List<Channel> udp = new ArrayList<>();
        int sockets = epoll ? threads : 1;
        for (int i = 0; i < sockets; i++) {
          udp.add(bindUdp(new InetSocketAddress(host, bound)));
        }
        channels.add(tcp);
        channels.addAll(udp);
        address = new InetSocketAddress(host, bound);
        log.info("DNS listening on {} port {} (UDP x{} and TCP, {})", host.getHostAddress(), bound, sockets,
            epoll ? "epoll" : "nio");
        return this;
      } catch (Exception e) {
        tcp.close().sync();
        // A free TCP port whose UDP twin is taken: only worth retrying when we chose the port.
        if (port != 0 || attempt >= 10) {
          throw e;
        }
      }
    }
  }


  InetSocketAddress address() {
    return address;
  }

  /** Whether every UDP and TCP listener is still open. */
  boolean listening() {
    if (channels.isEmpty()) {
      return false;
    }
    for (Channel c : channels) {
      if (!c.isActive()) {
        return false;
      }
    }
    return true;
  }

  private Channel bindTcp(InetSocketAddress at) throws InterruptedException {
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(
                new TcpConnectionLimit(),
                new IdleStateHandler(0, 0, tcpIdleMillis, TimeUnit.MILLISECONDS),
                // RFC 1035 4.2.2: each message is prefixed with its two-byte length.
                new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2),
                new LengthFieldPrepender(2),
                new TcpQueryHandler());
          }
        });
    return b.bind(at).sync().channel();
  }

  private Channel bindUdp(InetSocketAddress at) throws InterruptedException {
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
        .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
        .handler(new UdpQueryHandler());
    if (epoll) {
      b.option(EpollChannelOption.SO_REUSEPORT, true);
    }
    return b.bind(at).sync().channel();
  }

  @ChannelHandler.Sharable
  private final class UdpQueryHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      long start = System.nanoTime();
      byte[] query = ByteBufUtil.getBytes(packet.content());
      byte[] answer = safeRespond(query, packet.sender().getAddress(), false);
      long nanos = System.nanoTime() - start;
      metrics.record(false, query, answer, nanos);
      if (queryLog != null) {
        logQuery(packet.sender().getAddress(), "udp", query, answer, nanos);
      }
      if (answer != null) {
        ctx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(answer), packet.sender()), ctx.voidPromise());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("UDP listener error (ignored): {}", cause.toString());
    }
  }

  private final class TcpQueryHandler extends SimpleChannelInboundHandler<ByteBuf> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      long start = System.nanoTime();
      byte[] query = ByteBufUtil.getBytes(frame);
      InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
      List<byte[]> answers;
      try {
        answers = responder.respondTcp(query, client);
      } catch (RuntimeException e) {
        log.debug("query failed: {}", e.toString());
        byte[] servfail = QueryResponder.servfail(query);
        answers = servfail == null ? List.of() : List.of(servfail);
      }
      long nanos = System.nanoTime() - start;
      byte[] first = answers.isEmpty() ? null : answers.get(0);
      metrics.record(true, query, first, nanos);
      if (queryLog != null) {
        logQuery(client, "tcp", query, first, nanos);
      }
      // RFC 7766: queries on one connection are answered as they come (pipelining); each answer is
      // written without waiting for the client to read the previous one.
      for (byte[] answer : answers) {
        ctx.write(Unpooled.wrappedBuffer(answer));
      }
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close(); // RFC 7766 6.2.3: servers close idle connections
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // An oversized or broken frame: this connection is beyond repair, the listener is not.
      log.debug("TCP connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  /**
   * RFC 7766 6.2.2: a cap on concurrent TCP connections, so one client cannot exhaust the server; the
   * connection over the cap is closed at once.
   */
  private final class TcpConnectionLimit extends io.netty.channel.ChannelInboundHandlerAdapter {
    private boolean counted;

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      if (tcpConnections.incrementAndGet() > maxTcpConnections) {
        tcpConnections.decrementAndGet();
        ctx.close();
        return;
      }
      counted = true;
      super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      if (counted) {
        tcpConnections.decrementAndGet();
        counted = false;
      }
      super.channelInactive(ctx);
    }
  }

  /** No packet may escape as an exception: a bug in one answer costs that answer, never the listener. */
  private byte[] safeRespond(byte[] query, InetAddress client, boolean tcp) {
    try {
      return responder.respond(query, client, tcp);
    } catch (RuntimeException e) {
      log.debug("query failed: {}", e.toString());
      return QueryResponder.servfail(query);
    }
  }

  /** The optional query log: parses the messages again, which only a debugging operator pays for. */
  private void logQuery(InetAddress client, String proto, byte[] query, byte[] answer, long nanos) {
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
        result = "rcode=" + Rcode.string(r.getRcode()) + " answers=" + r.getSection(Section.ANSWER).size()
            + " bytes=" + answer.length;
      } catch (IOException | RuntimeException e) {
        result = "bytes=" + answer.length;
      }
    }
    queryLog.debug("client={} proto={} {} {} micros={}", client.getHostAddress(), proto, question, result, nanos / 1000);
  }

  @Override
  public void close() {
    for (Channel c : channels) {
      c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
