package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.ready;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ZoneAwarePolicyTest {
  private final Mesh mesh = Mesh.web()
      .in("east", ready("10.10.1.1", "zone-a"), ready("10.10.1.2", "zone-b"), ready("10.10.1.3", "zone-a"))
      .in("west", ready("10.20.1.1", "zone-b"), ready("10.20.1.2", "zone-a"));
  private final GlobalService web = mesh.service();
  private final EndpointSelector selector =
      new EndpointSelector(DraftConfig.defaults().withPolicy(LoadBalancingConfig.ZONE_AWARE).config());

  private static QueryContext inZone(String zone) {
    return new QueryContext(null, null, zone);
  }

  @Test
  void endpointsInTheQueriersZoneComeFirstThenTheRest() {
    selector.update(mesh.snapshot(1, web));
    List<String> answer = ips(selector.addresses(web, false).next(inZone("zone-b")));
    assertThat(answer.subList(0, 2)).containsExactlyInAnyOrder("10.10.1.2", "10.20.1.1");
    assertThat(answer.subList(2, 5)).containsExactlyInAnyOrder("10.10.1.1", "10.10.1.3", "10.20.1.2");
  }

  @Test
  void bothPartsRotateQueryByQuery() {
    selector.update(mesh.snapshot(1, web));
    List<List<String>> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      answers.add(ips(selector.addresses(web, false).next(inZone("zone-a"))));
    }
    assertThat(answers).containsExactly(
        List.of("10.10.1.1", "10.10.1.3", "10.20.1.2", "10.10.1.2", "10.20.1.1"),
        List.of("10.10.1.3", "10.20.1.2", "10.10.1.1", "10.20.1.1", "10.10.1.2"),
        List.of("10.20.1.2", "10.10.1.1", "10.10.1.3", "10.10.1.2", "10.20.1.1"));
  }

  @Test
  void theCapKeepsTheQueriersZoneAndRotatesInsideIt() {
    EndpointSelector capped = new EndpointSelector(
        DraftConfig.defaults().withPolicy(LoadBalancingConfig.ZONE_AWARE).withMaxAnswers(1).config());
    capped.update(mesh.snapshot(1, web));
    List<String> firsts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      firsts.addAll(ips(capped.addresses(web, false).next(inZone("zone-a"))));
    }
    assertThat(firsts).containsExactly("10.10.1.1", "10.10.1.3", "10.20.1.2");
  }

  @Test
  void aQuerierOfUnknownZoneGetsPlainRoundRobin() {
    selector.update(mesh.snapshot(1, web));
    assertThat(ips(selector.addresses(web, false).next(inZone(null))))
        .containsExactly("10.10.1.1", "10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2");
    assertThat(ips(selector.addresses(web, false).next(inZone("zone-z"))))
        .containsExactly("10.10.1.2", "10.10.1.3", "10.20.1.1", "10.20.1.2", "10.10.1.1");
  }
}
