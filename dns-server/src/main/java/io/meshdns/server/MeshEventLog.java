package io.meshdns.server;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.ClusterState;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per change of what meshdns answers, in {@code key=value} form naming the service and the
 * cluster: a cluster starting or stopping to export a service, or its endpoints changing. A cluster's
 * initial listing goes to debug (discovery logs its sync as one line), later changes to info. Runs on
 * the discovery publisher thread; unchanged services are the same objects from one snapshot to the next,
 * so the comparison is by reference first.
 */
final class MeshEventLog implements Consumer<MeshSnapshot> {
    private static final Logger log = LoggerFactory.getLogger(MeshEventLog.class);

    private MeshSnapshot previous = MeshSnapshot.empty();
    private final Set<ClusterId> everSynced = new HashSet<>();

    @Override
    public void accept(MeshSnapshot next) {
        Set<ServiceKey> keys = new TreeSet<>();
        for (Map.Entry<ServiceKey, GlobalService> e : next.services().entrySet()) {
            if (previous.service(e.getKey()) != e.getValue()) {
                keys.add(e.getKey());
            }
        }
        for (ServiceKey key : previous.services().keySet()) {
            if (!next.services().containsKey(key)) {
                keys.add(key);
            }
        }
        for (ServiceKey key : keys) {
            logChange(key, previous.service(key), next.service(key), next.version());
        }
        for (Map.Entry<ClusterId, ClusterHealth> e : next.clusters().entrySet()) {
            if (e.getValue().state() == ClusterState.SYNCED) {
                everSynced.add(e.getKey());
            }
        }
        everSynced.retainAll(next.clusters().keySet());
        previous = next;
    }

    private void logChange(ServiceKey key, GlobalService before, GlobalService after, long version) {
        Set<ClusterId> clusters = new TreeSet<>();
        if (before != null) {
            clusters.addAll(before.byCluster().keySet());
        }
        if (after != null) {
            clusters.addAll(after.byCluster().keySet());
        }
        for (ClusterId cluster : clusters) {
            ClusterService was = before == null ? null : before.byCluster().get(cluster);
            ClusterService now = after == null ? null : after.byCluster().get(cluster);
            if (Objects.equals(was, now)) {
                continue;
            }
            String event = was == null ? "service-exported" : now == null ? "service-withdrawn" : "endpoints-changed";
            String line = "event=" + event + " service=" + key + " cluster=" + cluster
                    + (now == null
                            ? ""
                            : " ready=" + ready(now) + " endpoints="
                                    + now.endpoints().size())
                    + (was == null
                            ? ""
                            : " was_ready=" + ready(was) + " was_endpoints="
                                    + was.endpoints().size())
                    + " snapshot=" + version;
            if (everSynced.contains(cluster)) {
                log.info(line);
            } else {
                log.debug(line);
            }
        }
    }

    private static int ready(ClusterService cs) {
        int n = 0;
        for (Endpoint e : cs.endpoints()) {
            if (e.ready()) {
                n++;
            }
        }
        return n;
    }
}
