package io.meshdns.testkit;

import static io.meshdns.core.KubernetesNames.CLUSTER_PROPERTY;
import static io.meshdns.core.KubernetesNames.CLUSTER_SET_IP_TYPE;
import static io.meshdns.core.KubernetesNames.ENDPOINTSLICE_CONTROLLER;
import static io.meshdns.core.KubernetesNames.EXPORT_ANNOTATION;
import static io.meshdns.core.KubernetesNames.MANAGED_BY_LABEL;
import static io.meshdns.core.KubernetesNames.SERVICE_EXPORT;
import static io.meshdns.core.KubernetesNames.SERVICE_IMPORT;
import static io.meshdns.core.KubernetesNames.SERVICE_NAME_LABEL;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshdns.core.KubernetesNames.ApiResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Kubernetes objects meshdns reads in a member cluster, as their controllers write them: Services,
 * EndpointSlices, the MCS ServiceExport and ServiceImport (and their CRDs), ClusterProperty.
 */
public final class MeshObjects {
    /** ServiceExports, as a generic resource (fabric8 has no model class for the MCS API). */
    public static final ResourceDefinitionContext SERVICE_EXPORTS = context(SERVICE_EXPORT);
    /** ServiceImports, as a generic resource. */
    public static final ResourceDefinitionContext SERVICE_IMPORTS = context(SERVICE_IMPORT);
    /** ClusterProperties (KEP-2149), cluster-scoped. */
    public static final ResourceDefinitionContext CLUSTER_PROPERTIES = context(CLUSTER_PROPERTY);

    private MeshObjects() {}

    /** The resource as meshdns's watchers address it: the same names from {@code KubernetesNames}. */
    private static ResourceDefinitionContext context(ApiResource r) {
        return new ResourceDefinitionContext.Builder()
                .withGroup(r.group())
                .withVersion(r.version())
                .withKind(r.kind())
                .withPlural(r.plural())
                .withNamespaced(r.namespaced())
                .build();
    }

    public static Namespace namespace(String name) {
        return new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewStatus()
                .withPhase("Active")
                .endStatus()
                .build(); // as the API server stores a new namespace
    }

    /**
     * A ClusterIP Service selecting {@code app: <name>} with one TCP port {@code http} 80 (targetPort unset, so
     * 80), exported by the {@code meshdns.io/export} annotation when {@code exported}.
     */
    public static Service service(String namespace, String name, String clusterIp, boolean exported) {
        var b = new ServiceBuilder().withNewMetadata().withNamespace(namespace).withName(name);
        if (exported) {
            b.addToAnnotations(EXPORT_ANNOTATION, "true");
        }
        return b.endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .addToSelector("app", name)
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withProtocol("TCP")
                .endPort()
                .endSpec()
                .build();
    }

    /** Creates the exported {@link #service} in {@code client}'s cluster. */
    public static void exported(KubernetesClient client, String namespace, String name, String clusterIp) {
        client.services().resource(service(namespace, name, clusterIp, true)).create();
    }

    /** The service with its first port's targetPort set to {@code targetPort}. */
    public static Service withTargetPort(Service service, int targetPort) {
        return withTargetPort(service, new IntOrString(targetPort));
    }

    /** The service with its first port's targetPort set to a number or a port name ({@code null}: unset). */
    public static Service withTargetPort(Service service, IntOrString targetPort) {
        return new ServiceBuilder(service)
                .editSpec()
                .editFirstPort()
                .withTargetPort(targetPort)
                .endPort()
                .endSpec()
                .build();
    }

    /** The service made headless ({@code clusterIP: None}) with one named TCP port. */
    public static Service headless(Service service, String portName, int port) {
        return new ServiceBuilder(service)
                .editSpec()
                .withClusterIP("None")
                .withClusterIPs("None")
                .withPorts(new ServicePortBuilder()
                        .withName(portName)
                        .withPort(port)
                        .withProtocol("TCP")
                        .build())
                .endSpec()
                .build();
    }

