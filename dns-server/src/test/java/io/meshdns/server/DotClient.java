package io.meshdns.server;

import io.meshdns.server.cli.DemoTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A DNS-over-TLS client made of the JDK's own TLS (SSLSocket) and the RFC 1035 two-byte framing: it trusts
 * one CA, checks the server's name as RFC 8310 strict mode does, and optionally presents a client certificate.
 */
final class DotClient {
    private final SSLContext context;
    private final String[] protocols;

    private DotClient(SSLContext context, String... protocols) {
        this.context = context;
        this.protocols = protocols;
    }

    /** Trusts {@code ca}; presents {@code clientCertificate} when it is not null. */
    static DotClient trusting(X509Certificate ca, DemoTls.Issued clientCertificate, String... protocols)
            throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (clientCertificate != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", clientCertificate.key().getPrivate(), new char[0], new X509Certificate[] {
                clientCertificate.certificate()
            });
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return new DotClient(ctx, protocols.length == 0 ? new String[] {"TLSv1.3", "TLSv1.2"} : protocols);
    }

    /** A connection to {@code server}, expecting a certificate for {@link DemoTls#SERVER_NAME}; handshake done. */
    SSLSocket connect(InetSocketAddress server) throws IOException {
        Socket plain = new Socket(server.getAddress(), server.getPort());
        plain.setSoTimeout(5000);
        SSLSocket tls =
                (SSLSocket) context.getSocketFactory().createSocket(plain, DemoTls.SERVER_NAME, server.getPort(), true);
        SSLParameters p = tls.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
        p.setServerNames(java.util.List.of(new SNIHostName(DemoTls.SERVER_NAME)));
        p.setProtocols(protocols);
        tls.setSSLParameters(p);
        tls.startHandshake();
        return tls;
    }
}
