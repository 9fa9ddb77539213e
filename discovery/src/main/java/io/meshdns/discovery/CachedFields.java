package io.meshdns.discovery;

import static io.meshdns.core.KubernetesNames.ANNOTATION_PREFIX;
import static io.meshdns.core.KubernetesNames.SERVICE_NAME_LABEL;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the informer caches keep of each object: only the fields {@link ServiceMapper} and the watchers read,
 * in copies that share what repeats. A cluster's Services and EndpointSlices stay in memory for as long as it
 * is watched, and the API server's objects carry much that DNS never uses ({@code managedFields}, the
 * {@code last-applied-configuration} annotation, selectors, uids, owner references, topology hints); at
 * 200,000 endpoints the full objects were most of the heap.
 *
 * <p>Kept: metadata {@code namespace}, {@code name}, {@code resourceVersion} (fabric8 compares it to tell an
 * update from a replay; warnings name it), {@code creationTimestamp} of Services and ServiceExports (it dates
 * an export), the {@code meshdns.io/} annotations of Services (nothing else reads annotations) and the
 * {@code kubernetes.io/service-name} label of EndpointSlices (the index by service); of a Service's spec its
 * type, cluster IPs, ports (name, port, protocol, targetPort), {@code publishNotReadyAddresses},
 * {@code externalName}, {@code trafficDistribution} and {@code internalTrafficPolicy}, and the IPs and
 * hostnames of its load balancer ingress; of an EndpointSlice its address type, ports (name, port, protocol)
 * and each endpoint's addresses, conditions, hostname, node name, zone and target (kind, namespace, name);
 * of a ServiceImport its {@code spec.type} and {@code spec.ips}.
 *
 * <p>Shared: strings that repeat across objects (namespaces, service names, node names, zones, hostnames,
 * protocols, kinds) are interned, each combination of endpoint conditions is one object, and no copy holds
 * fabric8's per-object empty maps and lists. A field that is absent stays absent ({@code null}), so the
 * mapper sees the same object shape, and its output is the same as from the full object.
 *
 * <p>The copies are never modified: every reader treats cached objects as read-only.
 */
final class CachedFields {
    // An instance of its own (not Map.of()'s shared one): isCopy tells the copies made here by it.
    private static final Map<String, Object> NONE = Collections.unmodifiableMap(new LinkedHashMap<>(0));
    // One object per (ready, serving, terminating), each true, false or unset: 27 at most.
    private static final EndpointConditions[] CONDITIONS = new EndpointConditions[27];

    static {
        Boolean[] values = {null, Boolean.FALSE, Boolean.TRUE};
        for (int i = 0; i < 27; i++) {
            EndpointConditions c = new EndpointConditions(values[i / 9], values[i / 3 % 3], values[i % 3]);
            c.setAdditionalProperties(NONE);
            CONDITIONS[i] = c;
        }
    }

    private CachedFields() {}

    /** Whether {@code o} is a copy made here (each has the one shared empty map of extra properties). */
    static boolean isCopy(HasMetadata o) {
        return o instanceof EndpointSlice e && e.getAdditionalProperties() == NONE
                || o instanceof Service s && s.getAdditionalProperties() == NONE;
    }

    /** The cached copy of a Service: {@code full} itself when it is one. */
    static Service service(Service full) {
        if (isCopy(full)) {
            return full; // decoded as a copy already (CachedFieldsModule), or an informer's seed
        }
        Service copy = new Service();
        copy.setAdditionalProperties(NONE);
        copy.setMetadata(metadata(full.getMetadata(), true, false));
        ServiceSpec spec = full.getSpec();
        if (spec != null) {
            ServiceSpec s = new ServiceSpec();
            s.setType(intern(spec.getType()));
            s.setClusterIP(spec.getClusterIP());
            s.setClusterIPs(copyOf(spec.getClusterIPs(), Function.identity()));
            s.setPorts(copyOf(spec.getPorts(), CachedFields::servicePort));
            s.setPublishNotReadyAddresses(spec.getPublishNotReadyAddresses());
            s.setExternalName(spec.getExternalName());
            s.setTrafficDistribution(intern(spec.getTrafficDistribution()));
            s.setInternalTrafficPolicy(intern(spec.getInternalTrafficPolicy()));
            s.setExternalIPs(null);
            s.setIpFamilies(null);
            s.setLoadBalancerSourceRanges(null);
            s.setSelector(null);
            s.setAdditionalProperties(NONE);
            copy.setSpec(s);
        }
        ServiceStatus status = full.getStatus();
        if (status != null
                && status.getLoadBalancer() != null
                && status.getLoadBalancer().getIngress() != null
                && !status.getLoadBalancer().getIngress().isEmpty()) {
            LoadBalancerStatus lb = new LoadBalancerStatus();
            lb.setIngress(copyOf(status.getLoadBalancer().getIngress(), CachedFields::ingress));
            lb.setAdditionalProperties(NONE);
            ServiceStatus st = new ServiceStatus();
            st.setConditions(null);
            st.setLoadBalancer(lb);
            st.setAdditionalProperties(NONE);
            copy.setStatus(st);
        } else {
            copy.setStatus(null);
        }
        return copy;
    }

