package io.meshdns.discovery;

import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP transport of every member cluster's client: one Vert.x instance, and so one set of event loops (two
 * per core), for all the clusters a {@link MeshWatcher} watches. fabric8's default gives each client a Vert.x
 * of its own (event loops, a blocked-thread checker, timers): with 20 clusters meshdns ran 160 threads, and 66
 * with one, and its first sync took less CPU and heap (bench/RESULTS.md, "One Vert.x for the member clusters'
 * clients"). A client closed with its cluster leaves the transport running for the
 * others; {@link #close} ends it, after the last client.
 */
final class MemberHttpTransport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemberHttpTransport.class);
    // Read by Vert.x when an instance is made: without it Vert.x resolves host names with a DNS client of its own
    // (its reading of /etc/resolv.conf and /etc/hosts), not the JDK's resolver (nsswitch, the JVM's address
    // cache) that fabric8's default transport uses. fabric8 sets it the same way around the Vert.x it makes.
    private static final String DISABLE_DNS_RESOLVER = "vertx.disableDnsResolver";

    private final Vertx vertx;
    private final HttpClient.Factory factory;

    MemberHttpTransport() {
        VertxOptions options = new VertxOptions()
                // Nothing is served from files: no cache folder in the working directory, no class path lookups.
                .setFileSystemOptions(
                        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false))
                .setUseDaemonThread(true);
        this.vertx = withJdkResolver(options);
        this.factory = new VertxHttpClientFactory(vertx);
    }

    private static synchronized Vertx withJdkResolver(VertxOptions options) {
        if (System.getProperty(DISABLE_DNS_RESOLVER) != null) {
            return Vertx.vertx(options);
        }
        System.setProperty(DISABLE_DNS_RESOLVER, "true");
        try {
            return Vertx.vertx(options);
        } finally {
            System.clearProperty(DISABLE_DNS_RESOLVER);
        }
    }

    /** What builds the member clients' HTTP clients; closing one of them leaves the transport running. */
    HttpClient.Factory factory() {
        return factory;
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("closing the member clusters' HTTP transport: {}", e.toString());
        }
    }
}
