package io.meshdns.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;

/** A network such as {@code 10.10.0.0/16} or {@code fd00::/8}; a bare address is a single host. */
record Cidr(byte[] network, int prefix) {
  static Cidr parse(String text) {
    ServerConfig.checkCidr("cidr", text);
    int slash = text.indexOf('/');
    byte[] addr = ServerConfig.checkAddress("cidr", slash < 0 ? text : text.substring(0, slash));
    int bits = slash < 0 ? addr.length * 8 : Integer.parseInt(text.substring(slash + 1));
    return new Cidr(mask(addr, bits), bits);
  }

  boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int m = 0xff << (8 - rest) & 0xff;
    return (a[full] & m) == (network[full] & m);
  }

  /**
   * The reverse zone holding this network: its prefix rounded down to whole octets (IPv4) or nibbles
   * (IPv6), as reverse zones are delegated on label boundaries.
   */
  Name reverseZone() {
    try {
      Name full = ReverseMap.fromAddress(InetAddress.getByAddress(network));
      int unit = network.length == 4 ? 8 : 4;
      int keep = prefix / unit; // labels of the address part to keep
      int addressLabels = network.length == 4 ? 4 : 32;
      return new Name(full, addressLabels - keep);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] mask(byte[] addr, int bits) {
    byte[] out = addr.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - keep)));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(network) + prefix;
  }
}
