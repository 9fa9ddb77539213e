package io.meshdns.forwarder;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Options of the generated {@code forward} plugin. {@code null} means the default: {@code policy sequential}
 * (the addresses are listed nearest first) and {@code health_check 5s}; {@code max_fails} and
 * {@code expire} are left to CoreDNS unless set.
 *
 * @param policy {@code random}, {@code round_robin} or {@code sequential}
 * @param healthCheck a duration such as {@code 5s}
 * @param maxFails consecutive failed health checks before an upstream is down ({@code 0} never marks it down)
 * @param expire how long idle connections to meshdns are kept, such as {@code 10s}
 * @param tls DNS over TLS to meshdns; {@code null}: plain DNS
 */
public record ForwardOptions(
        String policy, String healthCheck, Integer maxFails, String expire, Transport transport, ForwardTls tls) {
    /** How CoreDNS talks to meshdns: as the client asked, {@code prefer_udp} or {@code force_tcp}. */
    public enum Transport {
        AS_CLIENT,
        PREFER_UDP,
        FORCE_TCP
    }

    static final List<String> POLICIES = List.of("random", "round_robin", "sequential");
    // Go's time.ParseDuration, which CoreDNS uses: 500ms, 5s, 1m30s, 1.5h
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+");

    public ForwardOptions {
        policy = policy == null ? "sequential" : policy;
        if (!POLICIES.contains(policy)) {
            throw new IllegalArgumentException(
                    "forward policy must be one of " + String.join(", ", POLICIES) + "; was '" + policy + "'");
        }
        healthCheck = healthCheck == null ? "5s" : healthCheck;
        checkDuration("health_check", healthCheck);
        if (maxFails != null && maxFails < 0) {
            throw new IllegalArgumentException("forward max_fails must be 0 or more; was " + maxFails);
        }
        if (expire != null) {
            checkDuration("expire", expire);
        }
        transport = transport == null ? Transport.AS_CLIENT : transport;
        if (tls != null && transport != Transport.AS_CLIENT) {
            throw new IllegalArgumentException("prefer_udp and force_tcp mean nothing over TLS (always TCP)");
        }
    }

    public ForwardOptions(String policy, String healthCheck, Integer maxFails, String expire, Transport transport) {
        this(policy, healthCheck, maxFails, expire, transport, null);
    }

    public static ForwardOptions defaults() {
        return new ForwardOptions(null, null, null, null, null);
    }

    /** The lines inside {@code forward ... { }}. */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("policy " + policy);
        lines.add("health_check " + healthCheck);
        if (maxFails != null) {
            lines.add("max_fails " + maxFails);
        }
        if (expire != null) {
            lines.add("expire " + expire);
        }
        if (transport == Transport.PREFER_UDP) {
            lines.add("prefer_udp");
        } else if (transport == Transport.FORCE_TCP) {
            lines.add("force_tcp");
        }
        if (tls != null) {
            lines.addAll(tls.lines());
        }
        return lines;
    }

    private static void checkDuration(String option, String value) {
        if (!GO_DURATION.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "forward " + option + " must be a duration such as 5s or 500ms; was '" + value + "'");
        }
    }
}
