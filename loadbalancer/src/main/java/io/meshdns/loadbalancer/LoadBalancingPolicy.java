package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.ServiceKey;
import java.util.List;

/**
 * Chooses and orders the endpoints of one service for one query. Implementations are called on the DNS
 * query path from many threads at once: they must be thread-safe, must not block, lock or log.
 */
public interface LoadBalancingPolicy {
  /** The name used in config and in the {@code meshdns.io/lb-policy} annotation. */
  String name();

  /**
   * @param eligible the endpoints allowed to be answered (already filtered for address family and
   *     readiness), in a stable order; never empty
   * @return the endpoints to answer, best first; the caller caps the count
   */
  List<Endpoint> order(ServiceKey service, List<Endpoint> eligible, QueryContext query);
}
