package io.meshdns.discovery;

/** Where meshdns stands with one member cluster's API server. */
public enum ClusterState {
  /** Not yet synced: the first list has not completed. */
  CONNECTING,
  /** Lists complete and watches open: the snapshot follows the API. */
  SYNCED,
  /** Was synced, the watch is lost: its last known endpoints are still served. */
  DISCONNECTED,
  /** Disconnected for longer than {@code staleAfter}: still in the snapshot, marked so policies may drop it. */
  STALE,
  /** Cannot be started: unreadable kubeconfig, unknown context, credentials refused. See the reason. */
  ERROR
}
