package io.meshdns.discovery;

import io.meshdns.core.DnsLabel;

/**
 * The name of one member cluster, unique in the mesh. It appears inside DNS names
 * ({@code <host>.<cluster>.<svc>.<ns>.svc.<zone>}) and in the EDNS0 option CoreDNS adds, so it must be a
 * lowercase DNS label.
 */
public record ClusterId(String value) implements Comparable<ClusterId> {
    public ClusterId {
        if (!DnsLabel.isHostnameLabel(value)) {
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