    /**
     * The cached copy of an EndpointSlice. When every endpoint has exactly one address written as an IPv4
     * address in its canonical text (what the EndpointSlice controller writes), the endpoints are packed into
     * arrays ({@link PackedEndpointSlice}): a few bytes per endpoint instead of three objects.
     */
    static EndpointSlice endpointSlice(EndpointSlice full) {
        if (isCopy(full)) {
            return full;
        }
        List<Endpoint> endpoints = full.getEndpoints();
        int[] ipv4 = endpoints == null ? null : canonicalIpv4(endpoints);
        EndpointSlice copy = ipv4 == null ? new EndpointSlice() : new PackedEndpointSlice(endpoints, ipv4);
        copy.setAdditionalProperties(NONE);
        copy.setMetadata(metadata(full.getMetadata(), false, true));
        copy.setAddressType(intern(full.getAddressType()));
        copy.setPorts(copyOf(full.getPorts(), CachedFields::endpointPort));
        copy.setEndpoints(ipv4 == null ? copyOf(endpoints, CachedFields::endpoint) : null);
        return copy;
    }

    /**
     * The one IPv4 address of each endpoint as an int, or {@code null} when an endpoint is missing, has no or
     * several addresses, or an address that is not IPv4 in canonical dotted-quad text (which could not be
     * written back exactly as it came).
     */
    private static int[] canonicalIpv4(List<Endpoint> endpoints) {
        int[] out = new int[endpoints.size()];
        for (int i = 0; i < out.length; i++) {
            Endpoint e = endpoints.get(i);
            if (e == null || e.getAddresses() == null || e.getAddresses().size() != 1) {
                return null;
            }
            String text = e.getAddresses().get(0);
            long value = text == null ? -1 : parseIpv4(text);
            if (value < 0) {
                return null;
            }
            out[i] = (int) value;
        }
        return out;
    }

    /** A dotted quad without leading zeros, as an unsigned 32-bit value, else -1. */
    static long parseIpv4(String text) {
        long value = 0;
        int octets = 0;
        int i = 0;
        while (i < text.length()) {
            int start = i;
            int octet = 0;
            while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9' && i - start < 3) {
                octet = octet * 10 + (text.charAt(i) - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || octet > 255 || (digits > 1 && text.charAt(start) == '0')) {
                return -1;
            }
            value = value << 8 | octet;
            octets++;
            if (i == text.length()) {
                break;
            }
            if (text.charAt(i) != '.' || octets == 4) {
                return -1;
            }
            i++;
            if (i == text.length()) {
                return -1;
            }
        }
        return octets == 4 ? value : -1;
    }

    static String ipv4Text(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
    }

    /**
     * An EndpointSlice whose endpoints are kept in arrays, one entry per endpoint, and handed out as fabric8
     * objects built on each {@link #getEndpoints()} (the publisher thread reads a slice once per rebuild of its
     * service): the same addresses (the canonical text they came in), conditions, hostnames, node names,
     * zones and targets.
     */
    static final class PackedEndpointSlice extends EndpointSlice {
        private final int[] addresses;
        private final byte[] conditions; // index into CONDITIONS, or -1: no conditions
        private final String[] hostnames; // null when no endpoint has one, likewise below
        private final String[] nodeNames;
        private final String[] zones;
        private final ObjectReference[] targetRefs;

