package io.meshdns.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ServiceAccount token of a member cluster's kubeconfig, renewed before it expires. A token from a
 * TokenRequest (what {@code meshdns cluster add} writes) is a JWT whose claims name its ServiceAccount
 * ({@code kubernetes.io.namespace}, {@code kubernetes.io.serviceaccount.name}) and say when it was issued and
 * expires ({@code iat}, {@code exp}). At 80% of its lifetime (as the kubelet renews projected tokens) a new token
 * of the same lifetime is requested for the same ServiceAccount, with the token itself (it may {@code create
 * serviceaccounts/token} on its own ServiceAccount by name); the client then sends the new token with every
 * request (it is this client's {@link OAuthTokenProvider}, read per request, so the informers keep running), and
 * the kubeconfig file is rewritten with it so that a restarted server keeps working. A token without an expiry
 * (a token Secret's, or another credential) is left as it is.
 *
 * <p>Renewals run on the control thread, never on the query path. A failed renewal is logged with the cluster
 * id and retried after {@code retryInterval} (sooner if the token ends before that); each failure also looks
 * whether the kubeconfig file holds another token meanwhile, and takes it.
 */
final class MemberToken implements OAuthTokenProvider, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemberToken.class);
    /** Renew at this share of the lifetime, leaving a fifth of it for retries. */
    private static final double RENEW_AT = 0.8;

    /** What a ServiceAccount token says of itself. */
    record Claims(String namespace, String serviceAccount, Instant issued, Instant expires) {
        Duration lifetime() {
            return Duration.between(issued, expires);
        }
    }

    private final ClusterSpec spec;
    private final String context;
    private final ScheduledExecutorService control;
    private final Duration retryInterval;
    private volatile String token;
    private volatile Claims claims;
    private volatile KubernetesClient client;
    private volatile Runnable renewed;
    private volatile boolean closed;
    private ScheduledFuture<?> next;

    private MemberToken(
            ClusterSpec spec,
            String context,
            String token,
            Claims claims,
            ScheduledExecutorService control,
            Duration retryInterval) {
        this.spec = spec;
        this.context = context;
        this.token = token;
        this.claims = claims;
        this.control = control;
        this.retryInterval = retryInterval;
    }

    /**
     * The renewable token of a kubeconfig cluster's {@code config}, installed as its token provider, or
     * {@code null} when its credential is not an expiring ServiceAccount token.
     */
    static MemberToken of(ClusterSpec spec, Config config, ScheduledExecutorService control, Duration retryInterval) {
        // fabric8 keeps a kubeconfig user's token as its "auto" token (the one it may reload), not as a set one.
        String current = config.getOauthToken() != null ? config.getOauthToken() : config.getAutoOAuthToken();
        if (spec.inCluster() || current == null) {
            return null;
        }
        Claims claims = claims(current);
        if (claims == null) {
            return null;
        }
        String context = config.getCurrentContext() == null
                ? null
                : config.getCurrentContext().getName();
        MemberToken token = new MemberToken(spec, context, current, claims, control, retryInterval);
        config.setOauthTokenProvider(token);
        return token;
    }

    /** The claims of a ServiceAccount JWT with an expiry, or {@code null} for anything else. */
    static Claims claims(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            JsonNode payload =
                    new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
            JsonNode k8s = payload.path("kubernetes.io");
            String namespace = k8s.path("namespace").asText(null);
            String name = k8s.path("serviceaccount").path("name").asText(null);
            if (namespace == null || name == null || !payload.path("exp").canConvertToLong()) {
                return null;
            }
            Instant expires = Instant.ofEpochSecond(payload.path("exp").asLong());
            Instant issued = payload.path("iat").canConvertToLong()
                    ? Instant.ofEpochSecond(payload.path("iat").asLong())
                    : Instant.now();
            return new Claims(namespace, name, issued, expires);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Starts renewing through {@code client}, the client this token authenticates; {@code renewed} after each. */
    synchronized void start(KubernetesClient client, Runnable renewed) {
        this.client = client;
        this.renewed = renewed;
        schedule(renewalTime(claims));
    }

    @Override
    public String getToken() {
        return token;
    }

    /** When the current token ends. */
    Instant expires() {
        return claims.expires();
    }

    static Instant renewalTime(Claims claims) {
        return claims.issued().plusMillis((long) (claims.lifetime().toMillis() * RENEW_AT));
    }

    private synchronized void schedule(Instant at) {
        if (closed) {
            return;
        }
        long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        next = control.schedule(this::renew, delay, TimeUnit.MILLISECONDS);
    }

    /** Control thread. */
    private void renew() {
        Claims current = claims;
        try {
            TokenRequest answered = client.serviceAccounts()
                    .inNamespace(current.namespace())
                    .withName(current.serviceAccount())
                    .tokenRequest(new TokenRequestBuilder()
                            .withNewSpec()
                            .withExpirationSeconds(
                                    Math.max(1, current.lifetime().toSeconds()))
                            .endSpec()
                            .build());
            String renewed =
                    answered.getStatus() == null ? null : answered.getStatus().getToken();
            Claims renewedClaims = renewed == null ? null : claims(renewed);
            if (renewedClaims == null) {
                throw new IllegalStateException("the TokenRequest answer holds no ServiceAccount token with an expiry");
            }
            token = renewed;
            claims = renewedClaims;
            log.info(
                    "cluster {}: renewed the token of ServiceAccount {}/{}, valid until {}",
                    spec.id(),
                    current.namespace(),
                    current.serviceAccount(),
                    renewedClaims.expires());
            rewriteKubeconfig(renewed);
            schedule(renewalTime(renewedClaims));
            this.renewed.run();
        } catch (RuntimeException e) {
            Instant now = Instant.now();
            Duration left = Duration.between(now, current.expires());
            log.warn(
                    "cluster {}: cannot renew the token of ServiceAccount {}/{} ({} left): {}",
                    spec.id(),
                    current.namespace(),
                    current.serviceAccount(),
                    left.isNegative() ? "expired" : left.withNanos(0),
                    WatchErrors.describe("TokenRequest", e));
            if (adoptFromKubeconfig(current)) {
                return;
            }
            // Until the token ends, retry within its remaining time; after, only a new kubeconfig can help.
            Duration wait = !left.isNegative() && left.dividedBy(2).compareTo(retryInterval) < 0
                    ? left.dividedBy(2)
                    : retryInterval;
            schedule(now.plus(wait));
        }
    }

    /**
     * Takes the token the kubeconfig file holds now when it is another one than {@code current}'s (an operator ran
     * {@code cluster add} again, or the Secret holding the file was updated): fabric8 would reread the file after
     * a 401 if this provider did not answer for it. Returns whether it did.
     */
    private boolean adoptFromKubeconfig(Claims current) {
        String inFile;
        try {
            inFile = userEntry(new YAMLMapper().readTree(spec.kubeconfig().toFile()))
                    .path("token")
                    .asText(null);
        } catch (IOException | RuntimeException e) {
            return false;
        }
        if (inFile == null || inFile.equals(token)) {
            return false;
        }
        Claims read = claims(inFile);
        token = inFile;
        log.info("cluster {}: using the new token of kubeconfig {}", spec.id(), spec.kubeconfig());
        if (read != null) {
            claims = read;
            schedule(renewalTime(read));
        }
        renewed.run();
        return true;
    }

    /** The {@code user} map of the context's user entry, or a missing node. */
    private JsonNode userEntry(JsonNode root) {
        String name = context != null ? context : root.path("current-context").asText(null);
        String user = null;
        for (JsonNode c : root.path("contexts")) {
            if (c.path("name").asText("").equals(name)) {
                user = c.path("context").path("user").asText(null);
            }
        }
        for (JsonNode u : root.path("users")) {
            if (u.path("name").asText("").equals(user)) {
                return u.path("user");
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /**
     * Puts {@code renewed} in place of the token of the context's user in the kubeconfig file, replacing the file
     * in one step (a temporary file renamed over it, readable by its owner only: it holds a credential). A file
     * that cannot be written (a Secret mounted read-only) is told, and the token is used from memory.
     */
    private void rewriteKubeconfig(String renewed) {
        Path file = spec.kubeconfig();
        try {
            YAMLMapper yaml = new YAMLMapper();
            JsonNode root = yaml.readTree(file.toFile());
            boolean written = false;
            if (userEntry(root) instanceof ObjectNode entry) {
                entry.put("token", renewed);
                written = true;
            }
            if (!written) {
                throw new IOException("the context's user entry cannot be found");
            }
            KubernetesClients.writeKubeconfig(
                    file,
                    yaml.copy()
                            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                            .writeValueAsString(root));
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "cluster {}: renewed token not saved in kubeconfig {} ({}); it is used until the server stops",
                    spec.id(),
                    file,
                    e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
    }
}
