/**
 * The subcommands below Main: coredns-config (CoreDNS forwarding stanzas), the demo mesh and its
 * throwaway certificates, and the exit codes every command gives.
 */
package io.meshdns.server.cli;
