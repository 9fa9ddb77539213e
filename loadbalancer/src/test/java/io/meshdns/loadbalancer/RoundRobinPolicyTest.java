package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.ready;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundRobinPolicyTest {
    private final Mesh mesh = Mesh.web()
            .in("east", ready("10.10.1.1"), ready("10.10.1.2"), ready("10.10.1.3"))
            .in("west", ready("10.20.1.1"));
    private final GlobalService web = mesh.service();
    private final EndpointSelector selector = new EndpointSelector(
            DraftConfig.defaults().withPolicy(Policy.ROUND_ROBIN).config());

    @Test
    void consecutiveQueriesStartOneEndpointLaterAndWrapAround() {
        selector.update(mesh.snapshot(1, web));
        List<List<String>> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(ips(answer(selector.addresses(web, false), Mesh.ANYONE)));
        }
        assertThat(answers)
                .containsExactly(
                        List.of("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1"),
                        List.of("10.10.1.2", "10.10.1.3", "10.20.1.1", "10.10.1.1"),
                        List.of("10.10.1.3", "10.20.1.1", "10.10.1.1", "10.10.1.2"),
                        List.of("10.20.1.1", "10.10.1.1", "10.10.1.2", "10.10.1.3"),
                        List.of("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1"));
    }

    @Test
    void ignoresTheQueriersClusterAndAnswersEveryCluster() {
        selector.update(mesh.snapshot(1, web));
        var fromWest = new QueryContext(null, io.meshdns.discovery.ClusterId.of("west"), null);
        assertThat(ips(answer(selector.addresses(web, false), fromWest)))
                .containsExactlyInAnyOrder("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1");
    }

    @Test
    void rotationContinuesAcrossSnapshotsOfTheSameService() {
        selector.update(mesh.snapshot(1, web));
        answer(selector.addresses(web, false), Mesh.ANYONE);
        GlobalService rebuilt = mesh.service(); // a new publication of the same service
        selector.update(mesh.snapshot(2, rebuilt));
        assertThat(ips(answer(selector.addresses(rebuilt, false), Mesh.ANYONE)).get(0))
                .isEqualTo("10.10.1.2");
    }
}
