package io.meshdns.loadbalancer;

import static io.meshdns.core.KubernetesNames.MAX_ANSWERS_ANNOTATION;
import static io.meshdns.core.KubernetesNames.POLICY_ANNOTATION;
import static io.meshdns.loadbalancer.Mesh.answer;
import static io.meshdns.loadbalancer.Mesh.ips;
import static io.meshdns.loadbalancer.Mesh.readyRange;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.GlobalService;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-service overrides: {@code meshdns.io/lb-policy} and {@code meshdns.io/max-answers}. */
class ServiceAnnotationTest {
    private final EndpointSelector selector =
            new EndpointSelector(DraftConfig.defaults().config());

    private static Mesh web() {
        return Mesh.web().in("east", readyRange("10.10.1.", 12)).in("west", readyRange("10.20.1.", 3));
    }

    @Test
    void aPolicyAnnotationInOneClusterOverridesTheDefault() {
        Mesh mesh = web().annotate("west", POLICY_ANNOTATION, "round-robin");
        GlobalService service = mesh.service();
        assertThat(selector.update(mesh.snapshot(1, service))).isEmpty();
        assertThat(selector.policyOf(service).configName()).isEqualTo("round-robin");
        var fromWest = new QueryContext(null, ClusterId.of("west"), null);
        assertThat(ips(answer(selector.addresses(service, false), fromWest))).anyMatch(ip -> ip.startsWith("10.10."));
    }

    @Test
    void aMaxAnswersAnnotationOverridesTheCap() {
        Mesh mesh = web().annotate("east", MAX_ANSWERS_ANNOTATION, "3");
        GlobalService service = mesh.service();
        selector.update(mesh.snapshot(1, service));
        assertThat(selector.addresses(service, false).limit()).isEqualTo(3);
        assertThat(answer(selector.addresses(service, false), Mesh.ANYONE)).hasSize(3);
    }

    @Test
    void conflictingAnnotationsAreDecidedByTheLowestClusterIdWithAWarningNamingBoth() {
        Mesh mesh =
                web().annotate("west", POLICY_ANNOTATION, "random").annotate("east", POLICY_ANNOTATION, "zone-aware");
        GlobalService service = mesh.service();
        List<String> warnings = selector.update(mesh.snapshot(1, service));
        assertThat(selector.policyOf(service).configName()).isEqualTo("zone-aware");
        assertThat(warnings)
                .singleElement()
                .asString()
                .contains(
                        "shop/web", "meshdns.io/lb-policy", "'zone-aware' in cluster east", "'random' in cluster west");
    }

    @Test
    void theSameValueInSeveralClustersIsNoConflict() {
        Mesh mesh = web().annotate("west", MAX_ANSWERS_ANNOTATION, "2").annotate("east", MAX_ANSWERS_ANNOTATION, " 2 ");
        GlobalService service = mesh.service();
        assertThat(selector.update(mesh.snapshot(1, service))).isEmpty();
        assertThat(selector.addresses(service, false).limit()).isEqualTo(2);
    }

    @Test
    void anUnknownPolicyFallsBackToTheDefaultWithOneWarningNamingServiceAndValue() {
        Mesh mesh = web().annotate("west", POLICY_ANNOTATION, "fastest");
        GlobalService service = mesh.service();
        List<String> warnings = selector.update(mesh.snapshot(1, service));
        assertThat(selector.policyOf(service).configName()).isEqualTo("local-first");
        assertThat(warnings)
                .singleElement()
                .asString()
                .contains("shop/web", "'fastest'", "cluster west", "local-first");
    }

    @Test
    void aMalformedMaxAnswersFallsBackToTheDefaultWithOneWarning() {
        for (String bad : List.of("lots", "0", "-3", "4097", "1e3", "")) {
            Mesh mesh = web().annotate("east", MAX_ANSWERS_ANNOTATION, bad);
            GlobalService service = mesh.service();
            List<String> warnings =
                    new EndpointSelector(DraftConfig.defaults().config()).update(mesh.snapshot(1, service));
            assertThat(warnings).as(bad).singleElement().asString().contains("shop/web", "'" + bad + "'", "default 8");
        }
    }

    @Test
    void theWarningIsGivenOnceNotPerQueryNorPerSnapshot() {
        Mesh mesh = web().annotate("west", POLICY_ANNOTATION, "fastest");
        GlobalService first = mesh.service();
        assertThat(selector.update(mesh.snapshot(1, first))).hasSize(1);
        for (int i = 0; i < 100; i++) {
            answer(selector.addresses(first, false), Mesh.ANYONE);
        }
        assertThat(selector.update(mesh.snapshot(2, first))).isEmpty();
        GlobalService changed = mesh.in("west", readyRange("10.20.2.", 1)).service(); // endpoints changed
        assertThat(selector.update(mesh.snapshot(3, changed))).isEmpty();
        assertThat(selector.policyOf(changed).configName()).isEqualTo("local-first");
    }

    @Test
    void aNewBadValueIsWarnedAboutAgain() {
        Mesh mesh = web().annotate("west", POLICY_ANNOTATION, "fastest");
        selector.update(mesh.snapshot(1));
        Mesh edited = web().annotate("west", POLICY_ANNOTATION, "slowest");
        assertThat(selector.update(edited.snapshot(2)))
                .singleElement()
                .asString()
                .contains("'slowest'");
    }
}
