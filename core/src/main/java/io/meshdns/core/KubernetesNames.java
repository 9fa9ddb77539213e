package io.meshdns.core;

/**
 * The Kubernetes label, annotation, API group and resource names meshdns reads in member clusters, defined
 * once so that the watchers, the load balancer, the demo mesh and the tests cannot drift apart.
 */
public final class KubernetesNames {
    /** The prefix of every annotation meshdns reads; informer caches keep no other annotation. */
    public static final String ANNOTATION_PREFIX = "meshdns.io/";
    /** Service annotation that exports a Service to the mesh without the MCS API ({@code "true"}). */
    public static final String EXPORT_ANNOTATION = "meshdns.io/export";
    /** Service annotation choosing the load-balancing policy of that service. */
    public static final String POLICY_ANNOTATION = "meshdns.io/lb-policy";
    /** Service annotation capping the number of answers for that service. */
    public static final String MAX_ANSWERS_ANNOTATION = "meshdns.io/max-answers";
    /** EndpointSlice label naming the Service the slice belongs to. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    /** EndpointSlice label naming the controller that manages the slice. */
    public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
    /** The value of {@link #MANAGED_BY_LABEL} set by Kubernetes's own EndpointSlice controller. */
    public static final String ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
    /** API group of the Multi-Cluster Services API (KEP-1645): ServiceExport, ServiceImport. */
    public static final String MCS_GROUP = "multicluster.x-k8s.io";
    /** The MCS API version meshdns watches. */
    public static final String MCS_VERSION = "v1alpha1";
    /** API group of ClusterProperty (KEP-2149), whose {@code id.k8s.io} names the cluster. */
    public static final String ABOUT_GROUP = "about.k8s.io";
    /** The ClusterProperty API version meshdns reads. */
    public static final String ABOUT_VERSION = "v1alpha1";

    /** MCS ServiceExport: the Service of the same namespace/name is exported to the mesh. */
    public static final ApiResource SERVICE_EXPORT =
            new ApiResource(MCS_GROUP, MCS_VERSION, "ServiceExport", "serviceexports", true);
    /** MCS ServiceImport: its {@code spec.ips} are the ClusterSetIPs of the service in that cluster. */
    public static final ApiResource SERVICE_IMPORT =
            new ApiResource(MCS_GROUP, MCS_VERSION, "ServiceImport", "serviceimports", true);
    /** The {@code type} of a ServiceImport that carries ClusterSetIPs. */
    public static final String CLUSTER_SET_IP_TYPE = "ClusterSetIP";
    /** KEP-2149 ClusterProperty, cluster-scoped. */
    public static final ApiResource CLUSTER_PROPERTY =
            new ApiResource(ABOUT_GROUP, ABOUT_VERSION, "ClusterProperty", "clusterproperties", false);
    /** The ClusterProperty whose {@code spec.value} is the cluster's own id (KEP-2149). */
    public static final String CLUSTER_ID_PROPERTY = "id.k8s.io";

    private KubernetesNames() {}

    /**
     * A custom resource meshdns reads as a generic resource (no client library has model classes for the MCS
     * and ClusterProperty APIs): what a client needs to address it.
     *
     * @param plural the resource name in API paths, lower case
     * @param namespaced whether its objects live in namespaces (else cluster-scoped)
     */
    public record ApiResource(String group, String version, String kind, String plural, boolean namespaced) {
        /** The {@code apiVersion} of its objects: {@code <group>/<version>}. */
        public String apiVersion() {
            return group + "/" + version;
        }

        /** The name of its CustomResourceDefinition: {@code <plural>.<group>}. */
        public String crdName() {
            return plural + "." + group;
        }
    }
}
