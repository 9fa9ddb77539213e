package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.Collections;
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
      first.merge(ips(answer(selector.addresses(web, false), Mesh.ANYONE)).get(0), 1, Integer::sum);
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
      List<String> answer = ips(answer(selector.addresses(web, false), Mesh.ANYONE));
      last.merge(answer.get(answer.size() - 1), 1, Integer::sum);
    }
    last.values().forEach(n -> assertThat(n / (double) QUERIES).isCloseTo(0.20, within(0.01)));
  }

  @Test
  void everyAnswerHoldsEachEndpointExactlyOnce() {
    selector.update(mesh.snapshot(1, web));
    for (int i = 0; i < 100; i++) {
      assertThat(ips(answer(selector.addresses(web, false), Mesh.ANYONE)))
          .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
    }
  }

  /**
   * 1,000 endpoints, cap 8, 2,000,000 queries (seed 42): each endpoint is first in 1/1,000 of the answers,
   * within 10% of that share (a query draws 8 of them without touching the other 992).
   */
  @Test
  void eachEndpointOfALargeServiceIsFirstInItsShareOfAnswers() {
    EndpointOrder order = largeService(1000, 8);
    int queries = 2_000_000;
    int[] first = new int[1000];
    int[] out = new int[order.limit()];
    int[] scratch = new int[1000];
    for (int i = 0; i < queries; i++) {
      order.next(null, null, out, scratch);
      first[out[0]]++;
    }
    for (int count : first) {
      assertThat(count).isCloseTo(queries / 1000, withinPercentage(10));
    }
  }

  /** 12 endpoints, cap 2, 300,000 queries (seed 42): each of the 132 ordered pairs opens 1/132 of the answers, within 10%. */
  @Test
  void eachOrderedPairOfEndpointsOpensItsShareOfAnswers() {
    EndpointOrder order = largeService(12, 2);
    int queries = 300_000;
    int[][] pairs = new int[12][12];
    int[] out = new int[order.limit()];
    int[] scratch = new int[12];
    for (int i = 0; i < queries; i++) {
      assertThat(order.next(null, null, out, scratch)).isEqualTo(2);
      pairs[out[0]][out[1]]++;
    }
    for (int a = 0; a < 12; a++) {
      for (int b = 0; b < 12; b++) {
        assertThat(pairs[a][b]).as("%d then %d", a, b).isCloseTo(a == b ? 0 : queries / 132, withinPercentage(10));
      }
    }
  }

  @Test
  void everyAnswerOfALargeServiceHoldsDistinctEndpointsUpToTheCap() {
    EndpointOrder order = largeService(1000, 100);
    for (int i = 0; i < 1000; i++) {
      assertThat(answer(order, Mesh.ANYONE)).hasSize(100).doesNotHaveDuplicates();
    }
  }

  /**
   * The order is the first cap steps of a Fisher-Yates shuffle of the candidates: for the same random
   * numbers, the same answers as the shuffle written out in full, for few and for many candidates.
   */
  @Test
  void theOrderIsTheStartOfAFisherYatesShuffle() {
    for (int n : new int[] {1, 5, 12, 33, 40, 200, 1000}) {
      for (int cap : new int[] {1, 2, 8, 16, 100, 256}) {
        EndpointOrder order = largeService(n, cap);
        Random shuffle = new Random(SEED);
        for (int query = 0; query < 50; query++) {
          assertThat(answer(order, Mesh.ANYONE)).as("n %d cap %d", n, cap)
              .containsExactlyElementsOf(fisherYates(order.candidates(), cap, shuffle));
        }
      }
    }
  }

  private static List<Endpoint> fisherYates(List<Endpoint> candidates, int cap, Random random) {
    List<Endpoint> a = new ArrayList<>(candidates);
    int k = Math.min(cap, a.size());
    for (int i = 0; i < k; i++) {
      Collections.swap(a, i, i + random.nextInt(a.size() - i));
    }
    return a.subList(0, k);
  }

  /** {@code n} ready endpoints in one cluster, random order capped at {@code cap}, seed 42. */
  private static EndpointOrder largeService(int n, int cap) {
    Mesh mesh = Mesh.web().in("east", Mesh.readyPods(n));
    GlobalService service = mesh.service();
    Random random = new Random(SEED);
    EndpointSelector selector = new EndpointSelector(
        DraftConfig.defaults().withPolicy(LoadBalancingConfig.RANDOM).withMaxAnswers(cap).config(), () -> random);
    selector.update(mesh.snapshot(1, service));
    return selector.addresses(service, false);
  }
}
