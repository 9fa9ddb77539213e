/**
 * The HTTP listeners: metrics, probes (/readyz and its readiness verdict), the status page and its API,
 * with their connection caps and the process's file-descriptor budget.
 */
package io.meshdns.server.http;
