package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.loadbalancer.Policy;
import org.junit.jupiter.api.Test;

class AnswerCachingTest {
    @Test
    void cachesForMeshdnsRecordTtlByDefault() {
        AnswerCaching caching = AnswerCaching.of("local-first", 5, 5, null, null, false);

        assertThat(caching.cacheTtl()).isEqualTo(5);
        assertThat(caching.denialTtl()).isEqualTo(5);
    }

    @Test
    void aRecordTtlBelowCorednsMinimumStillCapsTheCache() {
        // CoreDNS keeps an answer at least 5 s unless the cache's maximum is lower: the maximum is the TTL
        AnswerCaching caching = AnswerCaching.of("local-first", 2, 2, null, null, false);

        assertThat(caching.lines("    ")).contains("cache 2 {", "    denial 9984 2");
    }

    @Test
    void refusesACacheLongerThanTheRecordTtl() {
        assertThatThrownBy(() -> AnswerCaching.of("local-first", 5, 5, 30, null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "a cache TTL of 30 s is longer than meshdns's record TTL (5 s, config key ttl): pods would get"
                                + " answers meshdns no longer gives; use at most 5");
    }

    @Test
    void aShorterCacheAlsoShortensNegativeCaching() {
        AnswerCaching caching = AnswerCaching.of("local-first", 30, 30, 10, null, false);

        assertThat(caching.cacheTtl()).isEqualTo(10);
        assertThat(caching.denialTtl()).isEqualTo(10);
    }

    @Test
    void negativeCachingFollowsTheSoaMinimum() {
        AnswerCaching caching = AnswerCaching.of("local-first", 30, 5, null, null, false);

        assertThat(caching.lines("  ")).contains("cache 30 {", "  denial 9984 5");
    }

    @Test
    void cacheZeroLeavesTheCachePluginOut() {
        AnswerCaching caching = AnswerCaching.of("weighted", 5, 5, 0, null, false);

        assertThat(caching.cacheTtl()).isZero();
        assertThat(caching.lines("  ")).noneMatch(l -> l.startsWith("cache")).noneMatch(l -> l.startsWith("denial"));
    }

    @Test
    void shufflesWhenThePolicyOrderMeansNothing() {
        for (String policy : new String[] {"round-robin", "random", "local-first"}) {
            assertThat(AnswerCaching.of(policy, 5, 5, null, null, false).shuffle())
                    .as(policy)
                    .isTrue();
            assertThat(AnswerCaching.of(policy, 5, 5, null, null, false).lines("  "))
                    .as(policy)
                    .endsWith("loadbalance round_robin");
        }
    }

    @Test
    void doesNotShuffleWeightedAnswersWhoseFirstAddressIsTheWeightedDraw() {
        AnswerCaching caching = AnswerCaching.of("weighted", 5, 5, null, null, false);

        assertThat(caching.shuffle()).isFalse();
        assertThat(caching.lines("  "))
                .noneMatch(l -> l.startsWith("loadbalance"))
                .anyMatch(l -> l.contains("policy weighted puts the weighted draw first"));
    }

    @Test
    void zoneAwareIsShuffledOnlyWhileMeshdnsKnowsNoZones() {
        assertThat(AnswerCaching.of("zone-aware", 5, 5, null, null, false).shuffle())
                .isTrue();
        assertThat(AnswerCaching.of("zone-aware", 5, 5, null, null, true).shuffle())
                .isFalse();
    }

    @Test
    void whetherTheOrderMattersIsThePolicysOwnWord() {
        for (Policy policy : Policy.values()) {
            for (boolean zonesKnown : new boolean[] {false, true}) {
                AnswerCaching caching = AnswerCaching.of(policy.configName(), 5, 5, null, null, zonesKnown);
                assertThat(caching.ordered())
                        .as(policy + ", zones known " + zonesKnown)
                        .isEqualTo(policy.orderMatters(zonesKnown));
                assertThat(caching.shuffle())
                        .as(policy + ", zones known " + zonesKnown)
                        .isEqualTo(!policy.orderMatters(zonesKnown));
            }
        }
    }

    @Test
    void anUnknownPolicyIsNotShuffled() {
        assertThat(AnswerCaching.of("nearest", 5, 5, null, null, false).shuffle())
                .isFalse();
    }

    @Test
    void theOperatorOverridesTheShuffleEitherWay() {
        AnswerCaching on = AnswerCaching.of("weighted", 5, 5, null, true, false);
        AnswerCaching off = AnswerCaching.of("round-robin", 5, 5, null, false, false);

        assertThat(on.lines("  "))
                .contains("loadbalance round_robin")
                .anyMatch(l -> l.contains("as chosen with --loadbalance on"));
        assertThat(off.lines("  "))
                .noneMatch(l -> l.startsWith("loadbalance"))
                .contains("# no loadbalance, as chosen with --loadbalance off");
    }

    @Test
    void podViewSaysHowLongAnAnswerIsReusedAndThatItsOrderRotates() {
        String view = String.join(
                "\n", AnswerCaching.of("local-first", 5, 5, null, null, false).podView());

        assertThat(view)
                .contains(
                        "reuses an answer for up to 5 s",
                        "NODATA for up to 5 s",
                        "a new service answers within 5 s",
                        "a new or removed endpoint shows within 5 s",
                        "new random order on each lookup",
                        "during failover the shuffle makes any other cluster's endpoint first",
                        "services with their own meshdns.io/lb-policy are shuffled too");
    }

    @Test
    void podViewOfWeightedSaysTheFirstAddressIsSharedAndOffersCacheZero() {
        String view = String.join(
                "\n", AnswerCaching.of("weighted", 5, 5, null, null, false).podView());

        assertThat(view)
                .contains(
                        "all pods behind one replica get the same first address for up to 5 s",
                        "policy weighted puts the weighted draw first",
                        "--cache 0 for a draw per lookup")
                .doesNotContain("random order");
    }

    @Test
    void podViewWithoutCacheSaysEveryLookupReachesMeshdnsWhichOrdersEachAnswer() {
        String view = String.join(
                "\n", AnswerCaching.of("weighted", 5, 5, 0, null, false).podView());

        assertThat(view).contains("every lookup of every pod reaches meshdns", "which orders every answer anew");
    }

    @Test
    void refusesInconsistentValues() {
        assertThatThrownBy(() -> new AnswerCaching(5, 0, true, "random", false))
                .hasMessage("denial TTL must be between 1 (CoreDNS refuses 0) and the cache TTL (5); was 0");
        assertThatThrownBy(() -> new AnswerCaching(5, 6, true, "random", false)).hasMessageContaining("was 6");
        assertThatThrownBy(() -> AnswerCaching.of("random", 5, 5, -1, null, false))
                .hasMessage("the cache TTL must be 0 (no cache) or more seconds; was -1");
    }
}
