package io.meshdns.discovery;

/** Where meshdns stands with one member cluster's API server. */
public enum ClusterState {
    /** Not yet synced: the first list has not completed. */
    CONNECTING,
    /** Lists complete and watches open: the snapshot follows the API. */
    SYNCED,
    /** Was synced, the watch is lost: its last known endpoints are still served, exactly as when synced. */
    DISCONNECTED,
    /** Disconnected for longer than {@code staleAfter}: still in the snapshot, marked so policies may drop it. */
    STALE,
    /**
     * Cannot be started (unreadable kubeconfig, unknown context), or the credentials are refused. See the
     * reason. A cluster that had synced keeps its last known endpoints, served as when synced, and turns
     * {@link #STALE} (reason kept) once it has been out of touch for {@code staleAfter}.
     */
    ERROR
}
