/**
 * The DNS zones as data: the zone index built from each mesh snapshot, the zone's settings (origin, SOA,
 * NS), serials (RFC 1982) and the lifetime of what was compiled from a part of the index.
 */
package io.meshdns.server.zone;
