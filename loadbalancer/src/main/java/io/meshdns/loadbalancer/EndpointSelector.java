package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.List;

/**
 * The load balancer's entry point: from a global service's endpoints, the ones to answer for one query.
 * Applies the rules every policy shares (address family, readiness, answer cap) around the policy.
 */
public final class EndpointSelector {
  public static final int DEFAULT_MAX_ANSWERS = 8;

  private final LoadBalancingPolicy policy;
  private final int maxAnswers;

  public EndpointSelector(LoadBalancingPolicy policy, int maxAnswers) {
    if (maxAnswers < 1) {
      throw new IllegalArgumentException("maxAnswers must be at least 1, was " + maxAnswers);
    }
    this.policy = policy;
    this.maxAnswers = maxAnswers;
  }

  public LoadBalancingPolicy policy() {
    return policy;
  }

  /**
   * Ready endpoints of the wanted family; serving-but-terminating ones only when none is ready; ordered
   * by the policy and capped. Empty when the service has no eligible endpoint of that family.
   */
  public List<Endpoint> select(GlobalService service, boolean ipv6, QueryContext query) {
    List<Endpoint> eligible = eligible(service.endpoints(), ipv6);
    if (eligible.isEmpty()) {
      return List.of();
    }
    List<Endpoint> ordered = policy.order(service.key(), eligible, query);
    return ordered.size() <= maxAnswers ? ordered : ordered.subList(0, maxAnswers);
  }

  /**
   * Every endpoint of the family that may be answered, in a stable order and uncapped: what a zone
   * transfer mirrors.
   */
  public List<Endpoint> eligible(GlobalService service, boolean ipv6) {
    return eligible(service.endpoints(), ipv6);
  }

  static List<Endpoint> eligible(List<Endpoint> all, boolean ipv6) {
    List<Endpoint> ready = new ArrayList<>();
    List<Endpoint> serving = new ArrayList<>();
    for (Endpoint e : all) {
      if (e.isIpv6() != ipv6) {
        continue;
      }
      if (e.ready()) {
        ready.add(e);
      } else if (e.serving()) {
        serving.add(e);
      }
    }
    return ready.isEmpty() ? serving : ready;
  }
}
