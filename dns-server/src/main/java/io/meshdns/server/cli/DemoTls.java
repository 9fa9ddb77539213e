package io.meshdns.server.cli;

import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A throwaway certificate authority for the demo's DNS over TLS (and for tests): a CA, server certificates
 * for {@code localhost}/{@code 127.0.0.1}/{@code ::1} and client certificates, ECDSA P-256, as PEM files.
 * Made with BouncyCastle's X.509 builder (the JDK has none it exports); signed with the JDK's own provider.
 */
public final class DemoTls {
    /** The names a demo server certificate is valid for: what {@code kdig +tls-hostname=} and unbound's {@code #name} use. */
    public static final String SERVER_NAME = "localhost";

    private final KeyPair caKey;
    private final X509Certificate ca;
    private final SecureRandom random = new SecureRandom();

    private DemoTls(KeyPair caKey, X509Certificate ca) {
        this.caKey = caKey;
        this.ca = ca;
    }

    /**
     * The demo's files in {@code dir}: a throwaway CA ({@code ca.crt}, for clients), the server's certificate
     * and key ({@code tls.crt}, {@code tls.key}) and a client certificate ({@code client.crt}, {@code client.key})
     * for trying mutual TLS with {@code serve}. Returns DNS over TLS on {@code port} with the server's.
     */
    public static ServerConfig.Tls writeDemoCertificates(Path dir, int port) throws IOException {
        DemoTls ca = newCa("meshdns demo CA", Duration.ofDays(90));
        writePem(dir.resolve("ca.crt"), ca.ca());
        ca.server("meshdns demo", Duration.ofDays(30)).write(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        ca.client("meshdns demo client", Duration.ofDays(30))
                .write(dir.resolve("client.crt"), dir.resolve("client.key"));
        return new ServerConfig.Tls(
                port, dir.resolve("tls.crt").toString(), dir.resolve("tls.key").toString(), null, null);
    }

    /** A new CA named {@code name}, valid from now for {@code validity}. */
    public static DemoTls newCa(String name, Duration validity) {
        try {
            KeyPair key = keyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + name);
            var b = new JcaX509v3CertificateBuilder(
                    subject,
                    BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)),
                    subject,
                    key.getPublic());
            var ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
            return new DemoTls(key, sign(b, key));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the demo CA: " + e, e);
        }
    }

    public X509Certificate ca() {
        return ca;
    }

    /** A server certificate for {@link #SERVER_NAME}, 127.0.0.1 and ::1, valid from now for {@code validity}. */
    public Issued server(String commonName, Duration validity) {
        return issue(commonName, validity, KeyPurposeId.id_kp_serverAuth, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, SERVER_NAME),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            new GeneralName(GeneralName.iPAddress, "::1")
        }));
    }

    /** A client certificate (for mutual TLS). */
    public Issued client(String commonName, Duration validity) {
        return issue(commonName, validity, KeyPurposeId.id_kp_clientAuth, null);
    }

    /** An issued certificate and its key. */
    public record Issued(X509Certificate certificate, KeyPair key) {
        /** Writes the certificate and its private key (PKCS#8) as PEM files. */
        public void write(Path certFile, Path keyFile) throws IOException {
            writePem(certFile, certificate);
            writePem(keyFile, pkcs8WithPublicKey(key));
        }
    }

    /**
     * PKCS#8 holding the public point too, as openssl writes it: the JDK's own encoding leaves it out, and
     * GnuTLS (kdig's client certificate) then refuses the key.
     */
    static PemObject pkcs8WithPublicKey(KeyPair key) throws IOException {
        PrivateKeyInfo jdk = PrivateKeyInfo.getInstance(key.getPrivate().getEncoded());
        ECPrivateKey bare = ECPrivateKey.getInstance(jdk.parsePrivateKey());
        DERBitString point = new DERBitString(
                SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded())
                        .getPublicKeyData()
                        .getBytes());
        ECPrivateKey full = new ECPrivateKey(256, bare.getKey(), point, null);
        return new PemObject("PRIVATE KEY", new PrivateKeyInfo(jdk.getPrivateKeyAlgorithm(), full).getEncoded());
    }

    private Issued issue(String commonName, Duration validity, KeyPurposeId purpose, GeneralNames names) {
        try {
            KeyPair key = keyPair();
            Instant now = Instant.now();
            var b = new JcaX509v3CertificateBuilder(
                    ca,
                    new BigInteger(64, random).add(BigInteger.ONE),
                    Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)),
                    new X500Name("CN=" + commonName),
                    key.getPublic());
            var ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
            if (names != null) {
                b.addExtension(Extension.subjectAlternativeName, false, names);
            }
            return new Issued(sign(b, caKey), key);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue a demo certificate: " + e, e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(b.build(s));
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    public static void writePem(Path file, Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            if (object instanceof org.bouncycastle.util.io.pem.PemObjectGenerator g) {
                pem.writeObject(g);
            } else {
                pem.writeObject(object);
            }
        }
        Files.writeString(file, text.toString());
    }
}
