package io.meshdns.testkit;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ServiceAccount tokens one mock API server has issued, as a real API server's token authenticator knows
 * them: a TokenRequest ({@code POST .../serviceaccounts/NAME/token}) gives a token that expires, the token
 * controller fills a {@code kubernetes.io/service-account-token} Secret with one that does not. A request
 * bearing such a token acts as {@code system:serviceaccount:NAMESPACE:NAME} while the token is valid (not
 * expired, its ServiceAccount and, for a Secret's token, its Secret still there); any other credential (the
 * testkit kubeconfig's {@code mock} token) stays the cluster admin that tests and the demo use.
 */
final class ServiceAccountTokens {
    /** Who an issued token is; {@code secret} names the Secret holding it, {@code expires} may be {@code null}. */
    record Issued(String namespace, String serviceAccount, Instant expires, String secret) {
        String user() {
            return "system:serviceaccount:" + namespace + ":" + serviceAccount;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<String, Issued> issued = new ConcurrentHashMap<>();

    /**
     * A new token for {@code namespace/serviceAccount}, shaped as the API server's: a JWT whose claims say who
     * it is ({@code sub}, {@code kubernetes.io}) and, for a TokenRequest, when it was issued and expires
     * ({@code iat}, {@code exp}), so that a client can tell when to renew it. Its signature is random bytes: this
     * mock knows its tokens by their whole text, not by verifying them.
     */
    String issue(String namespace, String serviceAccount, Instant expires, String secret) {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        StringBuilder claims = new StringBuilder("{\"iss\":\"https://kubernetes.default.svc\"")
                .append(",\"sub\":\"system:serviceaccount:")
                .append(namespace)
                .append(':')
                .append(serviceAccount)
                .append('"');
        if (expires != null) {
            claims.append(",\"iat\":")
                    .append(Instant.now().getEpochSecond())
                    .append(",\"exp\":")
                    .append(expires.getEpochSecond());
        }
        claims.append(",\"kubernetes.io\":{\"namespace\":\"")
                .append(namespace)
                .append("\",\"serviceaccount\":{\"name\":\"")
                .append(serviceAccount)
                .append("\"}}}");
        String token = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + "." + base64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8))
                + "." + base64.encodeToString(bytes);
        issued.put(token, new Issued(namespace, serviceAccount, expires, secret));
        return token;
    }

    /** The issued token an {@code Authorization} header carries, or {@code null} for any other credential. */
    Issued of(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return issued.get(authorization.substring(7).trim());
    }
}
