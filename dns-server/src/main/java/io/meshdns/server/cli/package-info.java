/**
 * The subcommands below Main: coredns-config (CoreDNS forwarding stanzas), cluster add/remove/check (a
 * member cluster's read-only identity and kubeconfig), the demo mesh and its throwaway certificates, and the
 * exit codes every command gives.
 */
package io.meshdns.server.cli;
