package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.clusters;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WeightedPolicyTest {
    private static final int QUERIES = 40_000;

    private static EndpointSelector selector(long seed, LoadBalancingConfig.Cluster... clusters) {
        Random random = new Random(seed);
        return new EndpointSelector(
                DraftConfig.defaults()
                        .withPolicy(Policy.WEIGHTED)
                        .withClusters(List.of(clusters))
                        .config(),
                () -> random);
    }

    private static LoadBalancingConfig.Cluster weight(String id, int weight) {
        return new LoadBalancingConfig.Cluster(ClusterId.of(id), weight, 0, List.of());
    }

    private static Map<String, Double> firstShares(EndpointSelector selector, GlobalService service) {
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < QUERIES; i++) {
            first.merge(
                    clusters(answer(selector.addresses(service, false), Mesh.ANYONE))
                            .get(0),
                    1,
                    Integer::sum);
        }
        Map<String, Double> shares = new HashMap<>();
        first.forEach((k, v) -> shares.put(k, v / (double) QUERIES));
        return shares;
    }

    /** Weights 3:1, 40,000 queries, seed 7: east first in 75% of answers, west in 25%, within 1 point. */
    @Test
    void eachClustersShareOfFirstPositionsMatchesItsWeight() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2)).in("west", readyRange("10.20.1.", 6));
        EndpointSelector selector = selector(7, weight("east", 3), weight("west", 1));
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        Map<String, Double> shares = firstShares(selector, web);
        assertThat(shares.get("east")).isCloseTo(0.75, within(0.01));
        assertThat(shares.get("west")).isCloseTo(0.25, within(0.01));
    }

    /** Weights 5:3:2 over three clusters, seed 11: shares 50%, 30%, 20%, within 1 point. */
    @Test
    void sharesFollowWeightsAcrossThreeClusters() {
        Mesh mesh = Mesh.web()
                .in("east", readyRange("10.10.1.", 1))
                .in("north", readyRange("10.30.1.", 1))
                .in("west", readyRange("10.20.1.", 1));
        EndpointSelector selector = selector(11, weight("east", 5), weight("north", 3), weight("west", 2));
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        Map<String, Double> shares = firstShares(selector, web);
        assertThat(shares.get("east")).isCloseTo(0.50, within(0.01));
        assertThat(shares.get("north")).isCloseTo(0.30, within(0.01));
        assertThat(shares.get("west")).isCloseTo(0.20, within(0.01));
    }

    @Test
    void aClusterOfWeightZeroIsAnsweredOnlyAfterTheOthers() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 1)).in("west", readyRange("10.20.1.", 1));
        EndpointSelector selector = selector(3, weight("east", 0), weight("west", 1));
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        for (int i = 0; i < 1000; i++) {
            assertThat(clusters(answer(selector.addresses(web, false), Mesh.ANYONE)))
                    .containsExactly("west", "east");
        }
    }

    @Test
    void aClusterOfWeightZeroIsAnsweredWhenItIsTheOnlyOne() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2));
        EndpointSelector selector = selector(3, weight("east", 0));
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        assertThat(ips(answer(selector.addresses(web, false), Mesh.ANYONE))).hasSize(2);
    }

    @Test
    void endpointsOfEachClusterStayTogetherAndRotateInsideIt() {
        Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 3)).in("west", readyRange("10.20.1.", 3));
        EndpointSelector selector = selector(5, weight("east", 1), weight("west", 1));
        GlobalService web = mesh.service();
        selector.update(mesh.snapshot(1, web));
        Set<String> firstOfEast = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            List<Endpoint> chosen = answer(selector.addresses(web, false), Mesh.ANYONE);
            List<String> answer = ips(chosen);
            List<String> order = clusters(chosen);
            assertThat(order)
                    .isIn(
                            List.of("east", "east", "east", "west", "west", "west"),
                            List.of("west", "west", "west", "east", "east", "east"));
            answer.stream().filter(ip -> ip.startsWith("10.10.")).findFirst().ifPresent(firstOfEast::add);
        }
        assertThat(firstOfEast).containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3");
    }
}
