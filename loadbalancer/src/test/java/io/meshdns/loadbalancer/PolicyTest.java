package io.meshdns.loadbalancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The policies' names, as config, annotations and the generated CoreDNS block write them. */
class PolicyTest {
    @Test
    void theNamesAreTheOnesOperatorsWrite() {
        assertThat(Policy.NAMES).containsExactly("round-robin", "random", "weighted", "local-first", "zone-aware");
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void everyPolicyParsesFromItsName(Policy policy) {
        assertThat(Policy.parse(policy.configName())).isSameAs(policy);
        assertThat(policy).hasToString(policy.configName());
    }

    @Test
    void anUnknownNameIsRejectedListingTheNames() {
        assertThatThrownBy(() -> Policy.parse("fastest"))
                .hasMessage("must be one of round-robin, random, weighted, local-first, zone-aware; was 'fastest'");
        assertThat(Policy.byName("Round-Robin")).isEmpty();
    }

    @Test
    void onlyWeightedAndZoneAwareWithKnownQuerierZonesPutMeaningInTheOrder() {
        assertThat(List.of(Policy.values()))
                .filteredOn(p -> p.orderMatters(false))
                .containsExactly(Policy.WEIGHTED);
        assertThat(List.of(Policy.values()))
                .filteredOn(p -> p.orderMatters(true))
                .containsExactly(Policy.WEIGHTED, Policy.ZONE_AWARE);
    }
}
