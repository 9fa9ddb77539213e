package io.meshdns.discovery;

/** A port of a Service; only named ports get SRV records. {@code name} is empty for an unnamed port. */
public record ServicePort(String name, int port, String protocol) {
    public ServicePort {
        name = name == null ? "" : name;
        protocol = protocol == null ? "TCP" : protocol;
    }
}