    /** Pods {@code <prefix><first>} ... {@code <prefix><first + count - 1>}, all ready or all not. */
    public static List<EndpointSpec> pods(String prefix, int first, int count, boolean ready) {
        List<EndpointSpec> out = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            out.add(new EndpointSpec(prefix + i, ready));
        }
        return out;
    }

    /** Ready pods with these IPs. */
    public static List<EndpointSpec> ready(String... ips) {
        return java.util.Arrays.stream(ips)
                .map(ip -> new EndpointSpec(ip, true))
                .toList();
    }

    /** An IPv4 EndpointSlice of a {@link #service} whose port {@code http} 80 targets 80. */
    public static EndpointSlice sliceOf(
            String namespace, String service, String sliceName, List<EndpointSpec> endpoints) {
        return sliceOf(namespace, service, sliceName, "http", 80, endpoints);
    }

    /**
     * An IPv4 EndpointSlice whose one port is the Service port {@code portName} resolved to {@code targetPort}
     * (what the controller writes: the Service port's name, the pods' port number).
     */
    public static EndpointSlice sliceOf(
            String namespace,
            String service,
            String sliceName,
            String portName,
            int targetPort,
            List<EndpointSpec> endpoints) {
        return sliceOf(namespace, service, sliceName, "IPv4", portName, targetPort, endpoints);
    }

    /**
     * An EndpointSlice of {@code addressType} (IPv4, IPv6, FQDN), labelled as the EndpointSlice controller labels
     * them; a ready endpoint is also serving, none is terminating.
     */
    public static EndpointSlice sliceOf(
            String namespace,
            String service,
            String sliceName,
            String addressType,
            String portName,
            int targetPort,
            List<EndpointSpec> endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(sliceName)
                .addToLabels(SERVICE_NAME_LABEL, service)
                .addToLabels(MANAGED_BY_LABEL, ENDPOINTSLICE_CONTROLLER)
                .endMetadata()
                .withAddressType(addressType)
                .addNewPort()
                .withName(portName)
                .withPort(targetPort)
                .withProtocol("TCP")
                .endPort()
                .withEndpoints(endpoints.stream()
                        .map(e -> new EndpointBuilder()
                                .withAddresses(e.ip())
                                .withHostname(e.hostname())
                                .withNewConditions()
                                .withReady(e.ready())
                                .withServing(e.ready())
                                .withTerminating(false)
                                .endConditions()
                                .build())
                        .toList())
                .build();
    }

    /** Creates or replaces the {@link #sliceOf IPv4 slice} with port {@code http} 80 in {@code client}'s cluster. */
    public static EndpointSlice slice(
            KubernetesClient client, String namespace, String service, String sliceName, List<EndpointSpec> endpoints) {
        return slice(client, namespace, service, sliceName, "http", 80, endpoints);
    }

    /** As {@link #slice}, for a Service port {@code portName} whose pods listen on {@code targetPort}. */
    public static EndpointSlice slice(
            KubernetesClient client,
            String namespace,
            String service,
            String sliceName,
            String portName,
            int targetPort,
            List<EndpointSpec> endpoints) {
        return client.discovery()
                .v1()
                .endpointSlices()
                .resource(sliceOf(namespace, service, sliceName, portName, targetPort, endpoints))
                .createOr(existing -> existing.update());
    }

    /**
     * The Corefile kubeadm installs (its CoreDNS addon, Kubernetes 1.32, cluster domain cluster.local), as the
     * {@code Corefile} key of ConfigMap kube-system/coredns holds it.
     */
    public static final String KUBEADM_COREFILE = """
      .:53 {
          errors
          health {
             lameduck 5s
          }
          ready
          kubernetes cluster.local in-addr.arpa ip6.arpa {
             pods insecure
             fallthrough in-addr.arpa ip6.arpa
             ttl 30
          }
          prometheus :9153
          forward . /etc/resolv.conf {
             max_concurrent 1000
          }
          cache 30 {
             disable success cluster.local
             disable denial cluster.local
          }
          loop
          reload
          loadbalance
      }
      """;

    /** ConfigMap kube-system/coredns as kubeadm creates it: the Corefile CoreDNS reads ({@link #KUBEADM_COREFILE}). */
    public static ConfigMap corednsConfigMap() {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName("coredns")
                .withNamespace("kube-system")
                .endMetadata()
                .withData(Map.of("Corefile", KUBEADM_COREFILE))
                .build();
    }

    /** A ServiceExport of the Service {@code namespace/name}. */
    public static GenericKubernetesResource serviceExport(String namespace, String name) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(SERVICE_EXPORT.apiVersion())
                .withKind(SERVICE_EXPORT.kind())
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .endMetadata()
                .build();
    }

    /** A ServiceImport of type ClusterSetIP with these IPs and one TCP port {@code http} 80. */
    public static GenericKubernetesResource serviceImport(String namespace, String name, List<String> ips) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(SERVICE_IMPORT.apiVersion())
                .withKind(SERVICE_IMPORT.kind())
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .endMetadata()
                .addToAdditionalProperties(
                        "spec",
                        Map.of(
                                "type",
                                CLUSTER_SET_IP_TYPE,
                                "ips",
                                ips,
                                "ports",
                                List.of(Map.of("name", "http", "port", 80, "protocol", "TCP"))))
                .build();
    }

    /** A ClusterProperty, e.g. {@code id.k8s.io} naming the cluster. */
    public static GenericKubernetesResource clusterProperty(String name, String value) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(CLUSTER_PROPERTY.apiVersion())
                .withKind(CLUSTER_PROPERTY.kind())
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToAdditionalProperties("spec", Map.of("value", value))
                .build();
    }

    /** The CRD of ServiceExport, as {@code kubectl apply -f multicluster.x-k8s.io_serviceexports.yaml} installs it. */
    public static CustomResourceDefinition serviceExportCrd() {
        return crd(SERVICE_EXPORT);
    }

    /** The CRD of ServiceImport. */
    public static CustomResourceDefinition serviceImportCrd() {
        return crd(SERVICE_IMPORT);
    }

    private static CustomResourceDefinition crd(ApiResource resource) {
        String kind = resource.kind();
        return new CustomResourceDefinitionBuilder()
                .withNewMetadata()
                .withName(resource.crdName())
                .endMetadata()
                .withNewSpec()
                .withGroup(resource.group())
                .withScope(resource.namespaced() ? "Namespaced" : "Cluster")
                .withNewNames()
                .withKind(kind)
                .withPlural(resource.plural())
                .withSingular(kind.toLowerCase(Locale.ROOT))
                .withListKind(kind + "List")
                .endNames()
                .addNewVersion()
                .withName(resource.version())
                .withServed(true)
                .withStorage(true)
                .withNewSchema()
                .withNewOpenAPIV3Schema()
                .withType("object")
                .withXKubernetesPreserveUnknownFields(true)
                .endOpenAPIV3Schema()
                .endSchema()
                .endVersion()
                .endSpec()
                .build();
    }
}
