/**
 * {@code meshdns cluster add|remove|check}: a member cluster's least-privilege identity (ServiceAccount,
 * ClusterRole, binding, token), the kubeconfig meshdns reads it with, and a check of its permissions.
 */
package io.meshdns.server.cli.cluster;
