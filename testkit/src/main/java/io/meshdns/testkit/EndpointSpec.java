package io.meshdns.testkit;

/** One endpoint of an EndpointSlice: an IP, whether its pod is ready, and its hostname (headless services) or null. */
public record EndpointSpec(String ip, boolean ready, String hostname) {
    public EndpointSpec(String ip, boolean ready) {
        this(ip, ready, null);
    }
}
