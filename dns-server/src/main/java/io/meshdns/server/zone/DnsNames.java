package io.meshdns.server.zone;

import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.TextParseException;

/**
 * Building DNS names from configured or discovered text, where a name that does not parse is a bug or a
 * configuration error (already checked by the loader), not bad input from the network.
 */
public final class DnsNames {
    private DnsNames() {}

    /** {@code label.parent}. */
    public static Name child(String label, Name parent) {
        try {
            return Name.concatenate(Name.fromString(label), parent);
        } catch (TextParseException | NameTooLongException e) {
            throw new IllegalArgumentException("cannot build DNS name " + label + "." + parent, e);
        }
    }

    /** {@code name} relative to the root: {@code clusterset.local} is {@code clusterset.local.}. */
    public static Name absolute(String name) {
        try {
            return Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a DNS name: " + name, e);
        }
    }
}
