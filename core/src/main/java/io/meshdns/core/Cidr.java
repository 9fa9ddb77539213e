package io.meshdns.core;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network such as {@code 10.10.0.0/16} or {@code fd00::/8}; a bare address is one host.
 * The one network type of meshdns's config (source CIDRs, zones, reverse zones, AXFR allow lists).
 */
public record Cidr(byte[] network, int prefix, String text) {
    /** @throws IllegalArgumentException saying what is wrong with the value (without a key) */
    public static Cidr parse(String cidr) {
        return parse(cidr, false);
    }

    /**
     * Like {@link #parse}, but a network written with an IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.0/8}), which
     * {@link #parse} reads as IPv4 ({@code 10.0.0.0/8}), is refused: for a network named in another program's config, whose family must be the one
     * the text shows (see {@link IpLiteral#parseAsWritten}).
     *
     * @throws IllegalArgumentException saying what is wrong with the value (without a key)
     */
    public static Cidr parseAsWritten(String cidr) {
        return parse(cidr, true);
    }

    private static Cidr parse(String cidr, boolean asWritten) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("is required");
        }
        String text = cidr.trim();
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        InetAddress address = IpLiteral.parse(addr);
        if (address == null) {
            throw new IllegalArgumentException("'" + cidr + "' is not an IP network like 10.0.0.0/8 or fd00::/8");
        }
        if (asWritten && IpLiteral.parseAsWritten(addr) == null) {
            throw new IllegalArgumentException("'" + cidr + "' writes an IPv4 address as IPv6; write it as IPv4");
        }
        byte[] bytes = address.getAddress();
        int bits = bytes.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + cidr + "' has no prefix length after '/'");
            }
            if (bits < 0 || bits > bytes.length * 8) {
                throw new IllegalArgumentException("'" + cidr + "' has a prefix length out of range");
            }
        }
        mask(bytes, bits);
        return new Cidr(bytes, bits, text);
    }

    public boolean contains(InetAddress address) {
        return contains(address.getAddress());
    }

    /** Whether {@code address} (as from {@link InetAddress#getAddress()}) is inside this network. */
    public boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = 0xFF << (8 - rest);
        return (address[full] & m) == (network[full] & m);
    }

    private static void mask(byte[] bytes, int bits) {
        for (int i = 0; i < bytes.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            bytes[i] &= (byte) (keep == 0 ? 0 : 0xFF << (8 - keep));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        return text;
    }
}
