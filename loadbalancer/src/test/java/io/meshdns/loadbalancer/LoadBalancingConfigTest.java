package io.meshdns.loadbalancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.core.Cidr;
import io.meshdns.discovery.ClusterId;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadBalancingConfigTest {
    private static final ClusterId EAST = ClusterId.of("east");

    @Test
    void defaultsAreLocalFirstEightAnswersAndOption65300() {
        assertThat(LoadBalancingConfig.DEFAULT_POLICY.configName()).isEqualTo("local-first");
        assertThat(LoadBalancingConfig.DEFAULT_MAX_ANSWERS).isEqualTo(8);
        assertThat(LoadBalancingConfig.DEFAULT_EDNS_CLUSTER_OPTION).isEqualTo(0xff14);
    }

    @Test
    void aConfigWithoutAPolicyHasTheDefaultOne() {
        assertThat(new LoadBalancingConfig(null, 8, 0xff14, null, null).policy().configName())
                .isEqualTo("local-first");
    }

    @Test
    void anUnknownPolicyIsRejectedNamingTheKeyAndTheChoices() {
        assertThatThrownBy(() -> DraftConfig.defaults().withPolicy("fastest").config())
                .hasMessageContaining("loadBalancing.policy")
                .hasMessageContaining("'fastest'")
                .hasMessageContaining("zone-aware");
    }

    @Test
    void maxAnswersOutOfRangeIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> DraftConfig.defaults().withMaxAnswers(0).config())
                .hasMessageContaining("loadBalancing.maxAnswers");
        assertThatThrownBy(() -> DraftConfig.defaults().withMaxAnswers(4097).config())
                .hasMessageContaining("4097");
    }

    @Test
    void aNegativeWeightIsRejectedNamingTheCluster() {
        assertThatThrownBy(() -> new LoadBalancingConfig.Cluster(EAST, -1, 0, List.of()))
                .hasMessageContaining("clusters[east].weight");
    }

    @Test
    void aZoneNeedsAName() {
        assertThatThrownBy(() -> new LoadBalancingConfig.TopologyZone(Cidr.parse("10.0.0.0/8"), " "))
                .hasMessageContaining("zones.zone");
    }

    @Test
    void aClusterListedTwiceIsRejected() {
        var c = LoadBalancingConfig.Cluster.of(EAST);
        assertThatThrownBy(
                        () -> DraftConfig.defaults().withClusters(List.of(c, c)).config())
                .hasMessageContaining("'east'");
    }
}
