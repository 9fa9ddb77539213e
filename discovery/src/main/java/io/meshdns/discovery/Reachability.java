package io.meshdns.discovery;

/** Which addresses of a cluster the other clusters of the mesh can reach, and so which ones it contributes. */
public enum Reachability {
  /** Pod IPs are routed across the mesh (BGP/top-of-rack, IPIP or VXLAN overlays): answer endpoint IPs. */
  POD,
  /** Service CIDRs are advertised (e.g. Calico BGP service advertisement): answer the Service's clusterIPs. */
  CLUSTER_IP,
  /** Nothing internal is routable: answer the Service's LoadBalancer ingress IPs. */
  LOAD_BALANCER
}
