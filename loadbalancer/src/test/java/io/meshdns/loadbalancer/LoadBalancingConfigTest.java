package io.meshdns.loadbalancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.discovery.ClusterId;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadBalancingConfigTest {
  private static final ClusterId EAST = ClusterId.of("east");

  @Test
  void defaultsAreLocalFirstEightAnswersAndOption65300() {
    LoadBalancingConfig d = LoadBalancingConfig.defaults();
    assertThat(d.policy()).isEqualTo("local-first");
    assertThat(d.maxAnswers()).isEqualTo(8);
    assertThat(d.ednsClusterOption()).isEqualTo(0xff14);
  }

  @Test
  void anUnknownPolicyIsRejectedNamingTheKeyAndTheChoices() {
    assertThatThrownBy(() -> LoadBalancingConfig.defaults().withPolicy("fastest"))
        .hasMessageContaining("loadBalancing.policy").hasMessageContaining("'fastest'").hasMessageContaining("zone-aware");
  }

  @Test
  void maxAnswersOutOfRangeIsRejectedNamingTheKey() {
    assertThatThrownBy(() -> LoadBalancingConfig.defaults().withMaxAnswers(0)).hasMessageContaining("loadBalancing.maxAnswers");
    assertThatThrownBy(() -> LoadBalancingConfig.defaults().withMaxAnswers(257)).hasMessageContaining("257");
  }

  @Test
  void aNegativeWeightIsRejectedNamingTheCluster() {
    assertThatThrownBy(() -> new LoadBalancingConfig.Cluster(EAST, -1, 0, List.of()))
        .hasMessageContaining("clusters[east].weight");
  }

  @Test
  void aMalformedSourceCidrIsRejectedNamingClusterAndValue() {
    for (String bad : List.of("10.0.0.0/33", "10.0.0.256/8", "10.0.0.0/x", "fd00::/129", "not-an-ip")) {
      assertThatThrownBy(() -> new LoadBalancingConfig.Cluster(EAST, 1, 0, List.of(bad)))
          .as(bad).hasMessageContaining("clusters[east].sourceCidrs").hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void aHostNameIsNotAcceptedAsANetworkAndIsNeverLookedUp() {
    assertThatThrownBy(() -> new LoadBalancingConfig.Zone("localhost", "zone-a"))
        .hasMessageContaining("loadBalancing.zones.cidr").hasMessageContaining("'localhost'");
  }

  @Test
  void aZoneNeedsAName() {
    assertThatThrownBy(() -> new LoadBalancingConfig.Zone("10.0.0.0/8", " ")).hasMessageContaining("zones.zone");
  }

  @Test
  void aClusterListedTwiceIsRejected() {
    var c = LoadBalancingConfig.Cluster.of(EAST);
    assertThatThrownBy(() -> LoadBalancingConfig.defaults().withClusters(List.of(c, c))).hasMessageContaining("'east'");
  }
}
