package io.meshdns.discovery;

import java.util.Objects;

/** A global service's identity: Services of the same namespace and name in different clusters are one. */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {
    public ServiceKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    public static ServiceKey of(String namespace, String name) {
        return new ServiceKey(namespace, name);
    }

    /** {@code namespace/name}, the key of the Service in an informer's store (fabric8's metaNamespaceKeyFunc). */
    String storeKey() {
        return storeKey(namespace, name);
    }

    /** The store key of the object {@code name} in {@code namespace}. */
    static String storeKey(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Parses {@link #storeKey() namespace/name}, the key format of informer stores. */
    static ServiceKey parse(String key) {
        int slash = key.indexOf('/');
        return of(key.substring(0, slash), key.substring(slash + 1));
    }

    @Override
    public int compareTo(ServiceKey o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
