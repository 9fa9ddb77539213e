package io.meshdns.loadbalancer;

import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.notReady;
import static io.meshdns.loadbalancer.Mesh.ready;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static io.meshdns.loadbalancer.Mesh.terminating;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.GlobalService;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The rules every policy shares: readiness, address family, the answer cap. */
class EndpointSelectorTest {
  static final List<String> POLICIES = LoadBalancingConfig.POLICIES;

  private static List<String> selectOnce(EndpointSelector selector, Mesh mesh, boolean ipv6) {
    GlobalService web = mesh.service();
    selector.update(mesh.snapshot(1, web));
    return ips(selector.addresses(web, ipv6).next(Mesh.ANYONE));
  }

  private static EndpointSelector selector(String policy, int maxAnswers) {
    Random random = new Random(1);
    return new EndpointSelector(
        DraftConfig.defaults().withPolicy(policy).withMaxAnswers(maxAnswers).config(), () -> random);
  }

  @ParameterizedTest
  @FieldSource("POLICIES")
  void onlyReadyEndpointsAreAnswered(String policy) {
    Mesh mesh = Mesh.web().in("east", ready("10.10.1.1"), terminating("10.10.1.2"), notReady("10.10.1.3"))
        .in("west", ready("10.20.1.1"), notReady("10.20.1.2"));
    assertThat(selectOnce(selector(policy, 8), mesh, false)).containsExactlyInAnyOrder("10.10.1.1", "10.20.1.1");
  }

  @ParameterizedTest
  @FieldSource("POLICIES")
  void servingButTerminatingEndpointsAreAnsweredOnlyWhenNoneIsReady(String policy) {
    Mesh mesh = Mesh.web().in("east", terminating("10.10.1.2"), notReady("10.10.1.3"))
        .in("west", terminating("10.20.1.1"));
    assertThat(selectOnce(selector(policy, 8), mesh, false)).containsExactlyInAnyOrder("10.10.1.2", "10.20.1.1");
  }

  @Test
  void aServiceWithNoServingEndpointHasAnEmptyAnswer() {
    Mesh mesh = Mesh.web().in("east", notReady("10.10.1.1"));
    assertThat(selectOnce(new EndpointSelector(DraftConfig.defaults().config()), mesh, false)).isEmpty();
  }

  @Test
  void eachAddressFamilyIsAnsweredFromItsOwnEndpoints() {
    Mesh mesh = Mesh.web().in("east", ready("10.10.1.1"), ready("fd00:10::1")).in("west", ready("fd00:20::1"));
    EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
    assertThat(selectOnce(selector, mesh, false)).containsExactly("10.10.1.1");
    assertThat(selectOnce(selector, mesh, true)).containsExactlyInAnyOrder("fd00:10:0:0:0:0:0:1", "fd00:20:0:0:0:0:0:1");
  }

  @Test
  void readinessIsJudgedPerAddressFamily() {
    Mesh mesh = Mesh.web().in("east", ready("10.10.1.1"), terminating("fd00:10::1"));
    assertThat(selectOnce(new EndpointSelector(DraftConfig.defaults().config()), mesh, true))
        .containsExactly("fd00:10:0:0:0:0:0:1");
  }

  @ParameterizedTest
  @FieldSource("POLICIES")
  void theAnswerIsCappedAtMaxAnswers(String policy) {
    Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 12)).in("west", readyRange("10.20.1.", 12));
    assertThat(selectOnce(selector(policy, 8), mesh, false)).hasSize(8).doesNotHaveDuplicates();
  }

  @Test
  void theDefaultCapIsEight() {
    Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 20));
    assertThat(selectOnce(new EndpointSelector(DraftConfig.defaults().config()), mesh, false)).hasSize(8);
  }

  /**
   * 20 endpoints in two clusters, cap 8, an unknown querier (every cluster is in the chosen set): the
   * rotating policies cover all 20 within 20 queries, random within 200 (seed 1).
   */
  @ParameterizedTest
  @FieldSource("POLICIES")
  void theCapRotatesSoEveryEndpointIsAnsweredOverTime(String policy) {
    Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 12)).in("west", readyRange("10.20.1.", 8));
    EndpointSelector selector = selector(policy, 8);
    GlobalService web = mesh.service();
    selector.update(mesh.snapshot(1, web));
    int queries = policy.equals(LoadBalancingConfig.RANDOM) ? 200 : 20;
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < queries; i++) {
      seen.addAll(ips(selector.addresses(web, false).next(Mesh.ANYONE)));
    }
    assertThat(seen).hasSize(20);
  }

  @Test
  void aServiceNotYetPreparedBySnapshotIsStillAnsweredAndRotated() {
    Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2));
    EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().config());
    GlobalService web = mesh.service();
    assertThat(ips(selector.addresses(web, false).next(Mesh.ANYONE))).containsExactly("10.10.1.1", "10.10.1.2");
    assertThat(ips(selector.addresses(web, false).next(Mesh.ANYONE))).containsExactly("10.10.1.2", "10.10.1.1");
  }

  @Test
  void clustersNotInTheConfigAreUsableWithDefaultSettings() {
    Mesh mesh = Mesh.web().in("east", readyRange("10.10.1.", 2));
    EndpointSelector selector = new EndpointSelector(DraftConfig.defaults().withClusters(
        List.of(LoadBalancingConfig.Cluster.of(ClusterId.of("west")))).config());
    assertThat(selectOnce(selector, mesh, false)).hasSize(2);
  }
}
