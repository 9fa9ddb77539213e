package io.meshdns.server;

import io.meshdns.core.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;

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
    List<Cidr> networks = config.allReverseZones();
    List<Name> zones = networks.stream().map(ZoneSettings::reverseZone).distinct().toList();
    return new ZoneSettings(origin, config.ttl(), ns, ZoneIndex.child("hostmaster", origin),
        config.nameserver().addresses(), networks, zones, config.clusterScopedNames());
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
