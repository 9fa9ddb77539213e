package io.meshdns.discovery;

/**
 * What the mesh routes to a cluster, and so which addresses it may contribute to an answer. A cluster has
 * an ordered list of them: a Service takes the first one that gives an address and port a client can
 * connect to (pod IPs only when every Service port reaches the same port number on the pods).
 */
public enum Reachability {
    /**
     * Pod IPs are routed across the mesh (BGP/top-of-rack, IPIP or VXLAN overlays): answer endpoint IPs, for a
     * ClusterIP Service only when its targetPorts equal its ports.
     */
    POD,
    /** Service CIDRs are advertised (e.g. Calico BGP service advertisement): answer the Service's clusterIPs. */
    CLUSTER_IP,
    /** Nothing internal is routable: answer the Service's LoadBalancer ingress IPs. */
    LOAD_BALANCER;

    /** The name used in config, on the status page and in reasons: {@code pod}, {@code clusterIP}, {@code loadBalancer}. */
    public String configName() {
        return switch (this) {
            case POD -> "pod";
            case CLUSTER_IP -> "clusterIP";
            case LOAD_BALANCER -> "loadBalancer";
        };
    }
}
