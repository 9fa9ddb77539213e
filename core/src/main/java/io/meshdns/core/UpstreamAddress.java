package io.meshdns.core;

import java.net.InetAddress;
import java.util.regex.Pattern;

/**
 * Where a DNS forwarder sends queries, as CoreDNS's {@code forward} plugin writes it: {@code 10.0.0.1},
 * {@code 10.0.0.1:5353}, {@code fd00::1} or {@code [fd00::1]:5353}. Literals only, never a name.
 *
 * @param address the IP address
 * @param port the port, or {@code 0} when the text names none (the forwarder's default applies)
 */
public record UpstreamAddress(InetAddress address, int port) {
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");

  /** @throws IllegalArgumentException saying what is wrong with {@code text} */
  public static UpstreamAddress parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("is required");
    }
    InetAddress bare = IpLiteral.parse(text);
    if (bare != null) {
      return new UpstreamAddress(bare, 0);
    }
    String host;
    String port;
    if (text.startsWith("[") && text.contains("]:")) {
      host = text.substring(1, text.indexOf("]:"));
      port = text.substring(text.indexOf("]:") + 2);
    } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
      host = text.substring(0, text.indexOf(':'));
      port = text.substring(text.indexOf(':') + 1);
    } else {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
    InetAddress address = IpLiteral.parse(host);
    if (address == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
    if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      throw new IllegalArgumentException("'" + text + "' has no valid port after the address");
    }
    return new UpstreamAddress(address, Integer.parseInt(port));
  }
}
