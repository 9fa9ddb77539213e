package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.ready;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ZoneAwarePolicyTest {
    private final Mesh mesh = Mesh.web()
            .in("east", ready("10.10.1.1", "zone-a"), ready("10.10.1.2", "zone-b"), ready("10.10.1.3", "zone-a"))
            .in("west", ready("10.20.1.1", "zone-b"), ready("10.20.1.2", "zone-a"));
    private final GlobalService web = mesh.service();
    private final EndpointSelector selector = new EndpointSelector(
            DraftConfig.defaults().withPolicy(Policy.ZONE_AWARE).config());

    private static QueryContext inZone(String zone) {
        return new QueryContext(null, null, zone);
    }

    @Test
    void endpointsInTheQueriersZoneComeFirstThenTheRest() {
        selector.update(mesh.snapshot(1, web));
        List<String> answer = ips(answer(selector.addresses(web, false), inZone("zone-b")));
        assertThat(answer.subList(0, 2)).containsExactlyInAnyOrder("10.10.1.2", "10.20.1.1");
        assertThat(answer.subList(2, 5)).containsExactlyInAnyOrder("10.10.1.1", "10.10.1.3", "10.20.1.2");
    }

    @Test
    void bothPartsRotateQueryByQuery() {
        selector.update(mesh.snapshot(1, web));
        List<List<String>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(ips(answer(selector.addresses(web, false), inZone("zone-a"))));
        }
        assertThat(answers)
                .containsExactly(
                        List.of("10.10.1.1", "10.10.1.3", "10.20.1.2", "10.10.1.2", "10.20.1.1"),
                        List.of("10.10.1.3", "10.20.1.2", "10.10.1.1", "10.20.1.1", "10.10.1.2"),
                        List.of("10.20.1.2", "10.10.1.1", "10.10.1.3", "10.10.1.2", "10.20.1.1"));
    }

    @Test
    void theCapKeepsTheQueriersZoneAndMovesInsideItEachSecond() {
        ManualClock clock = new ManualClock();
        EndpointSelector capped = new EndpointSelector(
                DraftConfig.defaults()
                        .withPolicy(Policy.ZONE_AWARE)
                        .withMaxAnswers(1)
                        .config(),
                clock);
        capped.update(mesh.snapshot(1, web));
        List<String> firsts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            firsts.addAll(ips(answer(capped.addresses(web, false), inZone("zone-a"))));
            clock.advanceSeconds(1);
        }
        assertThat(firsts).containsExactly("10.10.1.1", "10.10.1.3", "10.20.1.2");
    }

    @Test
    void aQuerierOfUnknownZoneGetsPlainRoundRobin() {
        selector.update(mesh.snapshot(1, web));
        assertThat(ips(answer(selector.addresses(web, false), inZone(null))))
                .containsExactly("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
        assertThat(ips(answer(selector.addresses(web, false), inZone("zone-z"))))
                .containsExactly("10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2", "10.10.1.1");
    }

    /**
     * The rule, checked against 1,000 random layouts of up to 40 candidates over up to four zones (some
     * with none), for every querier zone, caps 1, 3 and 8, and turns near 0 and where the turn counter
     * wraps: the candidates in the querier's zone in position order, rotated by the turn, then the others
     * in position order, rotated by the turn, up to the cap.
     */
    @Test
    void everyLayoutIsOrderedByTheRule() {
        Random random = new Random(3);
        ZoneAwarePolicy policy = new ZoneAwarePolicy();
        ClusterSettings settings = new ClusterSettings(DraftConfig.defaults().config());
        for (int layout = 0; layout < 1000; layout++) {
            int n = 1 + random.nextInt(40);
            int zonesUsed = 1 + random.nextInt(ZONES.length);
            Mesh.Pod[] pods = new Mesh.Pod[n];
            for (int i = 0; i < n; i++) {
                pods[i] = ready("10.10.0." + (i + 1), ZONES[random.nextInt(zonesUsed)]);
            }
            List<Endpoint> endpoints = Mesh.web().in("east", pods).service().endpoints();
            Candidates candidates = Candidates.of(Candidates.inPodOrder(endpoints), false, Set.of(), settings, true);
            for (String zone : ZONES) {
                for (int turn :
                        new int[] {0, 1, 2, n - 1, n, n + 1, 7 * n + 3, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
                    for (int cap : new int[] {1, 3, 8}) {
                        int[] out = new int[cap];
                        int count = policy.order(candidates, null, zone, turn, cap, out, new int[n], null);
                        assertThat(Arrays.copyOf(out, count))
                                .as("layout %d, zone %s, turn %d, cap %d", layout, zone, turn, cap)
                                .containsExactly(byTheRule(candidates.all(), zone, turn, cap));
                    }
                }
            }
        }
    }

    private static final String[] ZONES = {"zone-a", "zone-b", null, "zone-c", "zone-d"};

    private static int[] byTheRule(List<Endpoint> candidates, String zone, int turn, int cap) {
        List<Integer> inZone = new ArrayList<>();
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            (zone != null && zone.equals(candidates.get(i).topologyZone()) ? inZone : rest).add(i);
        }
        List<Integer> order = new ArrayList<>(rotated(inZone, turn));
        order.addAll(rotated(rest, turn));
        return order.stream().limit(cap).mapToInt(Integer::intValue).toArray();
    }

    private static List<Integer> rotated(List<Integer> positions, int turn) {
        List<Integer> copy = new ArrayList<>(positions);
        if (!copy.isEmpty()) {
            Collections.rotate(copy, -Math.floorMod(turn, copy.size()));
        }
        return copy;
    }
}
