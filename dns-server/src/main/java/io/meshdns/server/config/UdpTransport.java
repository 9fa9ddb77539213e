package io.meshdns.server.config;

import java.util.Locale;

/**
 * Which sockets serve DNS over UDP ({@code dns.udpTransport}, {@code --udp-transport}): {@code ffm}, meshdns's
 * own datagram path through {@code java.lang.foreign} ({@code recvmmsg}/{@code sendmmsg} batches into
 * preallocated off-heap slots, JDK 22+ on Linux x86_64/aarch64 with native access enabled); {@code netty},
 * Netty's epoll sockets (NIO where epoll is missing); {@code auto}, the first where the runtime allows it. What
 * runs is decided by the transport package ({@code UdpTransportSelector}).
 */
public enum UdpTransport {
    AUTO,
    NETTY,
    FFM;

    /** The value as written in the config or on the command line. */
    public final String key = name().toLowerCase(Locale.ROOT);

    /** {@code auto}, {@code netty} or {@code ffm}, as written in the config or on the command line. */
    static UdpTransport of(String key, String value) {
        for (UdpTransport t : values()) {
            if (t.key.equals(value.trim())) {
                return t;
            }
        }
        throw new InvalidValue(key, "must be auto, netty or ffm, was '" + value + "'");
    }

    /** Reads {@code dns.udpTransport}. */
    static final class Value extends ConfigValues.Scalar<UdpTransport> {
        private static final long serialVersionUID = 1L;

        Value() {
            super(UdpTransport.class, UdpTransport::of);
        }
    }
}
