package io.meshdns.server;

import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * The zone's names for one {@link MeshSnapshot}, indexed for the query path: built once per snapshot on
 * the publisher thread, then only read. dnsjava's {@link Name} compares and hashes case-insensitively.
 */
final class ZoneIndex {
  final Name origin;
  final MeshSnapshot snapshot;
  private final Map<Name, GlobalService> services;
  private final Set<Name> nonTerminals;

  private ZoneIndex(Name origin, MeshSnapshot snapshot, Map<Name, GlobalService> services, Set<Name> nonTerminals) {
    this.origin = origin;
    this.snapshot = snapshot;
    this.services = services;
    this.nonTerminals = nonTerminals;
  }

  static ZoneIndex build(Name origin, MeshSnapshot snapshot) {
    Map<Name, GlobalService> services = new HashMap<>();
    Set<Name> nonTerminals = new HashSet<>();
    Name svc = child("svc", origin);
    nonTerminals.add(svc);
    for (var entry : snapshot.services().entrySet()) {
      ServiceKey key = entry.getKey();
      Name namespace = child(key.namespace(), svc);
      nonTerminals.add(namespace);
      services.put(child(key.name(), namespace), entry.getValue());
    }
    return new ZoneIndex(origin, snapshot, services, nonTerminals);
  }

  /** The service named {@code <svc>.<ns>.svc.<zone>}, or {@code null}. */
  GlobalService service(Name name) {
    return services.get(name);
  }

  /** Whether the name exists only because names below it do ({@code svc.<zone>}, {@code <ns>.svc.<zone>}). */
  boolean isEmptyNonTerminal(Name name) {
    return nonTerminals.contains(name);
  }

  static Name child(String label, Name parent) {
    try {
      return Name.concatenate(Name.fromString(label), parent);
    } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
      throw new IllegalArgumentException("cannot build DNS name " + label + "." + parent, e);
    }
  }
}
