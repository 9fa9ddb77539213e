package io.meshdns.forwarder;

import io.meshdns.core.DnsLabel;
import io.meshdns.core.UpstreamAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * DNS over TLS from CoreDNS to meshdns: the {@code forward} plugin's upstreams become {@code tls://ADDR:PORT}
 * and it gets {@code tls} and {@code tls_servername} lines. The file paths are where CoreDNS's pod sees
 * them (a Secret mounted into the CoreDNS Deployment), not paths on the machine running coredns-config.
 *
 * @param serverName the name meshdns's certificate carries, checked by CoreDNS ({@code tls_servername})
 * @param port meshdns's DNS-over-TLS port (853 by default); it replaces any port of the forward addresses,
 *     which are meshdns's plain DNS port
 * @param caFile the CA bundle that issued meshdns's certificate; {@code null}: the system's CAs
 * @param certFile with {@code keyFile}, the client certificate for mutual TLS; {@code null} for none
 * @param keyFile the client certificate's key
 */
public record ForwardTls(String serverName, Integer port, String caFile, String certFile, String keyFile) {
    private static final Pattern TOKEN = Pattern.compile("[^\\s{}\"#;]+");
    public static final int DEFAULT_PORT = 853;

    public ForwardTls {
        if (serverName == null || !isHostName(serverName)) {
            throw new IllegalArgumentException(
                    "the TLS server name must be a DNS name such as meshdns.example.com; was '" + serverName + "'");
        }
        port = port == null ? DEFAULT_PORT : port;
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the DNS-over-TLS port must be between 1 and 65535; was " + port);
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("a client certificate and its key go together (mutual TLS): give both");
        }
        for (String file : new String[] {caFile, certFile, keyFile}) {
            if (file != null && !TOKEN.matcher(file).matches()) {
                throw new IllegalArgumentException(
                        "'" + file + "' cannot be written into a Corefile: a path without spaces,"
                                + " braces, quotes, '#' or ';' is needed");
            }
        }
    }

    /** A DNS name of RFC 1123 labels in any case, with or without the final dot. */
    private static boolean isHostName(String name) {
        try {
            DnsLabel.zone(name, false);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code tls://HOST:PORT} for a forward address {@code HOST}, {@code HOST:P}, {@code [V6]:P} or {@code V6}. */
    String upstream(String address) {
        return "tls://" + UpstreamAddress.parseAsWritten(address).withPort(port);
    }

    /**
     * The lines inside {@code forward ... { }}: CoreDNS's {@code tls [CERT KEY] [CA]} (no arguments would mean
     * the system's CAs and no client certificate, its default) and {@code tls_servername}.
     */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        List<String> args = new ArrayList<>();
        if (certFile != null) {
            args.add(certFile);
            args.add(keyFile);
        }
        if (caFile != null) {
            args.add(caFile);
        }
        if (!args.isEmpty()) {
            lines.add("tls " + String.join(" ", args));
        }
        lines.add("tls_servername " + serverName);
        return lines;
    }
}
