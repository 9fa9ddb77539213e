/**
 * The DNS listeners: UDP, TCP and DNS over TLS on Netty, TCP connection limits, response rate
 * limiting, the DoT certificate and the per-query metrics. Calls the query path; knows nothing of HTTP.
 */
package io.meshdns.server.transport;
