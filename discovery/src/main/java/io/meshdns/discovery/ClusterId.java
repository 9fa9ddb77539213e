package io.meshdns.discovery;

import java.util.regex.Pattern;

/**
 * The name of one member cluster, unique in the mesh. It appears inside DNS names
 * ({@code <host>.<cluster>.<svc>.<ns>.svc.<zone>}) and in the EDNS0 option CoreDNS adds, so it must be a
 * lowercase DNS label.
 */
public record ClusterId(String value) implements Comparable<ClusterId> {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public ClusterId {
    if (value == null || !LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "cluster id '" + value + "' is not a lowercase DNS label (a-z, 0-9, '-', at most 63 characters)");
    }
  }

  public static ClusterId of(String value) {
    return new ClusterId(value);
  }

  @Override
  public int compareTo(ClusterId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
