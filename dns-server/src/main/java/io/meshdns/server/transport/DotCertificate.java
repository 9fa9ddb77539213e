package io.meshdns.server.transport;

import io.meshdns.core.ConfigException;
import io.meshdns.server.config.ServerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS-over-TLS listener's certificate: the TLS context built from the PEM files of {@code dns.tls}, and
 * rebuilt when their content changes. A new connection takes the context current when it is accepted, so a
 * rotated certificate is served without a restart and open connections keep theirs. The files are compared
 * by content, not modification time: Kubernetes updates a Secret volume by swapping a {@code ..data} symlink.
 * A change that does not load (unreadable, a key that does not match) keeps the previous certificate.
 */
public final class DotCertificate implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DotCertificate.class);
    /** A certificate expiring sooner than this is a warning in the log. */
    public static final Duration EXPIRY_WARNING = Duration.ofDays(14);

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

    /** What the status page shows about the certificate being served. */
    public record Info(
            String subject,
            String issuer,
            Instant notAfter,
            Instant loadedAt,
            boolean clientAuth,
            String reloadError) {}

    /** One loaded generation of the files. */
    private record Loaded(SslContext context, X509Certificate leaf, byte[] digest, Instant loadedAt) {}

    private final ServerConfig.Tls files;
    private final Clock clock;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final Counter reloadFailures;
    private volatile String reloadError;
    /** The digest of the last content that failed to load, so one bad version is logged and counted once. */
    private byte[] failedDigest;

    private Instant lastExpiryWarning = Instant.MIN;
    private ScheduledExecutorService watcher;

    private DotCertificate(ServerConfig.Tls files, MeterRegistry registry, Clock clock) {
        this.files = files;
        this.clock = clock;
        this.reloadFailures = Counter.builder("meshdns.tls.reload.failures")
                .description("Changed DNS-over-TLS certificate or key files that could not be loaded (the previous"
                        + " certificate is still served)")
                .register(registry);
        Gauge.builder("meshdns.tls.certificate.expiry", this, DotCertificate::secondsToExpiry)
                .description("Seconds until the DNS-over-TLS certificate being served expires (negative once expired)")
                .baseUnit("seconds")
                .register(registry);
    }

    /**
     * Loads the certificate, key and optional client CA of {@code files}; a failure is a {@link ConfigException}
     * naming the key and file (meshdns does not start).
     */
    public static DotCertificate load(ServerConfig.Tls files, MeterRegistry registry, Clock clock) {
        DotCertificate c = new DotCertificate(files, registry, clock);
        byte[][] content = c.read();
        c.current.set(c.build(content));
        c.warnIfExpiring();
        return c;
    }

    /** Polls the files every {@code interval} from a daemon thread; returns this. */
    public DotCertificate watch(Duration interval) {
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshdns-tls-reload");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(
                this::reloadIfChanged, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The context for a connection accepted now. */
    SslContext context() {
        return current.get().context();
    }

    public Info info() {
        Loaded l = current.get();
        return new Info(
                l.leaf().getSubjectX500Principal().getName(),
                l.leaf().getIssuerX500Principal().getName(),
                l.leaf().getNotAfter().toInstant(),
                l.loadedAt(),
                files.clientCaFile() != null,
                reloadError);
    }

    /**
     * Reads the files again and, when their content changed, serves them from the next connection on; when they
     * do not load, keeps the certificate being served, logs the error and counts it (once per bad content).
     * Returns whether a new certificate is being served.
     */
    synchronized boolean reloadIfChanged() {
        try {
            byte[][] content;
            try {
                content = read();
            } catch (ConfigException e) {
                failed(null, e.getMessage());
                return false;
            }
            byte[] digest = digest(content);
            if (Arrays.equals(digest, current.get().digest())) {
                reloadError = null; // back to the files being served (a failed change was undone)
                failedDigest = null;
                warnIfExpiring();
                return false;
            }
            if (Arrays.equals(digest, failedDigest)) {
                return false;
            }
            try {
                Loaded next = build(content);
                current.set(next);
                reloadError = null;
                failedDigest = null;
                lastExpiryWarning = Instant.MIN;
                log.info(
                        "event=tls-certificate-reloaded subject=\"{}\" notAfter={}",
                        next.leaf().getSubjectX500Principal().getName(),
                        next.leaf().getNotAfter().toInstant());
                warnIfExpiring();
                return true;
            } catch (ConfigException e) {
                failed(digest, e.getMessage());
                return false;
            }
        } catch (RuntimeException e) { // never let the timer die
            failed(null, e.toString());
            return false;
        }
    }

    private void failed(byte[] digest, String why) {
        if (digest == null && why.equals(reloadError)) {
            return; // the same unreadable file, polled again
        }
        failedDigest = digest;
        reloadError = why;
        reloadFailures.increment();
        log.error("event=tls-certificate-reload-failed still serving the previous certificate: {}", why);
    }

    private double secondsToExpiry() {
        Loaded l = current.get();
        return l == null
                ? Double.NaN
                : Duration.between(clock.instant(), l.leaf().getNotAfter().toInstant())
                        .toSeconds();
    }

    /** A warning at load and then once a day while the certificate expires within {@link #EXPIRY_WARNING}. */
    private void warnIfExpiring() {
        Instant now = clock.instant();
        Instant notAfter = current.get().leaf().getNotAfter().toInstant();
        if (Duration.between(now, notAfter).compareTo(EXPIRY_WARNING) < 0
                && Duration.between(lastExpiryWarning, now).compareTo(Duration.ofDays(1)) >= 0) {
            lastExpiryWarning = now;
            log.warn(
                    "event=tls-certificate-expiring subject=\"{}\" notAfter={} (within {} days): renew {}",
                    current.get().leaf().getSubjectX500Principal().getName(),
                    notAfter,
                    EXPIRY_WARNING.toDays(),
                    files.certFile());
        }
    }

    /** The bytes of certFile, keyFile and clientCaFile (empty when not set). */
    private byte[][] read() {
        return new byte[][] {
            readFile("certFile", files.certFile()),
            readFile("keyFile", files.keyFile()),
            files.clientCaFile() == null ? new byte[0] : readFile("clientCaFile", files.clientCaFile())
        };
    }

    private static byte[] readFile(String key, String file) {
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("dns.tls." + key + " " + file + " cannot be read: " + e);
        }
    }

    private Loaded build(byte[][] content) {
        List<X509Certificate> chain = certificates("certFile", files.certFile(), content[0]);
        PrivateKey key = privateKey(content[1]);
        checkKeyMatches(key, chain.get(0));
        SslContextBuilder b = SslContextBuilder.forServer(key, chain.toArray(new X509Certificate[0]))
                .sslProvider(SslProvider.JDK) // nothing native to fetch
                .protocols("TLSv1.3", "TLSv1.2");
        if (files.clientCaFile() != null) {
            List<X509Certificate> cas = certificates("clientCaFile", files.clientCaFile(), content[2]);
            b.trustManager(cas.toArray(new X509Certificate[0])).clientAuth(ClientAuth.REQUIRE);
        }
        try {
            return new Loaded(b.build(), chain.get(0), digest(content), clock.instant());
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(
                    "dns.tls " + files.certFile() + ", " + files.keyFile() + ": cannot make a TLS context: " + e);
        }
    }

    private static List<X509Certificate> certificates(String key, String file, byte[] pem) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                out.add((X509Certificate) c);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new ConfigException("dns.tls." + key + " " + file + " is not a PEM certificate: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new ConfigException("dns.tls." + key + " " + file + " holds no certificate");
        }
        return out;
    }

    /** PKCS#8, or PKCS#1/SEC 1 ({@code RSA PRIVATE KEY}, {@code EC PRIVATE KEY}) as cert-manager writes by default. */
    private PrivateKey privateKey(byte[] pem) {
        String where = "dns.tls.keyFile " + files.keyFile();
        try (PEMParser parser = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    // Only the private half: SEC 1 makes the public key optional, and the certificate holds it anyway.
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new ConfigException(
                            where + " is encrypted; give the key unencrypted (as a Kubernetes Secret holds it)");
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(where + " is not a PEM private key: " + e.getMessage());
        }
        throw new ConfigException(where + " holds no PEM private key");
    }

    /** Netty's JDK provider would accept a key of another certificate and fail every handshake: check it here. */
    private void checkKeyMatches(PrivateKey key, X509Certificate leaf) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        boolean matches;
        try {
            if (algorithm == null) {
                throw new ConfigException(
                        "dns.tls.keyFile " + files.keyFile() + ": unsupported key type " + key.getAlgorithm());
            }
            byte[] probe = "meshdns key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false; // e.g. an EC key against an RSA certificate
        }
        if (!matches) {
            throw new ConfigException("dns.tls.keyFile " + files.keyFile()
                    + " does not match the certificate in dns.tls.certFile " + files.certFile() + " (subject "
                    + leaf.getSubjectX500Principal().getName() + ")");
        }
    }

    private static byte[] digest(byte[][] content) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] part : content) {
                sha.update(Integer.toString(part.length).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) 0);
                sha.update(part);
            }
            return sha.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }
}
