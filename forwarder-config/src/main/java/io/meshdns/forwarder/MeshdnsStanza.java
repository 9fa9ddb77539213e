package io.meshdns.forwarder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshdns.core.DnsLabel;
import io.meshdns.core.UpstreamAddress;
import io.meshdns.discovery.ClusterId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CoreDNS server block that makes one member cluster delegate the global zone, and the reverse zones
 * of the mesh, to meshdns:
 *
 * <pre>
 * # meshdns:begin cluster=east ...
 * clusterset.local:53 10.10.in-addr.arpa:53 {
 *     errors
 *     # answers reused at most 5 s, ...
 *     cache 5 {
 *         denial 9984 5
 *     }
 *     # policy local-first: the address order means nothing, ...
 *     loadbalance round_robin
 *     rewrite edns0 local set 0xff14 east
 *     forward . 10.8.0.10 10.9.0.10 {
 *         policy sequential
 *         health_check 5s
 *     }
 * }
 * # meshdns:end
 * </pre>
 *
 * With {@link ForwardTls}, the upstreams are {@code tls://ADDR:853} and the {@code forward} block gets
 * {@code tls} and {@code tls_servername} lines (DNS over TLS, RFC 7858).
 *
 * The {@code rewrite} line adds an EDNS0 local option carrying the cluster id to every query, so meshdns
 * knows which cluster asks. {@link AnswerCaching} decides the {@code cache} and {@code loadbalance} lines. The
 * marker comments let a later run find and replace exactly this block.
 *
 * @param zone the global zone, such as {@code clusterset.local}
 * @param reverseZones CIDRs whose reverse zones this cluster delegates (the mesh's networks except its own); each
 *     becomes one or more reverse zones
 * @param forwardTo meshdns addresses reachable from this cluster, nearest first ({@code ADDR} or {@code ADDR:PORT})
 * @param caching how long CoreDNS reuses answers and whether it shuffles them
 * @param ednsOption the EDNS0 option code meshdns reads the cluster id from (65300 = 0xff14)
 * @param bind addresses for a {@code bind} line (NodeLocal DNSCache listens only on its own addresses); empty for none
 */
public record MeshdnsStanza(
        ClusterId cluster,
        String zone,
        List<String> reverseZones,
        List<String> forwardTo,
        AnswerCaching caching,
        int ednsOption,
        ForwardOptions forward,
        List<String> bind) {

    static final String BEGIN = "# meshdns:begin";
    static final String END = "# meshdns:end";
    private static final ObjectMapper JSON = new ObjectMapper();

    public MeshdnsStanza {
        if (cluster == null) {
            throw new IllegalArgumentException("the cluster id is required");
        }
        zone = normalizeZone(zone);
        reverseZones = List.copyOf(reverseZones == null ? List.of() : reverseZones);
        reverseZones.forEach(ReverseZones::of);
        forwardTo = List.copyOf(forwardTo == null ? List.of() : forwardTo);
        if (forwardTo.isEmpty()) {
            throw new IllegalArgumentException("cluster " + cluster + ": no meshdns address to forward to");
        }
        for (String upstream : forwardTo) {
            try {
                // Written into the Corefile as given, so in the family it is and in a form CoreDNS reads.
                UpstreamAddress.parseAsWritten(upstream);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "cluster " + cluster + ": forward address '" + upstream
                                + "' is not an IP address, IP:PORT or [IPv6]:PORT",
                        e);
            }
        }
        caching = caching == null ? AnswerCaching.defaults() : caching;
        if (ednsOption < 1 || ednsOption > 65535) {
            throw new IllegalArgumentException("EDNS0 option code must be 1-65535; was " + ednsOption);
        }
        forward = forward == null ? ForwardOptions.defaults() : forward;
        bind = List.copyOf(bind == null ? List.of() : bind);
    }

    /** The same stanza listening only on {@code addresses}, as NodeLocal DNSCache server blocks must. */
    public MeshdnsStanza withBind(List<String> addresses) {
        return new MeshdnsStanza(cluster, zone, reverseZones, forwardTo, caching, ednsOption, forward, addresses);
    }

    /** The zones of the server block: the global zone, then the reverse zones. */
    public List<String> zones() {
        List<String> zones = new ArrayList<>();
        zones.add(zone);
        for (String cidr : reverseZones) {
            for (String z : ReverseZones.of(cidr)) {
                if (!zones.contains(z)) {
                    zones.add(z);
                }
            }
        }
        return zones;
    }

    /** The server block between its marker comments, 4-space indented, ending with a newline. */
    public String serverBlock() {
        return String.join("\n", lines(Layout.DEFAULT)) + "\n";
    }

    /**
     * The {@code stubDomains} value of the kube-dns ConfigMap for clusters still on kube-dns: each zone to the
     * meshdns addresses. kube-dns cannot add the EDNS0 option, so meshdns knows such a cluster's queries only
     * by their source address ({@code sourceCidrs} in the meshdns config).
     */
    public String stubDomainsJson() {
        try {
            return JSON.writeValueAsString(stubDomains());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    Map<String, List<String>> stubDomains() {
        if (forward.tls() != null) {
            throw new IllegalArgumentException(
                    "cluster " + cluster + ": kube-dns cannot forward over TLS (its stubDomains"
                            + " are plain DNS); use CoreDNS, or leave out --tls-servername for this cluster");
        }
        Map<String, List<String>> domains = new LinkedHashMap<>();
        zones().forEach(z -> domains.put(z, forwardTo));
        return domains;
    }

    /** The lines of the marked block, without line separators. */
    List<String> lines(Layout layout) {
        String i1 = layout.indent();
        String i2 = i1 + i1;
        List<String> lines = new ArrayList<>();
        lines.add(BEGIN + " cluster=" + cluster + " (written by meshdns coredns-config; edits between the markers are"
                + " replaced)");
        List<String> keys = zones().stream().map(z -> z + ":" + layout.port()).toList();
        if (keys.size() <= 4) {
            lines.add(String.join(" ", keys) + " {");
        } else {
            for (int k = 0; k < keys.size() - 1; k++) {
                lines.add((k == 0 ? "" : i1) + keys.get(k) + ",");
            }
            lines.add(i1 + keys.get(keys.size() - 1) + " {");
        }
        lines.add(i1 + "errors");
        if (!bind.isEmpty()) {
            lines.add(i1 + "bind " + String.join(" ", bind));
        }
        caching.lines(i1).forEach(l -> lines.add(i1 + l));
        lines.add(i1 + "rewrite edns0 local set " + String.format(Locale.ROOT, "0x%04x", ednsOption) + " " + cluster);
        List<String> upstreams = forward.tls() == null
                ? forwardTo
                : forwardTo.stream().map(forward.tls()::upstream).toList();
        lines.add(i1 + "forward . " + String.join(" ", upstreams) + " {");
        forward.lines().forEach(l -> lines.add(i2 + l));
        lines.add(i1 + "}");
        lines.add("}");
        lines.add(END);
        return lines;
    }

    private static String normalizeZone(String zone) {
        if (zone == null || zone.isBlank()) {
            throw new IllegalArgumentException("the zone is required");
        }
        try {
            return DnsLabel.zone(zone, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("zone " + e.getMessage(), e);
        }
    }

    /** How the block is written into a given Corefile: its port, indentation and line separator. */
    record Layout(int port, String indent, String newline) {
        static final Layout DEFAULT = new Layout(53, "    ", "\n");
    }
}
