package io.meshdns.discovery;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link MeshWatcher} watches its clusters; each setting has a {@code with...} copy.
 *
 * @param coalesce the shortest interval between two publications (the longest a change waits)
 * @param staleAfter how long a disconnected cluster's endpoints are trusted before it is marked stale
 * @param healthInterval how often cluster connection states are re-checked; a watch lost for longer is
 *     replaced by a fresh list and watch
 * @param exportAll export every Service except those in kube-system
 * @param exportsRecheck how often each cluster is asked whether the ServiceExport CRD is installed
 * @param retryInterval the longest delay between reconnection attempts (the backoff starts at 1/32 of it
 *     and doubles): how soon a cluster is back after its API server answers again
 * @param firstListsWait how long, at most, a starting mesh publishes no cluster's services while other clusters
 *     are still making their first lists, so that each global service is built once and not again as each cluster
 *     joins; zero publishes each cluster as soon as it has synced
 */
public record WatchOptions(
        Duration coalesce,
        Duration staleAfter,
        Duration healthInterval,
        boolean exportAll,
        Duration exportsRecheck,
        Duration retryInterval,
        Duration firstListsWait) {

    public WatchOptions {
        Objects.requireNonNull(coalesce, "coalesce");
        Objects.requireNonNull(staleAfter, "staleAfter");
        Objects.requireNonNull(healthInterval, "healthInterval");
        Objects.requireNonNull(exportsRecheck, "exportsRecheck");
        Objects.requireNonNull(retryInterval, "retryInterval");
        Objects.requireNonNull(firstListsWait, "firstListsWait");
        if (healthInterval.isZero()
                || healthInterval.isNegative()
                || exportsRecheck.isZero()
                || exportsRecheck.isNegative()
                || retryInterval.isZero()
                || retryInterval.isNegative()) {
            throw new IllegalArgumentException("healthInterval, exportsRecheck and retryInterval must be positive");
        }
        if (firstListsWait.isNegative()) {
            throw new IllegalArgumentException("firstListsWait must not be negative");
        }
    }

    public WatchOptions(Duration coalesce, Duration staleAfter, Duration healthInterval) {
        this(
                coalesce,
                staleAfter,
                healthInterval,
                false,
                Duration.ofSeconds(30),
                Duration.ofSeconds(1),
                Duration.ofSeconds(10));
    }

    public static WatchOptions defaults() {
        return new WatchOptions(Duration.ofMillis(50), Duration.ofMinutes(5), Duration.ofSeconds(1));
    }

    public WatchOptions withCoalesce(Duration coalesce) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }

    public WatchOptions withStaleAfter(Duration staleAfter) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }

    public WatchOptions withHealthInterval(Duration healthInterval) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }

    public WatchOptions withExportAll(boolean exportAll) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }

    public WatchOptions withExportsRecheck(Duration exportsRecheck) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }

    public WatchOptions withRetryInterval(Duration retryInterval) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }

    public WatchOptions withFirstListsWait(Duration firstListsWait) {
        return new WatchOptions(
                coalesce, staleAfter, healthInterval, exportAll, exportsRecheck, retryInterval, firstListsWait);
    }
}
