package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.meshdns.discovery.GlobalService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomPolicyTest {
  private static final long SEED = 42;
  private static final int QUERIES = 50_000;

  private final Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 3)).in("west", readyRange("10.20.1.", 2));
  private final GlobalService web = mesh.service();
  private final Random random = new Random(SEED);
  private final EndpointSelector selector =
      new EndpointSelector(DraftConfig.defaults().withPolicy(LoadBalancingConfig.RANDOM).config(), () -> random);

  /** 5 endpoints, 50,000 queries, seed 42: each endpoint is first in 20% of answers, within 1 point. */
  @Test
  void everyEndpointIsFirstEquallyOften() {
    selector.update(mesh.snapshot(1, web));
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < QUERIES; i++) {
      first.merge(ips(selector.addresses(web, false).next(Mesh.ANYONE)).get(0), 1, Integer::sum);
    }
    assertThat(first).hasSize(5);
    first.values().forEach(n -> assertThat(n / (double) QUERIES).isCloseTo(0.20, within(0.01)));
  }

  /** Uniform orders, not just uniform first places: each endpoint is last in 20% of answers, within 1 point. */
  @Test
  void everyEndpointIsLastEquallyOften() {
    selector.update(mesh.snapshot(1, web));
    Map<String, Integer> last = new HashMap<>();
    for (int i = 0; i < QUERIES; i++) {
      List<String> answer = ips(selector.addresses(web, false).next(Mesh.ANYONE));
      last.merge(answer.get(answer.size() - 1), 1, Integer::sum);
    }
    last.values().forEach(n -> assertThat(n / (double) QUERIES).isCloseTo(0.20, within(0.01)));
  }

  @Test
  void everyAnswerHoldsEachEndpointExactlyOnce() {
    selector.update(mesh.snapshot(1, web));
    for (int i = 0; i < 100; i++) {
      assertThat(ips(selector.addresses(web, false).next(Mesh.ANYONE)))
          .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
    }
  }
}
