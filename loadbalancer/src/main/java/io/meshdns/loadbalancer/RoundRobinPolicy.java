package io.meshdns.loadbalancer;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.ServiceKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers every eligible endpoint, rotating the starting point by one with each query of a service. */
public final class RoundRobinPolicy implements LoadBalancingPolicy {
  public static final String NAME = "round-robin";

  private final ConcurrentHashMap<ServiceKey, AtomicInteger> next = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Endpoint> order(ServiceKey service, List<Endpoint> eligible, QueryContext query) {
    int n = eligible.size();
    if (n <= 1) {
      return eligible;
    }
    AtomicInteger counter = next.get(service);
    if (counter == null) {
      counter = next.computeIfAbsent(service, k -> new AtomicInteger());
    }
    int start = Math.floorMod(counter.getAndIncrement(), n);
    List<Endpoint> rotated = new ArrayList<>(n);
    rotated.addAll(eligible.subList(start, n));
    rotated.addAll(eligible.subList(0, start));
    return rotated;
  }
}
