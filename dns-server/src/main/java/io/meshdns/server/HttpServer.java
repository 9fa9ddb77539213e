package io.meshdns.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP listener on the metrics port (Netty's HTTP codec, on its own event-loop thread so a scrape never
 * delays a DNS answer): {@code /metrics}, {@code /healthz}, {@code /readyz}, the status page {@code /} and
 * its JSON API under {@code /api/}. Read-only: every resource takes GET (and HEAD); anything else is 405,
 * unknown paths 404, bad parameters 400 with a sentence saying what is wrong. Errors are JSON
 * {@code {"error": "..."}}, never a stack trace.
 */
final class HttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String JSON = "application/json; charset=utf-8";
  private static final Set<String> PATHS = Set.of("/", "/index.html", "/metrics", "/healthz", "/readyz",
      "/api/status", "/api/clusters", "/api/services", "/api/resolve");
  /** Self-contained: no script, style or font may come from anywhere else. */
  private static final String PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
      + "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";
  private static final int IDLE_SECONDS = 60;

  private final PrometheusMeterRegistry registry;
  private final StatusApi api;
  private final Readiness readiness;
  private final BooleanSupplier dnsListening;
  private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  private final byte[] page;
  private final EventLoopGroup group;
  private final boolean epoll;
  private Channel channel;

  HttpServer(PrometheusMeterRegistry registry, StatusApi api, Readiness readiness, BooleanSupplier dnsListening) {
    this.registry = registry;
    this.api = api;
    this.readiness = readiness;
    this.dnsListening = dnsListening;
    this.page = resource("status.html");
    this.epoll = Epoll.isAvailable();
    this.group = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
  }

  HttpServer start(String bind, int port) throws InterruptedException {
    InetAddress host;
    try {
      host = InetAddress.getByName(bind);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("HTTP bind address '" + bind + "' is not an address", e);
    }
    channel = new ServerBootstrap()
        .group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(
                new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                new HttpServerCodec(4096, 8192, 8192),
                new HttpObjectAggregator(64 * 1024),
                new Handler());
          }
        })
        .bind(new InetSocketAddress(host, port)).sync().channel();
    log.info("HTTP listening on {} port {} (/metrics, /healthz, /readyz, status page /)",
        host.getHostAddress(), address().getPort());
    return this;
  }

  InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** A response: status, content type and body. */
  record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    Reply(HttpResponseStatus status, String contentType, byte[] body) {
      this(status, contentType, body, Map.of());
    }
  }

  /** Routes one request; never throws. Package-private for tests of the routing rules. */
  Reply route(HttpMethod method, String uri) {
    QueryStringDecoder decoded;
    String path;
    try {
      decoded = new QueryStringDecoder(uri, StandardCharsets.UTF_8);
      path = decoded.path();
      decoded.parameters(); // decoded lazily: fail here, as a bad request

    } catch (IllegalArgumentException e) {
      return error(HttpResponseStatus.BAD_REQUEST, "malformed URL: " + e.getMessage());
    }
    if (!PATHS.contains(path)) {
      return error(HttpResponseStatus.NOT_FOUND, "no such resource: " + shorten(path)
          + "; try / (status page), /metrics, /healthz, /readyz or /api/status");
    }
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      Reply r = error(HttpResponseStatus.METHOD_NOT_ALLOWED, method + " is not allowed on " + path + "; use GET");
      return new Reply(r.status(), r.contentType(), r.body(), Map.of("Allow", "GET, HEAD"));
    }
    try {
      return switch (path) {
        case "/", "/index.html" -> new Reply(HttpResponseStatus.OK, "text/html; charset=utf-8", page,
            Map.of("Content-Security-Policy", PAGE_POLICY));
        case "/metrics" -> new Reply(HttpResponseStatus.OK, PROMETHEUS_TEXT,
            registry.scrape().getBytes(StandardCharsets.UTF_8));
        case "/healthz" -> health();
        case "/readyz" -> {
          Readiness.Verdict v = readiness.check();
          yield json(v.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, v);
        }
        case "/api/status" -> json(HttpResponseStatus.OK, api.status());
        case "/api/clusters" -> json(HttpResponseStatus.OK, api.clusters());
        case "/api/services" -> json(HttpResponseStatus.OK, api.services());
        case "/api/resolve" -> json(HttpResponseStatus.OK, api.resolve(
            param(decoded, "name"), param(decoded, "type"), param(decoded, "cluster")));
        default -> throw new IllegalStateException("unrouted path " + path);
      };
    } catch (StatusApi.BadRequest e) {
      return error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
    } catch (RuntimeException | JsonProcessingException e) {
      log.warn("event=http-error path={} error=\"{}\"", path, e.toString());
      return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e.getMessage());
    }
  }

  private Reply health() throws JsonProcessingException {
    boolean up = dnsListening.getAsBoolean();
    Map<String, Object> body = Map.of("status", up ? "ok" : "failing",
        "reason", up ? "process alive, DNS and HTTP listeners up" : "a DNS listener is closed");
    return json(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
  }

  private static String param(QueryStringDecoder decoded, String name) throws StatusApi.BadRequest {
    List<String> values = decoded.parameters().get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new StatusApi.BadRequest("parameter '" + name + "' is given " + values.size() + " times; give it once");
    }
    return values.get(0);
  }

  private Reply json(HttpResponseStatus status, Object body) throws JsonProcessingException {
    return new Reply(status, JSON, json.writeValueAsBytes(body));
  }

  private Reply error(HttpResponseStatus status, String message) {
    try {
      return json(status, Map.of("error", message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a map of two strings always serialises
    }
  }

  private static String shorten(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      Reply reply = request.decoderResult().isFailure()
          ? error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + request.decoderResult().cause().getMessage())
          : route(request.method(), request.uri());
      boolean head = request.method().equals(HttpMethod.HEAD);
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
          head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
      var headers = response.headers();
      headers.set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
      headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
      headers.set("X-Content-Type-Options", "nosniff");
      reply.headers().forEach(headers::set);
      if (keepAlive && !request.decoderResult().isFailure()) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response);
      } else {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("HTTP connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = HttpServer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name + " next to " + HttpServer.class.getName());
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
