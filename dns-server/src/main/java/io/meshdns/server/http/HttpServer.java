package io.meshdns.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.server.config.ServerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
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
 * One HTTP listener (Netty's HTTP codec, on its own event-loop thread so a request never delays a DNS
 * answer), in one of two roles. The {@linkplain Role#METRICS metrics} listener serves {@code /metrics},
 * {@code /healthz} and {@code /readyz} to Prometheus and the kubelet. The {@linkplain Role#ADMIN admin}
 * listener serves the status page {@code /} and its JSON API under {@code /api/}, which show the whole zone:
 * it is bound to loopback unless a bearer token guards {@code /api/*}. Read-only: every resource takes GET
 * (and HEAD); anything else is 405, unknown paths 404, bad parameters 400 with a sentence saying what is
 * wrong. Errors are JSON {@code {"error": "..."}}, never a stack trace. API responses (except resolve,
 * whose order rotates per query) carry the snapshot version as their ETag and answer a matching
 * {@code If-None-Match} with 304 and no body. Each listener holds its clients to its connection caps,
 * request deadline and idle timeout ({@link HttpConnections}).
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json; charset=utf-8";
    private static final String SERVICE_PREFIX = "/api/services/";
    /** Self-contained: no script, style or font may come from anywhere else. */
    private static final String PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
            + "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

    /** Which resources a listener serves. */
    enum Role {
        METRICS("metrics", "metrics, probes", Set.of("/metrics", "/healthz", "/readyz")),
        ADMIN(
                "admin",
                "status page, API",
                Set.of(
                        "/",
                        "/index.html",
                        "/api/status",
                        "/api/clusters",
                        "/api/services",
                        "/api/resolve",
                        "/api/top",
                        "/api/history",
                        "/api/traffic",
                        "/runbook"));

        /** The listener's name in metrics and logs. */
        final String label;

        final String what;
        final Set<String> paths;

        Role(String label, String what, Set<String> paths) {
            this.label = label;
            this.what = what;
            this.paths = paths;
        }

        boolean serves(String path) {
            return paths.contains(path) || this == ADMIN && path.startsWith(SERVICE_PREFIX);
        }
    }

    private final Role role;
    private final PrometheusMeterRegistry registry;
    private final StatusApi api;
    private final Readiness readiness;
    private final BooleanSupplier dnsListening;
    /** SHA-256 of the bearer token the admin API requires, or null when it requires none (loopback). */
    private final byte[] tokenHash;

    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final byte[] page;
    /** docs/runbook.md of this build, for the alerts' default runbook_url (admin listener only). */
    private final byte[] runbook;

    private final EventLoopGroup group;
    private final boolean epoll;
    private final ServerConfig.HttpConnectionLimits limits;
    private final HttpConnections connections;
    private Channel channel;

    private HttpServer(
            Role role,
            PrometheusMeterRegistry registry,
            StatusApi api,
            Readiness readiness,
            BooleanSupplier dnsListening,
            String token,
            ServerConfig.HttpConnectionLimits limits,
            MeterRegistry meters) {
        this.role = role;
        this.limits = limits;
        this.connections = new HttpConnections(role.label, limits, meters);
        this.registry = registry;
        this.api = api;
        this.readiness = readiness;
        this.dnsListening = dnsListening;
        this.tokenHash = token == null ? null : sha256(token);
        this.page = role == Role.ADMIN ? resource("status.html") : new byte[0];
        this.runbook = role == Role.ADMIN ? RunbookPage.html() : new byte[0];
        this.epoll = Epoll.isAvailable();
        this.group = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    }

    /** The metrics listener: {@code /metrics}, {@code /healthz}, {@code /readyz}, its clients held to {@code limits}. */
    public static HttpServer metrics(
            PrometheusMeterRegistry registry,
            Readiness readiness,
            BooleanSupplier dnsListening,
            ServerConfig.HttpConnectionLimits limits) {
        return new HttpServer(Role.METRICS, registry, null, readiness, dnsListening, null, limits, registry);
    }

    /**
     * The admin listener: the status page and {@code /api/*}, which need {@code token} when it is not null; its
     * clients held to {@code limits}, counted in {@code meters}.
     */
    public static HttpServer admin(
            StatusApi api, String token, ServerConfig.HttpConnectionLimits limits, MeterRegistry meters) {
        return new HttpServer(Role.ADMIN, null, api, null, null, token, limits, meters);
    }

    public HttpServer start(InetAddress host, int port) throws InterruptedException {
        channel = new ServerBootstrap()
                .group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelHandler[] guard = connections.handlers();
                        ch.pipeline()
                                .addLast(
                                        guard[0], // the caps and the request deadline see every connection and every
                                        // byte
                                        new IdleStateHandler(
                                                0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                                        new HttpServerCodec(4096, 8192, 8192),
                                        new HttpObjectAggregator(64 * 1024),
                                        guard[1], // a whole request: its deadline met; refused while the previous
                                        // response is unread
                                        new Handler());
                    }
                })
                .bind(new InetSocketAddress(host, port))
                .sync()
                .channel();
        log.info(
                "HTTP listening on {} port {} ({}{}; at most {} connections, {} per source)",
                host.getHostAddress(),
                address().getPort(),
                role.what,
                tokenHash != null ? "; /api/* needs the bearer token" : "",
                limits.maxConnections(),
                limits.maxConnectionsPerSource());
        return this;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Whether {@code /api/*} needs a bearer token on this listener. */
    public boolean tokenRequired() {
        return tokenHash != null;
    }

    /** A response: status, content type, body, extra headers. */
    record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
        Reply(HttpResponseStatus status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }

        Reply withHeader(String name, String value) {
            Map<String, String> h = new java.util.LinkedHashMap<>(headers);
            h.put(name, value);
            return new Reply(status, contentType, body, Map.copyOf(h));
        }
    }

    /**
     * Routes one request; never throws. Package-private for tests of the routing rules.
     *
     * @param authorization the {@code Authorization} header, or null
     * @param ifNoneMatch the {@code If-None-Match} header, or null
     */
    Reply route(HttpMethod method, String uri, String authorization, String ifNoneMatch) {
        QueryStringDecoder decoded;
        String path;
        try {
            decoded = new QueryStringDecoder(uri, StandardCharsets.UTF_8);
            path = decoded.path();
            decoded.parameters(); // decoded lazily: fail here, as a bad request
        } catch (IllegalArgumentException e) {
            return error(HttpResponseStatus.BAD_REQUEST, "malformed URL: " + e.getMessage());
        }
        if (!role.serves(path)) {
            return error(HttpResponseStatus.NOT_FOUND, "no such resource: " + shorten(path) + notHere(path));
        }
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return error(
                            HttpResponseStatus.METHOD_NOT_ALLOWED,
                            method + " is not allowed on " + shorten(path) + "; use GET")
                    .withHeader("Allow", "GET, HEAD");
        }
        if (path.startsWith("/api/") && tokenHash != null && !authorized(authorization)) {
            return error(
                            HttpResponseStatus.UNAUTHORIZED,
                            authorization == null
                                    ? "this API needs the admin bearer token: send 'Authorization: Bearer TOKEN'"
                                    : "the bearer token is not the admin token")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"meshdns\"");
        }
        try {
            return switch (path) {
                case "/", "/index.html" ->
                    new Reply(
                            HttpResponseStatus.OK,
                            "text/html; charset=utf-8",
                            page,
                            Map.of("Content-Security-Policy", PAGE_POLICY));
                case "/runbook" ->
                    new Reply(
                            HttpResponseStatus.OK,
                            "text/html; charset=utf-8",
                            runbook,
                            Map.of("Content-Security-Policy", PAGE_POLICY));
                case "/metrics" ->
                    new Reply(
                            HttpResponseStatus.OK,
                            PROMETHEUS_TEXT,
                            registry.scrape().getBytes(StandardCharsets.UTF_8));
                case "/healthz" -> health();
                case "/readyz" -> {
                    Readiness.Verdict v = readiness.check();
                    yield json(v.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, v);
                }
                case "/api/status" -> {
                    MeshSnapshot s = api.snapshot();
                    Readiness.Verdict v = api.readiness();
                    // Readiness can change with time alone (readyAfter), so it is part of this resource's version.
                    String etag = etag(s.version() + (v.ready() ? "" : "-not-ready") + api.tlsTag());
                    yield etag.equals(ifNoneMatch)
                            ? notModified(etag)
                            : json(HttpResponseStatus.OK, api.status(s, v), etag);
                }
                case "/api/clusters" -> versioned(ifNoneMatch, s -> api.clusters(s));
                case "/api/services" ->
                    versioned(
                            ifNoneMatch,
                            s -> api.services(
                                    s,
                                    param(decoded, "q"),
                                    param(decoded, "namespace"),
                                    param(decoded, "state"),
                                    param(decoded, "limit"),
                                    param(decoded, "cursor")));
                case "/api/resolve" ->
                    json(
                            HttpResponseStatus.OK,
                            api.resolve(param(decoded, "name"), param(decoded, "type"), param(decoded, "cluster")));
                // Versioned by their own counters (samples drained, chart steps taken), not by the snapshot.
                case "/api/top" -> {
                    String etag = etag("top-" + api.traffic().topVersion());
                    yield etag.equals(ifNoneMatch)
                            ? notModified(etag)
                            : json(HttpResponseStatus.OK, api.traffic().top(), etag);
                }
                case "/api/history" -> {
                    String etag = etag("history-" + api.traffic().history().version());
                    yield etag.equals(ifNoneMatch)
                            ? notModified(etag)
                            : json(
                                    HttpResponseStatus.OK,
                                    api.traffic().history().view(),
                                    etag);
                }
                case "/api/traffic" -> {
                    String etag = etag("traffic-" + api.traffic().history().version() + "-"
                            + api.traffic().topVersion());
                    yield etag.equals(ifNoneMatch)
                            ? notModified(etag)
                            : json(HttpResponseStatus.OK, api.traffic().view(), etag);
                }
                default -> service(path, ifNoneMatch);
            };
        } catch (StatusApi.BadRequest e) {
            return error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        } catch (StatusApi.NotFound e) {
            return error(HttpResponseStatus.NOT_FOUND, e.getMessage());
        } catch (RuntimeException | JsonProcessingException e) {
            log.warn("event=http-error path={} error=\"{}\"", path, e.toString());
            return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e.getMessage());
        }
    }

    /** {@code /api/services/{namespace}/{name}}: one service with its endpoints. */
    private Reply service(String path, String ifNoneMatch)
            throws StatusApi.BadRequest, StatusApi.NotFound, JsonProcessingException {
        String[] parts = path.substring(SERVICE_PREFIX.length()).split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new StatusApi.NotFound(
                    "no such resource: " + shorten(path) + "; a service is /api/services/NAMESPACE/NAME");
        }
        return versioned(ifNoneMatch, s -> api.service(s, parts[0], parts[1]));
    }

    /** A view of one snapshot, or 304 when the client already has that snapshot's version. */
    private interface View {
        Object of(MeshSnapshot s) throws StatusApi.BadRequest, StatusApi.NotFound;
    }

    private Reply versioned(String ifNoneMatch, View view)
            throws StatusApi.BadRequest, StatusApi.NotFound, JsonProcessingException {
        MeshSnapshot s = api.snapshot();
        String etag = etag(String.valueOf(s.version()));
        return etag.equals(ifNoneMatch) ? notModified(etag) : json(HttpResponseStatus.OK, view.of(s), etag);
    }

    private static String etag(String version) {
        return "\"" + version + "\"";
    }

    private static Reply notModified(String etag) {
        return new Reply(HttpResponseStatus.NOT_MODIFIED, JSON, new byte[0], Map.of("ETag", etag));
    }

    /** Where a path not served here is served, so a wrong port is easy to see. */
    private String notHere(String path) {
        for (Role other : Role.values()) {
            if (other != role && other.serves(path)) {
                return "; " + path + " is served on the "
                        + (other == Role.ADMIN ? "admin listener (admin.port)" : "metrics listener (http.port)");
            }
        }
        return role == Role.ADMIN ? "; try / (status page) or /api/status" : "; try /metrics, /healthz or /readyz";
    }

    /** Compares digests of equal length, so the time taken says nothing about the token. */
    private boolean authorized(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return java.security.MessageDigest.isEqual(
                tokenHash, sha256(authorization.substring(7).trim()));
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private Reply health() throws JsonProcessingException {
        boolean up = dnsListening.getAsBoolean();
        Map<String, Object> body = Map.of(
                "status",
                up ? "ok" : "failing",
                "reason",
                up ? "process alive, DNS and HTTP listeners up" : "a DNS listener is closed");
        return json(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private static String param(QueryStringDecoder decoded, String name) throws StatusApi.BadRequest {
        List<String> values = decoded.parameters().get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new StatusApi.BadRequest(
                    "parameter '" + name + "' is given " + values.size() + " times; give it once");
        }
        return values.get(0);
    }

    private Reply json(HttpResponseStatus status, Object body) throws JsonProcessingException {
        return new Reply(status, JSON, json.writeValueAsBytes(body));
    }

    private Reply json(HttpResponseStatus status, Object body, String etag) throws JsonProcessingException {
        return new Reply(status, JSON, json.writeValueAsBytes(body), Map.of("ETag", etag));
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
                    ? error(
                            HttpResponseStatus.BAD_REQUEST,
                            "malformed HTTP request: "
                                    + request.decoderResult().cause().getMessage())
                    : route(
                            request.method(),
                            request.uri(),
                            request.headers().get(HttpHeaderNames.AUTHORIZATION),
                            request.headers().get(HttpHeaderNames.IF_NONE_MATCH));
            boolean head = request.method().equals(HttpMethod.HEAD);
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    reply.status(),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
            var headers = response.headers();
            if (reply.status().equals(HttpResponseStatus.NOT_MODIFIED)) {
                // 304: headers only, as few as HTTP allows; the client keeps what it has.
                headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            } else {
                headers.set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
                headers.setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
                // An ETag'd response may be kept but must be revalidated; the rest is never stored.
                headers.set(
                        HttpHeaderNames.CACHE_CONTROL, reply.headers().containsKey("ETag") ? "no-cache" : "no-store");
                headers.set("X-Content-Type-Options", "nosniff");
            }
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
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** The status page's files stay in the server's resource folder, whichever package serves them. */
    private static byte[] resource(String name) {
        try (InputStream in = HttpServer.class.getResourceAsStream("/io/meshdns/server/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource /io/meshdns/server/" + name);
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
