package io.meshdns.core;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.regex.Pattern;

/**
 * A DNS server to send to, written {@code ADDR} or {@code ADDR:PORT} as CoreDNS's {@code forward} plugin and
 * zone-transfer peers write it: {@code 10.0.0.1}, {@code 10.0.0.1:5353}, {@code fd00::1} or
 * {@code [fd00::1]:5353}. Literals only, never a name. The one parser of such text in meshdns.
 *
 * @param host the address as the text writes it, without brackets or port ({@code fd00::1}), for writing it
 *     back as given
 * @param address the IP address
 * @param port the port, or {@code 0} when the text names none (the sender's default applies)
 */
public record UpstreamAddress(String host, InetAddress address, int port) {
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    public UpstreamAddress {
        if (host == null || address == null || port < 0 || port > 65535) {
            throw new IllegalArgumentException("an upstream needs its host text, address and a port 0-65535");
        }
    }

    /**
     * Reads {@code ADDR}, {@code ADDR:PORT} (IPv4), {@code V6}, {@code [ADDR]} or {@code [ADDR]:PORT}, where ADDR is
     * any literal {@link IpLiteral#parse} reads (an IPv4-mapped IPv6 one as its IPv4 address). Surrounding white
     * space is not trimmed: it is not an address.
     *
     * @throws InvalidPort when the address is one but what follows it is not a port 1-65535
     * @throws IllegalArgumentException saying what else is wrong with {@code text}
     */
    public static UpstreamAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("is required");
        }
        InetAddress bare = IpLiteral.parse(text);
        if (bare != null) {
            return new UpstreamAddress(text, bare, 0);
        }
        String host;
        String port = null;
        int close = text.indexOf(']');
        if (text.startsWith("[") && close == text.length() - 1) {
            host = text.substring(1, close);
        } else if (text.startsWith("[") && text.startsWith("]:", close)) {
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = text.substring(text.indexOf(':') + 1);
        } else {
            throw notAnAddress(text);
        }
        InetAddress address = IpLiteral.parse(host);
        if (address == null) {
            throw notAnAddress(text);
        }
        if (port == null) {
            return new UpstreamAddress(host, address, 0);
        }
        if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new InvalidPort("'" + text + "' has no valid port after the address");
        }
        return new UpstreamAddress(host, address, Integer.parseInt(port));
    }

    /**
     * Like {@link #parse}, for text that is copied as written into the config of a program that reads it by its
     * own rules (CoreDNS's {@code forward}, kube-dns's {@code stubDomains}): the text must write the address in the
     * family it is, and in the form such programs read. So no brackets around an IPv4 address, no IPv4-mapped
     * IPv6 literal ({@code ::ffff:10.0.0.1}), and brackets only before a port (CoreDNS reads {@code [fd00::1]}
     * alone neither as HOST:PORT nor as an address, and looks for a resolv.conf file of that name).
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}, and how to write it
     */
    public static UpstreamAddress parseAsWritten(String text) {
        UpstreamAddress upstream = parse(text);
        boolean bracketed = text.startsWith("[");
        if (IpLiteral.parseAsWritten(upstream.host) == null) {
            throw new IllegalArgumentException("'" + text + "' writes the IPv4 address "
                    + upstream.address.getHostAddress() + " as IPv6; write it as IPv4 ("
                    + upstream.withHost(upstream.address.getHostAddress()) + ")");
        }
        if (bracketed && !(upstream.address instanceof Inet6Address)) {
            throw new IllegalArgumentException(
                    "'" + text + "' puts an IPv4 address in brackets, which are for IPv6; write " + upstream);
        }
        if (bracketed && upstream.port == 0) {
            throw new IllegalArgumentException("'" + text + "' has brackets but no port; write " + upstream.host
                    + " or [" + upstream.host + "]:PORT");
        }
        return upstream;
    }

    /** The same address at {@code port} ({@code 0}: none). */
    public UpstreamAddress withPort(int port) {
        return new UpstreamAddress(host, address, port);
    }

    private UpstreamAddress withHost(String host) {
        return new UpstreamAddress(host, address, port);
    }

    /** {@code HOST}, {@code HOST:PORT} or {@code [V6]:PORT}, with the host as it was written. */
    @Override
    public String toString() {
        if (port == 0) {
            return host;
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static IllegalArgumentException notAnAddress(String text) {
        return new IllegalArgumentException("'" + text + "' is not an IP address");
    }

    /** The text starts with an address, but what follows it is not a port 1-65535. */
    public static final class InvalidPort extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidPort(String message) {
            super(message);
        }
    }
}
