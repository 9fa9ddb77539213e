package io.meshdns.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network such as {@code 10.10.0.0/16} or {@code fd00::/8}; a bare address is one host.
 * The one network type of meshdns's config (source CIDRs, zones, reverse zones, AXFR allow lists).
 */
public record Cidr(byte[] network, int prefix, String text) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /**
   * @param key the config key, named in the error
   * @throws IllegalArgumentException naming {@code key} and the value when it is not a literal network
   */
  public static Cidr parse(String key, String cidr) {
    try {
      return parse(cidr);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + (cidr == null || cidr.isBlank() ? " " : ": ") + e.getMessage());
    }
  }

  /** @throws IllegalArgumentException saying what is wrong with the value (without a key) */
  public static Cidr parse(String cidr) {
    if (cidr == null || cidr.isBlank()) {
      throw new IllegalArgumentException("is required");
    }
    String text = cidr.trim();
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = literal(addr);
    if (bytes == null) {
      throw new IllegalArgumentException("'" + cidr + "' is not an IP network like 10.0.0.0/8 or fd00::/8");
    }
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

  /** The address bytes of a literal, or {@code null}: never a DNS lookup. */
  private static byte[] literal(String addr) {
    boolean v4 = IPV4.matcher(addr).matches();
    if (v4) {
      for (String part : addr.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return null;
        }
      }
    } else if (!IPV6.matcher(addr).matches()) {
      return null;
    }
    try {
      // Safe: a dotted quad or a string with ':' is parsed as a literal, never looked up.
      return InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static void mask(byte[] bytes, int bits) {
    for (int i = 0; i < bytes.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - i * 8));
      bytes[i] &= (byte) (keep == 0 ? 0 : 0xFF << (8 - keep));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(network) + prefix;
  }

  @Override
  public String toString() {
    return text;
  }
}