        private PackedEndpointSlice(List<Endpoint> endpoints, int[] addresses) {
            int n = endpoints.size();
            this.addresses = addresses;
            this.conditions = new byte[n];
            String[] hostnames = new String[n];
            String[] nodeNames = new String[n];
            String[] zones = new String[n];
            ObjectReference[] targetRefs = new ObjectReference[n];
            boolean anyHostname = false;
            boolean anyNode = false;
            boolean anyZone = false;
            boolean anyTarget = false;
            for (int i = 0; i < n; i++) {
                Endpoint e = endpoints.get(i);
                EndpointConditions c = e.getConditions();
                conditions[i] = (byte) (c == null ? -1 : conditionsIndex(c));
                anyHostname |= (hostnames[i] = intern(e.getHostname())) != null;
                anyNode |= (nodeNames[i] = intern(e.getNodeName())) != null;
                anyZone |= (zones[i] = intern(e.getZone())) != null;
                anyTarget |= (targetRefs[i] = targetRef(e.getTargetRef())) != null;
            }
            this.hostnames = anyHostname ? hostnames : null;
            this.nodeNames = anyNode ? nodeNames : null;
            this.zones = anyZone ? zones : null;
            this.targetRefs = anyTarget ? targetRefs : null;
        }

        @Override
        public List<Endpoint> getEndpoints() {
            Endpoint[] out = new Endpoint[addresses.length];
            for (int i = 0; i < out.length; i++) {
                Endpoint e = new Endpoint();
                e.setAddresses(Collections.singletonList(ipv4Text(addresses[i])));
                e.setConditions(conditions[i] < 0 ? null : CONDITIONS[conditions[i]]);
                e.setDeprecatedTopology(null);
                e.setHostname(hostnames == null ? null : hostnames[i]);
                e.setNodeName(nodeNames == null ? null : nodeNames[i]);
                e.setZone(zones == null ? null : zones[i]);
                e.setTargetRef(targetRefs == null ? null : targetRefs[i]);
                out[i] = e;
            }
            return List.of(out);
        }
    }

    /** The cached copy of a ServiceExport: that it exists, and since when. */
    static GenericKubernetesResource serviceExport(GenericKubernetesResource full) {
        GenericKubernetesResource copy = new GenericKubernetesResource();
        copy.setApiVersion(intern(full.getApiVersion()));
        copy.setKind(intern(full.getKind()));
        copy.setMetadata(metadata(full.getMetadata(), true, false));
        copy.setAdditionalProperties(NONE);
        return copy;
    }

    /** The cached copy of a ServiceImport: its type and ClusterSetIPs. */
    static GenericKubernetesResource serviceImport(GenericKubernetesResource full) {
        GenericKubernetesResource copy = new GenericKubernetesResource();
        copy.setApiVersion(intern(full.getApiVersion()));
        copy.setKind(intern(full.getKind()));
        copy.setMetadata(metadata(full.getMetadata(), false, false));
        Map<String, Object> kept = new LinkedHashMap<>();
        Object spec = full.getAdditionalProperties() == null
                ? null
                : full.getAdditionalProperties().get("spec");
        if (spec instanceof Map<?, ?> m) {
            Map<String, Object> s = new LinkedHashMap<>();
            if (m.containsKey("type")) {
                s.put("type", m.get("type"));
            }
            if (m.containsKey("ips")) {
                s.put("ips", m.get("ips"));
            }
            kept.put("spec", Collections.unmodifiableMap(s));
        } else if (spec != null) {
            kept.put("spec", spec);
        }
        copy.setAdditionalProperties(kept.isEmpty() ? NONE : Collections.unmodifiableMap(kept));
        return copy;
    }

    private static ObjectMeta metadata(ObjectMeta full, boolean created, boolean serviceLabel) {
        if (full == null) {
            return null;
        }
        ObjectMeta m = new ObjectMeta();
        m.setNamespace(intern(full.getNamespace()));
        m.setName(intern(full.getName()));
        m.setResourceVersion(full.getResourceVersion());
        if (created) {
            m.setCreationTimestamp(full.getCreationTimestamp());
        }
        m.setAnnotations(created && full.getAnnotations() != null ? meshdnsAnnotations(full.getAnnotations()) : null);
        String service =
                serviceLabel && full.getLabels() != null ? full.getLabels().get(SERVICE_NAME_LABEL) : null;
        m.setLabels(service == null ? null : Map.of(SERVICE_NAME_LABEL, intern(service)));
        m.setFinalizers(null);
        m.setManagedFields(null);
        m.setOwnerReferences(null);
        m.setAdditionalProperties(NONE);
        return m;
    }

