/**
 * Zone transfers to secondaries: AXFR and IXFR (RFC 5936, 1995) with its journal, NOTIFY (RFC 1996)
 * and TSIG (RFC 8945). Built on the answers; the query path reaches it only through Transfers.
 */
package io.meshdns.server.transfer;
