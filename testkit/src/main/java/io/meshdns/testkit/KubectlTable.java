package io.meshdns.testkit;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PartialObjectMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Table;
import io.fabric8.kubernetes.api.model.TableColumnDefinition;
import io.fabric8.kubernetes.api.model.TableRow;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.runtime.RawExtension;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code Table} (meta.k8s.io/v1) a Kubernetes API server answers {@code kubectl get} with when it asks for one
 * ({@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...}): kubectl prints the server's columns, and
 * without a Table only NAME and AGE. The columns and cells are those of the API server's printers
 * (kubernetes/pkg/printers/internalversion/printers.go) for the kinds the demo holds: Service, EndpointSlice,
 * Namespace, ConfigMap. As the API server does, every column is filled (its printers run with {@code Wide}),
 * and kubectl hides those of priority 1 unless {@code -o wide}. Any other kind gets no Table: the plain
 * object, which kubectl prints as NAME and AGE.
 */
final class KubectlTable {
    private KubectlTable() {}

    /** The columns of each resource the demo holds, as the API server defines them. */
    private static final Map<String, List<TableColumnDefinition>> COLUMNS = Map.of(
            "services",
                    List.of(
                            name(),
                            column("Type", "Type determines how the Service is exposed."),
                            column(
                                    "Cluster-IP",
                                    "The IP address of the service, usually assigned by the control plane."),
                            column(
                                    "External-IP",
                                    "IP addresses for which nodes in the cluster also accept traffic for this service."),
                            column("Port(s)", "The list of ports that are exposed by this service."),
                            age(),
                            wideColumn(
                                    "Selector",
                                    "Route service traffic to pods with label keys and values matching this selector.")),
            "endpointslices",
                    List.of(
                            name(),
                            column("AddressType", "The type of address carried by this EndpointSlice."),
                            column("Ports", "The network ports exposed by each endpoint in this slice."),
                            column("Endpoints", "A list of unique endpoints in this slice."),
                            age()),
            "namespaces", List.of(name(), column("Status", "The status of the namespace"), age()),
            "configmaps", List.of(name(), column("Data", "Data contains the configuration data."), age()));

    /** Whether the request asks for a Table ({@code as=Table} in its Accept header). */
    static boolean wanted(String accept) {
        return accept != null && accept.contains("as=Table");
    }

    /**
     * The Table of {@code json} (an object, or a list of objects, of {@code resource}), or {@code null} when the
     * resource is not one of the demo's kinds. {@code includeObject} is the request's parameter: {@code None},
     * {@code Object}, or by default {@code Metadata} (each row carries the object's metadata, which kubectl
     * needs for {@code -A}'s NAMESPACE column).
     */
    static String of(String resource, String json, String includeObject, Instant now) {
        List<TableColumnDefinition> columns = COLUMNS.get(resource);
        if (columns == null) {
            return null;
        }
        KubernetesResource parsed = Serialization.unmarshal(json);
        List<HasMetadata> objects;
        ListMeta listMeta;
        if (parsed instanceof KubernetesResourceList<?> list) {
            objects = new ArrayList<>(list.getItems());
            listMeta = list.getMetadata();
        } else if (parsed instanceof HasMetadata one) {
            objects = List.of(one);
            listMeta = new ListMeta();
            listMeta.setResourceVersion(one.getMetadata().getResourceVersion());
        } else {
            return null;
        }
        List<TableRow> rows = new ArrayList<>(objects.size());
        for (HasMetadata o : objects) {
            List<Object> cells = cells(o, now);
            if (cells == null) {
                return null;
            }
            var row = new TableRow();
            row.setCells(cells);
            row.setObject(rowObject(o, includeObject));
            rows.add(row);
        }
        var table = new Table();
        table.setApiVersion("meta.k8s.io/v1");
        table.setKind("Table");
        table.setMetadata(listMeta);
        table.setColumnDefinitions(columns);
        table.setRows(rows);
        return Serialization.asJson(table);
    }

    private static RawExtension rowObject(HasMetadata o, String includeObject) {
        if ("None".equals(includeObject)) {
            return null;
        }
        if ("Object".equals(includeObject)) {
            return new RawExtension(o);
        }
        var metadata = new PartialObjectMetadata();
        metadata.setApiVersion("meta.k8s.io/v1");
        metadata.setKind("PartialObjectMetadata");
        metadata.setMetadata(o.getMetadata());
        return new RawExtension(metadata);
    }

