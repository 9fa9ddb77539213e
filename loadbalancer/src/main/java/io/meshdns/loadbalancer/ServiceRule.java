package io.meshdns.loadbalancer;

import io.meshdns.core.KubernetesNames;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.GlobalService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The policy and answer cap of one global service: the config defaults, overridden by the Service
 * annotations {@value KubernetesNames#POLICY_ANNOTATION} and {@value KubernetesNames#MAX_ANSWERS_ANNOTATION}
 * in any of its clusters; without a policy annotation, {@code trafficDistribution: PreferClose} or
 * {@code internalTrafficPolicy: Local} on the Service choose {@code local-first}. When clusters disagree the lowest cluster id wins; a malformed value falls back
 * to the default. Both cases produce a warning, which the caller logs once.
 *
 * <p>A headless service has no cap unless its annotation sets one ({@link #complete}): its answers carry
 * every ready endpoint, as the Kubernetes DNS specification says. The config's {@code maxAnswers} is for
 * services meshdns answers with pod IPs in place of a VIP, where it is the load balancer.
 *
 * @param complete whether every candidate is answered (a headless service without the cap annotation)
 */
record ServiceRule(Policy policy, int maxAnswers, boolean complete, List<String> warnings) {

    static ServiceRule resolve(GlobalService service, LoadBalancingConfig config) {
        List<String> warnings = new ArrayList<>();
        Policy policy = config.policy();
        Annotation p = annotation(service, KubernetesNames.POLICY_ANNOTATION, warnings);
        if (p == null && prefersLocal(service)) {
            // Kubernetes' own words for "keep traffic near the client", honoured across the mesh as local-first.
            policy = Policy.LOCAL_FIRST;
        }
        if (p != null) {
            var named = Policy.byName(p.value);
            if (named.isPresent()) {
                policy = named.get();
            } else {
                warnings.add("service " + service.key() + ": annotation " + KubernetesNames.POLICY_ANNOTATION + " '"
                        + p.value + "' (cluster " + p.cluster + ") is not a policy (" + String.join(", ", Policy.NAMES)
                        + "); using the default '" + config.policy() + "'");
            }
        }
        int maxAnswers = config.maxAnswers();
        boolean complete = service.headless();
        Annotation m = annotation(service, KubernetesNames.MAX_ANSWERS_ANNOTATION, warnings);
        if (m != null) {
            int parsed = parseMaxAnswers(m.value);
            if (parsed > 0) {
                maxAnswers = parsed;
                complete = false;
            } else {
                warnings.add(
                        "service " + service.key() + ": annotation " + KubernetesNames.MAX_ANSWERS_ANNOTATION + " '"
                                + m.value + "' (cluster " + m.cluster + ") is not a whole number between 1 and "
                                + LoadBalancingConfig.MAX_ANSWERS_LIMIT + "; using "
                                + (complete
                                        ? "no cap (headless: every ready endpoint)"
                                        : "the default " + config.maxAnswers()));
            }
        }
        return new ServiceRule(policy, maxAnswers, complete, List.copyOf(warnings));
    }

    /**
     * {@code trafficDistribution: PreferClose} or {@code internalTrafficPolicy: Local} on the Service in the
     * lowest cluster id that exports it (as for annotations).
     */
    private static boolean prefersLocal(GlobalService service) {
        for (ClusterService cs : service.byCluster().values()) {
            if (cs.externalName() == null) {
                return "PreferClose".equals(cs.trafficDistribution()) || "Local".equals(cs.internalTrafficPolicy());
            }
        }
        return false;
    }

    private record Annotation(ClusterId cluster, String value) {}

    /** The value in the lowest cluster id that has the annotation; a warning for each cluster that differs. */
    private static Annotation annotation(GlobalService service, String name, List<String> warnings) {
        Annotation winner = null;
        for (Map.Entry<ClusterId, ClusterService> e : service.byCluster().entrySet()) {
            String raw = e.getValue().annotations().get(name);
            if (raw == null) {
                continue;
            }
            String value = raw.trim();
            if (winner == null) {
                winner = new Annotation(e.getKey(), value);
            } else if (!winner.value.equals(value)) {
                warnings.add("service " + service.key() + ": annotation " + name + " is '" + winner.value
                        + "' in cluster "
                        + winner.cluster + " but '" + value + "' in cluster " + e.getKey() + "; using '" + winner.value
                        + "' from " + winner.cluster + ", the lowest cluster id");
            }
        }
        return winner;
    }

    /** The cap, or -1 when {@code value} is not a whole number in range. */
    private static int parseMaxAnswers(String value) {
        if (value.isEmpty() || value.length() > 4) {
            return -1;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return -1;
            }
        }
        int n = Integer.parseInt(value);
        return n >= 1 && n <= LoadBalancingConfig.MAX_ANSWERS_LIMIT ? n : -1;
    }
}
