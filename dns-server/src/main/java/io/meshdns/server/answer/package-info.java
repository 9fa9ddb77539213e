/**
 * The query path: one DNS query in wire bytes to its answer, compiled once from the zone index and
 * stored; EDNS options, cookies and padding. Hands zone transfers on through the Transfers interface.
 */
package io.meshdns.server.answer;
