package io.meshdns.core;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Literal IPv4 and IPv6 addresses, read without ever doing a name lookup: meshdns's config and the
 * Kubernetes objects it watches must never make it depend on DNS.
 */
public final class IpLiteral {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private IpLiteral() {}

    /**
     * The address of a literal such as {@code 10.0.0.1} or {@code fd00::1}, or {@code null} when {@code text}
     * is not one. An IPv4-mapped IPv6 literal ({@code ::ffff:10.0.0.1}) reads as its IPv4 address.
     */
    public static InetAddress parse(String text) {
        if (text == null) {
            return null;
        }
        if (IPV4.matcher(text).matches()) {
            for (String part : text.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        } else if (!IPV6.matcher(text).matches()) {
            return null;
        }
        try {
            // Safe: a dotted quad or a string with ':' is parsed as a literal, never looked up.
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * Like {@link #parse}, but {@code null} for an IPv6 literal that names an IPv4 address ({@code ::ffff:10.0.0.1},
     * which {@link #parse} reads as {@code 10.0.0.1}): for text copied as written into the config of a program
     * that reads it by its own rules (a Corefile), the address family must be the one the text shows.
     */
    public static InetAddress parseAsWritten(String text) {
        InetAddress address = parse(text);
        return address instanceof Inet4Address && text.indexOf(':') >= 0 ? null : address;
    }
}
