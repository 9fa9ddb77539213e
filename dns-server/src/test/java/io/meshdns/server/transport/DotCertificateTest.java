package io.meshdns.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.core.ConfigException;
import io.meshdns.server.PrometheusText;
import io.meshdns.server.cli.DemoTls;
import io.meshdns.server.config.ServerConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading and reloading the DNS-over-TLS certificate from its PEM files. */
class DotCertificateTest {
    @TempDir
    Path dir;

    DemoTls ca;
    Path cert;
    Path key;
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @BeforeEach
    void issue() throws Exception {
        ca = DemoTls.newCa("test CA", Duration.ofDays(1));
        cert = dir.resolve("tls.crt");
        key = dir.resolve("tls.key");
        ca.server("first", Duration.ofDays(30)).write(cert, key);
    }

    ServerConfig.Tls files() {
        return new ServerConfig.Tls(0, cert.toString(), key.toString(), null, null);
    }

    DotCertificate load() {
        return DotCertificate.load(files(), registry, Clock.systemUTC());
    }

    double metric(String family) {
        return PrometheusText.parse(registry.scrape()).family(family).value(Map.of());
    }

    @Test
    void aSec1EcKeyAsCertManagerWritesItByDefaultLoads() throws Exception {
        DemoTls.Issued issued = ca.server("sec1", Duration.ofDays(30));
        issued.write(cert, key);
        // Not PKCS#8: SEC 1 "EC PRIVATE KEY" with the curve, as openssl and cert-manager (encoding PKCS1) write it.
        var pkcs8 = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(
                issued.key().getPrivate().getEncoded());
        var ec = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(pkcs8.parsePrivateKey());
        var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
                256, ec.getKey(), pkcs8.getPrivateKeyAlgorithm().getParameters());
        DemoTls.writePem(key, new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        assertThat(Files.readString(key)).startsWith("-----BEGIN EC PRIVATE KEY-----");

        assertThat(load().info().subject()).isEqualTo("CN=sec1");
    }

    @Test
    void aKeyOfAnotherCertificateIsOneErrorNamingBothFiles() throws Exception {
        ca.server("other", Duration.ofDays(30)).write(dir.resolve("other.crt"), key);

        assertThatThrownBy(this::load)
                .isInstanceOf(ConfigException.class)
                .hasMessage("dns.tls.keyFile " + key + " does not match the certificate in dns.tls.certFile " + cert
                        + " (subject CN=first)");
    }

    @Test
    void anUnreadableCertificateIsOneErrorNamingTheKey() throws Exception {
        Files.delete(cert);

        assertThatThrownBy(this::load)
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("dns.tls.certFile " + cert + " cannot be read: ");
    }

    @Test
    void aFileThatIsNotPemIsOneErrorNamingTheKey() throws Exception {
        Files.writeString(key, "not a key\n");

        assertThatThrownBy(this::load)
                .isInstanceOf(ConfigException.class)
                .hasMessage("dns.tls.keyFile " + key + " holds no PEM private key");
    }

    @Test
    void changedFilesAreServedFromTheNextReload() throws Exception {
        DotCertificate c = load();
        ca.server("second", Duration.ofDays(30)).write(cert, key);

        assertThat(c.reloadIfChanged()).isTrue();
        assertThat(c.info().subject()).isEqualTo("CN=second");
        assertThat(c.reloadIfChanged()).as("unchanged files").isFalse();
    }

    @Test
    void aChangeThatDoesNotLoadKeepsTheCertificateServedAndIsCountedOnce() throws Exception {
        DotCertificate c = load();
        var served = c.context();
        ca.server("second", Duration.ofDays(30)).write(cert, dir.resolve("unused.key")); // the key is still first's

        assertThat(c.reloadIfChanged()).isFalse();
        assertThat(c.reloadIfChanged()).isFalse();

        assertThat(c.context()).isSameAs(served);
        assertThat(c.info().subject()).isEqualTo("CN=first");
        assertThat(c.info().reloadError()).contains("does not match");
        assertThat(metric("meshdns_tls_reload_failures_total")).isEqualTo(1);

        Files.copy(dir.resolve("unused.key"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(c.reloadIfChanged()).as("the matching key arrives").isTrue();
        assertThat(c.info().subject()).isEqualTo("CN=second");
        assertThat(c.info().reloadError()).isNull();
    }

    @Test
    void theExpiryGaugeIsTheSecondsLeftUntilNotAfter() throws Exception {
        DotCertificate first = load();
        var notAfter = first.info().notAfter();
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DotCertificate.load(files(), registry, Clock.fixed(notAfter.minus(Duration.ofDays(10)), ZoneOffset.UTC));

        assertThat(metric("meshdns_tls_certificate_expiry_seconds"))
                .isEqualTo(Duration.ofDays(10).toSeconds());
    }
}
