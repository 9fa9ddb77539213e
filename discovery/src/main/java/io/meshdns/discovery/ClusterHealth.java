package io.meshdns.discovery;

import java.time.Instant;

/**
 * What meshdns knows of one cluster at a snapshot.
 *
 * @param since when the cluster entered {@code state}
 * @param lastEventAt when the last Service or EndpointSlice event arrived, or {@code null}
 * @param reason why the cluster is not synced, or {@code null}
 */
public record ClusterHealth(
    ClusterId cluster,
    ClusterState state,
    Instant since,
    Instant lastEventAt,
    int services,
    int endpoints,
    long watchRestarts,
    String reason) {

  /** Whether the policy should prefer other clusters over this one (its data may be out of date). */
  public boolean degraded() {
    return state == ClusterState.STALE || state == ClusterState.DISCONNECTED;
  }
}
