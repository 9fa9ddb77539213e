/**
 * The YAML configuration: its model (ServerConfig), the loader that checks it and names file, line and
 * key in every error, and the watcher that reloads it. The bottom of dns-server: it imports no other package.
 */
package io.meshdns.server.config;
