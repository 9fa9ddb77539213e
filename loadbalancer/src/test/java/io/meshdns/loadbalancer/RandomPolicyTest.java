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
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RandomPolicyTest {
    private static final long SEED = 42;
    private static final int QUERIES = 50_000;

    private final Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 3)).in("west", readyRange("10.20.1.", 2));
    private final GlobalService web = mesh.service();
    private final Random random = new Random(SEED);
    private final EndpointSelector selector = new EndpointSelector(
            DraftConfig.defaults().withPolicy(Policy.RANDOM).config(), () -> random);

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
     * The policy's own draw, 1,000 endpoints, cap 8, 2,000,000 draws (seed 42): each endpoint is first in
     * 1/1,000 of them, within 10% of that share (a draw takes 8 of them without touching the other 992).
     */
    @Test
    void eachEndpointOfALargeServiceIsFirstInItsShareOfDraws() {
        Draws draws = new Draws(1000, 8);
        int queries = 2_000_000;
        int[] first = new int[1000];
        for (int i = 0; i < queries; i++) {
            draws.next();
            first[draws.out[0]]++;
        }
        for (int count : first) {
            assertThat(count).isCloseTo(queries / 1000, withinPercentage(10));
        }
    }

    /** 12 endpoints, cap 2, 300,000 draws (seed 42): each of the 132 ordered pairs opens 1/132 of them, within 10%. */
    @Test
    void eachOrderedPairOfEndpointsOpensItsShareOfDraws() {
        Draws draws = new Draws(12, 2);
        int queries = 300_000;
        int[][] pairs = new int[12][12];
        for (int i = 0; i < queries; i++) {
            assertThat(draws.next()).isEqualTo(2);
            pairs[draws.out[0]][draws.out[1]]++;
        }
        for (int a = 0; a < 12; a++) {
            for (int b = 0; b < 12; b++) {
                assertThat(pairs[a][b])
                        .as("%d then %d", a, b)
                        .isCloseTo(a == b ? 0 : queries / 132, withinPercentage(10));
            }
        }
    }

    @Test
    void everyDrawOfALargeServiceHoldsDistinctEndpointsUpToTheCap() {
        Draws draws = new Draws(1000, 100);
        for (int i = 0; i < 1000; i++) {
            assertThat(draws.next()).isEqualTo(100);
            assertThat(Arrays.stream(draws.out, 0, 100).distinct().count()).isEqualTo(100);
        }
    }

    /**
     * A draw is the first cap steps of a Fisher-Yates shuffle of the candidates: for the same random
     * numbers, the same positions as the shuffle written out in full, for few and for many candidates.
     */
    @Test
    void aDrawIsTheStartOfAFisherYatesShuffle() {
        for (int n : new int[] {1, 5, 12, 33, 40, 200, 1000}) {
            for (int cap : new int[] {1, 2, 8, 16, 100, 256}) {
                Draws draws = new Draws(n, cap);
                Random shuffle = new Random(SEED);
                for (int query = 0; query < 50; query++) {
                    int count = draws.next();
                    assertThat(Arrays.stream(draws.out, 0, count).boxed().toList())
                            .as("n %d cap %d", n, cap)
                            .containsExactlyElementsOf(fisherYates(n, cap, shuffle));
                }
            }
        }
    }

    /**
     * Capped (200 endpoints, cap 8), the answers of one second hold the same 8 endpoints, drawn at random
     * per second: over 25,000 seconds each endpoint is in its share of them (8/200, 1,000), within 15%.
     */
    @Test
    void aCappedAnswerDrawsItsEndpointsOncePerSecond() {
        Mesh mesh = Mesh.web().in("east", Mesh.readyPods(200));
        GlobalService service = mesh.service();
        ManualClock clock = new ManualClock();
        EndpointSelector selector = new EndpointSelector(
                DraftConfig.defaults()
                        .withPolicy(Policy.RANDOM)
                        .withMaxAnswers(8)
                        .config(),
                () -> random,
                clock);
        selector.update(mesh.snapshot(1, service));
        EndpointOrder order = selector.addresses(service, false);
        Map<Endpoint, Integer> answered = new HashMap<>();
        for (int second = 0; second < 25_000; second++) {
            List<Endpoint> first = answer(order, Mesh.ANYONE);
            assertThat(answer(order, Mesh.ANYONE))
                    .as("second %d", second)
                    .hasSize(8)
                    .containsExactlyInAnyOrderElementsOf(first);
            first.forEach(e -> answered.merge(e, 1, Integer::sum));
            clock.advanceSeconds(1);
        }
        assertThat(answered).hasSize(200);
        assertThat(answered.values()).allSatisfy(n -> assertThat(n).isCloseTo(1000, withinPercentage(15)));
    }

    private static List<Integer> fisherYates(int n, int cap, Random random) {
        List<Integer> a = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            a.add(i);
        }
        int k = Math.min(cap, n);
        for (int i = 0; i < k; i++) {
            Collections.swap(a, i, i + random.nextInt(n - i));
        }
        return a.subList(0, k);
    }

    /** The random policy drawing from {@code n} ready endpoints in one cluster, capped at {@code cap}, seed 42. */
    private static final class Draws {
        private final Candidates candidates;
        private final int cap;
        private final Random random = new Random(SEED);
        private final RandomPolicy policy = new RandomPolicy();
        final int[] out;
        private final int[] scratch;

        Draws(int n, int cap) {
            LoadBalancingConfig config = DraftConfig.defaults().config();
            this.candidates = Candidates.of(
                    Candidates.inPodOrder(
                            Mesh.web().in("east", Mesh.readyPods(n)).service().endpoints()),
                    false,
                    Set.of(),
                    new ClusterSettings(config),
                    false);
            this.cap = cap;
            this.out = new int[n];
            this.scratch = new int[n];
            Arrays.fill(scratch, 0x5EED); // a reused scratch array holds what earlier queries left
        }

        int next() {
            return policy.order(candidates, null, null, 0, cap, out, scratch, random);
        }
    }
}
