package io.meshdns.forwarder;

import io.meshdns.core.Cidr;
import java.util.ArrayList;
import java.util.List;

/**
 * The reverse DNS zones ({@code in-addr.arpa}, {@code ip6.arpa}) that cover a CIDR. A prefix that does
 * not end on a label boundary (8 bits for IPv4, 4 for IPv6) becomes the zones of the next longer prefix
 * that does, as CoreDNS itself does for CIDR server block keys: {@code 10.0.0.0/23} is {@code 0.0.10} and
 * {@code 1.0.10.in-addr.arpa}.
 */
final class ReverseZones {
    // A /10 (64 zones) is still a readable key list; wider unaligned networks should be split by hand.
    static final int MAX_ZONES = 64;

    private ReverseZones() {}

    static List<String> of(String cidr) {
        Cidr network;
        try {
            // As written: an IPv4-mapped IPv6 network could mean its in-addr.arpa or its ip6.arpa zones; refused, not
            // guessed.
            network = Cidr.parseAsWritten(cidr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("reverse zone " + e.getMessage(), e);
        }
        byte[] address = network.network();
        int prefix = network.prefix();
        int step = address.length == 4 ? 8 : 4;
        int rounded = (prefix + step - 1) / step * step;
        int count = 1 << (rounded - prefix);
        if (count > MAX_ZONES) {
            throw new IllegalArgumentException("reverse zone '" + cidr + "' would need " + count
                    + " zones; use a prefix" + " length closer to a multiple of " + step);
        }
        List<String> zones = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            // the network's host bits are clear: set the i-th subnet's bits between prefix and rounded
            byte[] subnet = address.clone();
            for (int j = 0; j < rounded - prefix; j++) {
                boolean on = ((i >> (rounded - prefix - 1 - j)) & 1) == 1;
                setBit(subnet, prefix + j, on);
            }
            zones.add(name(subnet, rounded, step));
        }
        return zones;
    }

    private static String name(byte[] address, int prefix, int step) {
        StringBuilder name = new StringBuilder();
        if (step == 8) {
            for (int i = prefix / 8 - 1; i >= 0; i--) {
                name.append(address[i] & 0xff).append('.');
            }
            return name.append("in-addr.arpa").toString();
        }
        for (int nibble = prefix / 4 - 1; nibble >= 0; nibble--) {
            int b = address[nibble / 2] & 0xff;
            int v = nibble % 2 == 0 ? b >> 4 : b & 0x0f;
            name.append(Character.forDigit(v, 16)).append('.');
        }
        return name.append("ip6.arpa").toString();
    }

    private static void setBit(byte[] address, int bit, boolean on) {
        int mask = 0x80 >> (bit % 8);
        address[bit / 8] = (byte) (on ? address[bit / 8] | mask : address[bit / 8] & ~mask);
    }
}
