/**
 * The DNS zones as data: the zone being served ({@link io.meshdns.server.zone.ServedZone}, the index built
 * from each mesh snapshot), its settings (origin, SOA, NS), serials (RFC 1982) and lifetimes.
 */
package io.meshdns.server.zone;
