package io.meshdns.server.zone;

import io.meshdns.core.Cidr;
import io.meshdns.server.config.ServerConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;

/**
 * The config values that shape the zone's contents, resolved once into DNS types.
 *
 * @param nameservers the apex NS records' targets, the first also the SOA's MNAME; never empty
 * @param reverseNetworks the CIDRs whose endpoint addresses get PTRs
 * @param reverseZones the reverse zones those CIDRs live in (rounded out to octet/nibble boundaries)
 */
public record ZoneSettings(
        Name origin,
        long ttl,
        List<NameServer> nameservers,
        Name hostmaster,
        List<Cidr> reverseNetworks,
        List<Name> reverseZones,
        boolean clusterScopedNames) {

    /** One NS target and, when it is inside the zone, its addresses (its A/AAAA records, the NS answer's glue). */
    public record NameServer(Name name, List<InetAddress> addresses) {}

    public static ZoneSettings of(ServerConfig config) {
        Name origin = DnsNames.absolute(config.zone());
        List<NameServer> nameservers = config.nameservers().stream()
                .map(ns -> new NameServer(DnsNames.absolute(ns.name()), ns.addresses()))
                .toList();
        if (nameservers.isEmpty()) {
            nameservers = List.of(defaultNameServer(origin, config.dns().bind()));
        }
        List<Cidr> networks = config.allReverseZones();
        List<Name> zones =
                networks.stream().map(ZoneSettings::reverseZone).distinct().toList();
        return new ZoneSettings(
                origin,
                config.ttl(),
                nameservers,
                DnsNames.child("hostmaster", origin),
                networks,
                zones,
                config.clusterScopedNames());
    }

    /**
     * Without {@code nameservers}: {@code ns.<zone>}, with the DNS listener's address when it is one (a
     * wildcard bind says nothing about where clients reach meshdns: then it has no address, and
     * {@link #lameDefault} says so at start).
     */
    static NameServer defaultNameServer(Name origin, InetAddress bind) {
        return new NameServer(DnsNames.child("ns", origin), bind.isAnyLocalAddress() ? List.of() : List.of(bind));
    }

    /** Whether the zone's only name server is the default one, inside the zone and without an address. */
    public boolean lameDefault() {
        return nameservers.size() == 1
                && nameservers.get(0).addresses().isEmpty()
                && nameservers.get(0).name().subdomain(origin);
    }

    /** The SOA's MNAME: the first name server. */
    public Name primary() {
        return nameservers.get(0).name();
    }

    /**
     * The reverse zone holding a network: its prefix rounded down to whole octets (IPv4) or nibbles
     * (IPv6), as reverse zones are delegated on label boundaries.
     */
    static Name reverseZone(Cidr network) {
        try {
            Name full = ReverseMap.fromAddress(InetAddress.getByAddress(network.network()));
            boolean v4 = network.network().length == 4;
            int keep = network.prefix() / (v4 ? 8 : 4); // labels of the address part to keep
            return new Name(full, (v4 ? 4 : 32) - keep);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes are always an address
        }
    }

    boolean inReverseNetworks(InetAddress address) {
        for (Cidr c : reverseNetworks) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
