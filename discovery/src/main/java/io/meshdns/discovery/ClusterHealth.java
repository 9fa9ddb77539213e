package io.meshdns.discovery;

import java.time.Instant;

/**
 * What meshdns knows of one cluster at a snapshot.
 *
 * @param since when the cluster entered {@code state}
 * @param lastEventAt when the last Service, EndpointSlice or ServiceExport event arrived, or {@code null}
 * @param services how many exported services this cluster contributes to
 * @param endpoints how many endpoints it contributes, in every readiness state
 * @param watchRestarts how often a watch had to be re-established with a fresh list (lost connection,
 *     expired resource version: HTTP 410)
 * @param reason why the cluster is not synced, or {@code null}
 * @param credentialExpires when the kubeconfig's ServiceAccount token ends (renewed before, see
 *     {@link MemberToken}), or {@code null} for a credential without an expiry
 */
public record ClusterHealth(
        ClusterId cluster,
        ClusterState state,
        Instant since,
        Instant lastEventAt,
        int services,
        int endpoints,
        long watchRestarts,
        String reason,
        Instant credentialExpires) {

    /** The health of a cluster whose credential does not expire. */
    public ClusterHealth(
            ClusterId cluster,
            ClusterState state,
            Instant since,
            Instant lastEventAt,
            int services,
            int endpoints,
            long watchRestarts,
            String reason) {
        this(cluster, state, since, lastEventAt, services, endpoints, watchRestarts, reason, null);
    }

    /**
     * Whether the policy should prefer other clusters over this one: meshdns has been out of touch with its
     * API server for longer than {@code staleAfter}. A cluster disconnected (or refusing the credentials
     * after having synced) for less is answered exactly as a synced one: losing the control plane says
     * nothing about its pods, and demoting it at once would move all its own traffic across the mesh. A
     * cluster that never synced has no endpoints to answer.
     */
    public boolean degraded() {
        return state == ClusterState.STALE;
    }
}
