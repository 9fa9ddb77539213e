package io.meshdns.core;

import java.util.Locale;
import java.util.regex.Pattern;

/** DNS labels and the zone names made of them, as Kubernetes and CoreDNS accept them. */
public final class DnsLabel {
    /** RFC 1123 label, lower case: what Kubernetes allows in names and hostnames. */
    private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** The same with underscores, as in service labels such as {@code _tcp}. */
    private static final Pattern WITH_UNDERSCORE = Pattern.compile("[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?");

    private DnsLabel() {}

    /** Whether {@code label} is an RFC 1123 label: lower-case letters, digits and inner hyphens, 1 to 63. */
    public static boolean isHostnameLabel(String label) {
        return label != null && HOSTNAME.matcher(label).matches();
    }

    /**
     * A zone in the form meshdns writes it: lower case, no trailing dot.
     *
     * @param underscores whether labels may hold underscores (CoreDNS server blocks may name such zones)
     * @throws IllegalArgumentException {@code "is not a domain name made of DNS labels"} when a label is not one
     */
    public static String zone(String zone, boolean underscores) {
        String z = zone.toLowerCase(Locale.ROOT);
        if (z.endsWith(".")) {
            z = z.substring(0, z.length() - 1);
        }
        Pattern label = underscores ? WITH_UNDERSCORE : HOSTNAME;
        for (String l : z.split("\\.", -1)) {
            if (!label.matcher(l).matches()) {
                throw new IllegalArgumentException("'" + zone + "' is not a domain name made of DNS labels");
            }
        }
        return z;
    }
}
