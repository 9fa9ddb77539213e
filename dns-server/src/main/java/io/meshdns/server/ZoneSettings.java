package io.meshdns.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Name;

/**
 * The config values that shape the zone's contents, resolved once into DNS types.
 *
 * @param reverseNetworks the CIDRs whose endpoint addresses get PTRs
 * @param reverseZones the reverse zones those CIDRs live in (rounded out to octet/nibble boundaries)
 */
record ZoneSettings(
    Name origin,
    long ttl,
    Name nsName,
    Name hostmaster,
    List<InetAddress> nsAddresses,
    List<Cidr> reverseNetworks,
    List<Name> reverseZones,
    boolean clusterScopedNames) {

  static ZoneSettings of(ServerConfig config) {
    Name origin = ZoneIndex.absolute(config.zone());
    Name ns = config.nameserver().name() == null
        ? ZoneIndex.child("ns", origin) : ZoneIndex.absolute(config.nameserver().name());
    List<InetAddress> glue = new ArrayList<>();
    for (String a : config.nameserver().addresses()) {
      try {
        glue.add(InetAddress.getByAddress(ServerConfig.checkAddress("nameserver.addresses", a)));
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e); // a literal of 4 or 16 bytes cannot be refused
      }
    }
    List<Cidr> networks = config.reverseZones().stream().map(Cidr::parse).toList();
    List<Name> zones = networks.stream().map(Cidr::reverseZone).distinct().toList();
    return new ZoneSettings(origin, config.ttl(), ns, ZoneIndex.child("hostmaster", origin), List.copyOf(glue),
        networks, zones, config.clusterScopedNames());
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