    /** The annotations under {@code meshdns.io/} that have a value: the only ones meshdns reads. */
    private static Map<String, String> meshdnsAnnotations(Map<String, String> all) {
        Map<String, String> kept = null;
        for (var e : all.entrySet()) {
            if (e.getKey() != null && e.getValue() != null && e.getKey().startsWith(ANNOTATION_PREFIX)) {
                if (kept == null) {
                    kept = new LinkedHashMap<>(4);
                }
                kept.put(intern(e.getKey()), intern(e.getValue()));
            }
        }
        return kept == null ? null : Collections.unmodifiableMap(kept);
    }

    private static ServicePort servicePort(ServicePort p) {
        if (p == null) {
            return null;
        }
        IntOrString target = p.getTargetPort();
        ServicePort copy = new ServicePort(
                null,
                intern(p.getName()),
                null,
                p.getPort(),
                intern(p.getProtocol()),
                target == null
                        ? null
                        : target.getStrVal() != null ? new IntOrString(intern(target.getStrVal())) : target);
        copy.setAdditionalProperties(NONE);
        return copy;
    }

    private static LoadBalancerIngress ingress(LoadBalancerIngress i) {
        if (i == null) {
            return null;
        }
        LoadBalancerIngress copy = new LoadBalancerIngress(i.getHostname(), i.getIp(), null, null);
        copy.setPorts(null);
        copy.setAdditionalProperties(NONE);
        return copy;
    }

    private static EndpointPort endpointPort(EndpointPort p) {
        if (p == null) {
            return null;
        }
        EndpointPort copy = new EndpointPort(null, intern(p.getName()), p.getPort(), intern(p.getProtocol()));
        copy.setAdditionalProperties(NONE);
        return copy;
    }

    private static Endpoint endpoint(Endpoint e) {
        if (e == null) {
            return null;
        }
        Endpoint copy = new Endpoint();
        copy.setAddresses(e.getAddresses() == null ? null : copyOf(e.getAddresses(), Function.identity()));
        copy.setConditions(conditions(e.getConditions()));
        copy.setDeprecatedTopology(null);
        copy.setHostname(intern(e.getHostname()));
        copy.setNodeName(intern(e.getNodeName()));
        copy.setZone(intern(e.getZone()));
        copy.setTargetRef(targetRef(e.getTargetRef()));
        copy.setAdditionalProperties(NONE);
        return copy;
    }

    private static EndpointConditions conditions(EndpointConditions c) {
        return c == null ? null : CONDITIONS[conditionsIndex(c)];
    }

    private static int conditionsIndex(EndpointConditions c) {
        return 9 * index(c.getReady()) + 3 * index(c.getServing()) + index(c.getTerminating());
    }

    private static int index(Boolean b) {
        return b == null ? 0 : b ? 2 : 1;
    }

    private static ObjectReference targetRef(ObjectReference ref) {
        if (ref == null) {
            return null;
        }
        ObjectReference copy = new ObjectReference(
                null, null, intern(ref.getKind()), ref.getName(), intern(ref.getNamespace()), null, null);
        copy.setAdditionalProperties(NONE);
        return copy;
    }

    /**
     * An unmodifiable copy the size of its content, {@code null} elements kept (the mapper reports them), or
     * {@code null} for {@code null}: absent and empty stay apart.
     */
    private static <T> List<T> copyOf(List<T> list, Function<T, T> copy) {
        if (list == null) {
            return null;
        }
        switch (list.size()) {
            case 0:
                return List.of();
            case 1:
                return Collections.singletonList(copy.apply(list.get(0)));
            default:
                Object[] out = new Object[list.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = copy.apply(list.get(i));
                }
                @SuppressWarnings("unchecked")
                List<T> view = (List<T>) Collections.unmodifiableList(Arrays.asList(out));
                return view;
        }
    }

    /** The JVM's one copy of a string that many objects repeat; unreferenced ones are still collected. */
    private static String intern(String s) {
        return s == null ? null : s.intern();
    }
}