    private static List<Object> cells(HasMetadata o, Instant now) {
        String name = o.getMetadata().getName();
        String age = age(o.getMetadata().getCreationTimestamp(), now);
        if (o instanceof Service s) {
            var spec = s.getSpec();
            String clusterIp =
                    spec.getClusterIPs() == null || spec.getClusterIPs().isEmpty()
                            ? "<none>"
                            : spec.getClusterIPs().get(0);
            String ports = ports(spec.getPorts());
            return List.of(
                    name,
                    spec.getType() == null ? "" : spec.getType(),
                    clusterIp,
                    externalIp(s),
                    ports.isEmpty() ? "<none>" : ports,
                    age,
                    labels(spec.getSelector()));
        }
        if (o instanceof EndpointSlice e) {
            List<String> ports = new ArrayList<>();
            for (EndpointPort p : e.getPorts() == null ? List.<EndpointPort>of() : e.getPorts()) {
                ports.add(p.getPort() != null ? String.valueOf(p.getPort()) : p.getName() != null ? p.getName() : "*");
            }
            List<String> addresses = new ArrayList<>();
            for (Endpoint endpoint : e.getEndpoints() == null ? List.<Endpoint>of() : e.getEndpoints()) {
                addresses.addAll(endpoint.getAddresses());
            }
            return List.of(
                    name,
                    e.getAddressType() == null ? "" : e.getAddressType(),
                    firstThree(ports),
                    firstThree(addresses),
                    age);
        }
        if (o instanceof Namespace n) {
            String phase = n.getStatus() == null || n.getStatus().getPhase() == null
                    ? ""
                    : n.getStatus().getPhase();
            return List.of(name, phase, age);
        }
        if (o instanceof ConfigMap c) {
            long data = (c.getData() == null ? 0 : c.getData().size())
                    + (c.getBinaryData() == null ? 0 : c.getBinaryData().size());
            return List.of(name, data, age);
        }
        return null;
    }

    /** {@code 80/TCP}, {@code 80:30080/TCP} with a node port; comma-separated. Protocol defaults to TCP, as in the API. */
    private static String ports(List<ServicePort> ports) {
        List<String> pieces = new ArrayList<>();
        for (ServicePort p : ports == null ? List.<ServicePort>of() : ports) {
            String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
            pieces.add(
                    p.getNodePort() != null && p.getNodePort() > 0
                            ? p.getPort() + ":" + p.getNodePort() + "/" + protocol
                            : p.getPort() + "/" + protocol);
        }
        return String.join(",", pieces);
    }

    private static String externalIp(Service s) {
        var spec = s.getSpec();
        List<String> external = spec.getExternalIPs() == null ? List.of() : spec.getExternalIPs();
        String type = spec.getType() == null ? "" : spec.getType();
        switch (type) {
            case "ClusterIP", "NodePort" -> {
                return external.isEmpty() ? "<none>" : String.join(",", external);
            }
            case "LoadBalancer" -> {
                List<String> all = new ArrayList<>();
                if (s.getStatus() != null
                        && s.getStatus().getLoadBalancer() != null
                        && s.getStatus().getLoadBalancer().getIngress() != null) {
                    for (LoadBalancerIngress i : s.getStatus().getLoadBalancer().getIngress()) {
                        if (i.getIp() != null && !i.getIp().isEmpty()) {
                            all.add(i.getIp());
                        } else if (i.getHostname() != null && !i.getHostname().isEmpty()) {
                            all.add(i.getHostname());
                        }
                    }
                }
                all.addAll(external);
                return all.isEmpty() ? "<pending>" : String.join(",", all);
            }
            case "ExternalName" -> {
                return spec.getExternalName();
            }
            default -> {
                return "<unknown>";
            }
        }
    }

    /** {@code k=v,k2=v2} sorted by key, {@code <none>} when empty (labels.FormatLabels). */
    private static String labels(Map<String, String> selector) {
        if (selector == null || selector.isEmpty()) {
            return "<none>";
        }
        List<String> pairs = new ArrayList<>();
        new TreeMap<>(selector).forEach((k, v) -> pairs.add(k + "=" + v));
        return String.join(",", pairs);
    }

    /** At most three, then {@code + N more...}; {@code <unset>} when empty (the printers' listWithMoreString). */
    private static String firstThree(List<String> items) {
        if (items.isEmpty()) {
            return "<unset>";
        }
        String shown = String.join(",", items.subList(0, Math.min(3, items.size())));
        return items.size() > 3 ? shown + " + " + (items.size() - 3) + " more..." : shown;
    }

    /** The AGE cell: the time since creation, as apimachinery's duration.HumanDuration words it. */
    static String age(String creationTimestamp, Instant now) {
        if (creationTimestamp == null || creationTimestamp.isEmpty()) {
            return "<unknown>";
        }
        try {
            return humanDuration(Duration.between(Instant.parse(creationTimestamp), now));
        } catch (DateTimeParseException e) {
            return "<unknown>";
        }
    }

    static String humanDuration(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < -1) {
            return "<invalid>";
        } else if (seconds < 0) {
            return "0s";
        } else if (seconds < 60 * 2) {
            return seconds + "s";
        }
        long minutes = d.toMinutes();
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        } else if (minutes < 60 * 3) {
            return minutes + "m";
        }
        long hours = d.toHours();
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        } else if (hours < 48) {
            return hours + "h";
        } else if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        } else if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        } else if (hours < 24 * 365 * 8) {
            long dy = hours / 24 % 365;
            return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
        }
        return hours / 24 / 365 + "y";
    }

    private static TableColumnDefinition name() {
        return definition("Name", "name", "Name must be unique within a namespace.", 0);
    }

    private static TableColumnDefinition age() {
        return column(
                "Age", "CreationTimestamp is a timestamp representing the server time when this object was created.");
    }

    private static TableColumnDefinition column(String name, String description) {
        return definition(name, "", description, 0);
    }

    private static TableColumnDefinition wideColumn(String name, String description) {
        return definition(name, "", description, 1);
    }

    private static TableColumnDefinition definition(String name, String format, String description, int priority) {
        var d = new TableColumnDefinition();
        d.setName(name);
        d.setType("string");
        d.setFormat(format);
        d.setDescription(description);
        d.setPriority(priority);
        return d;
    }
}
