package io.meshdns.coredns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Literal IP addresses and CIDRs, checked without ever resolving a name. */
final class Addresses {
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern BRACKETED_WITH_PORT = Pattern.compile("\\[([^\\]]+)\\]:(\\d+)");
  private static final Pattern V4_WITH_PORT = Pattern.compile("([0-9.]+):(\\d+)");

  private Addresses() {}

  /** The bytes of a literal IPv4 or IPv6 address, or {@code null} when {@code s} is not one. */
  static byte[] parse(String s) {
    Matcher m = IPV4.matcher(s);
    if (m.matches()) {
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(m.group(i + 1));
        if (octet > 255) {
          return null;
        }
        b[i] = (byte) octet;
      }
      return b;
    }
    if (s.indexOf(':') >= 0 && IPV6_CHARS.matcher(s).matches()) {
      try {
        // With a ':' in it, InetAddress parses the literal and never looks a name up.
        byte[] b = InetAddress.getByName(s).getAddress();
        return b.length == 16 ? b : null;
      } catch (UnknownHostException e) {
        return null;
      }
    }
    return null;
  }

  static boolean isAddress(String s) {
    return parse(s) != null;
  }

  /** An upstream for CoreDNS's forward plugin: {@code 10.0.0.1}, {@code 10.0.0.1:5353}, {@code fd00::1} or {@code [fd00::1]:5353}. */
  static boolean isUpstream(String s) {
    if (isAddress(s)) {
      return true;
    }
    Matcher m = BRACKETED_WITH_PORT.matcher(s);
    if (!m.matches()) {
      m = V4_WITH_PORT.matcher(s);
      if (!m.matches() || parse(m.group(1)) == null || parse(m.group(1)).length != 4) {
        return false;
      }
    } else if (parse(m.group(1)) == null || parse(m.group(1)).length != 16) {
      return false;
    }
    int port = Integer.parseInt(m.group(2).length() > 5 ? "70000" : m.group(2));
    return port >= 1 && port <= 65535;
  }
}
