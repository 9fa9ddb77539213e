package io.meshdns.server.transport;

import io.meshdns.server.config.UdpTransport;
import io.netty.channel.epoll.Epoll;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;

/**
 * Which UDP transport runs for the one asked for ({@link UdpTransport}), and the FFM one opened by name: its
 * classes exist only in the multi-release part of the jar ({@code META-INF/versions/22}), absent below JDK 22.
 */
public final class UdpTransportSelector {
    static final String FFM_CLASS = "io.meshdns.server.transport.FfmDatagramSockets";

    private UdpTransportSelector() {}

    /**
     * The transport that runs: {@code auto} becomes {@code ffm} where it is available, else {@code netty}.
     *
     * @throws IllegalStateException {@code ffm} asked for where it is not available, saying why
     */
    public static UdpTransport resolve(UdpTransport asked) {
        String unavailable = asked == UdpTransport.NETTY ? null : ffmUnavailable();
        if (asked == UdpTransport.FFM && unavailable != null) {
            throw new IllegalStateException(unavailable);
        }
        return asked == UdpTransport.NETTY || unavailable != null ? UdpTransport.NETTY : UdpTransport.FFM;
    }

    /** The running transport's name, as the log and the {@code meshdns_dns_udp_transport_info} metric show it. */
    static String runningName(UdpTransport running) {
        if (running == UdpTransport.FFM) {
            return "ffm";
        }
        return Epoll.isAvailable() ? "netty-epoll" : "netty-nio";
    }

    /** Why the FFM datagram path cannot run here, or {@code null} when it can. */
    public static String ffmUnavailable() {
        Runtime.Version version = Runtime.version();
        if (version.feature() < 22) {
            return "it needs JDK 22 or newer (java.lang.foreign), this is " + version;
        }
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return "it needs Linux on x86_64 or aarch64, this is " + os + " on " + arch;
        }
        try {
            return (String) ffmClass().getDeclaredMethod("unavailable").invoke(null);
        } catch (ClassNotFoundException e) {
            return "this meshdns was built on a JDK older than 22, without its FFM datagram path";
        } catch (ReflectiveOperationException | LinkageError e) {
            return "its classes do not load: " + e;
        }
    }

    /** Opens {@code sockets} SO_REUSEPORT sockets on {@code at}, each read by a thread of its own. */
    static DatagramSockets openFfm(DatagramSockets.QueryPath path, InetSocketAddress at, int sockets) throws Exception {
        try {
            return (DatagramSockets) ffmClass()
                    .getDeclaredMethod("open", DatagramSockets.QueryPath.class, InetSocketAddress.class, int.class)
                    .invoke(null, path, at, sockets);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** As {@link #openFfm(DatagramSockets.QueryPath, InetSocketAddress, int)}, {@code batch} slots of {@code slot} bytes each. */
    static DatagramSockets openFfm(
            DatagramSockets.QueryPath path, InetSocketAddress at, int sockets, int batch, int slot) throws Exception {
        try {
            return (DatagramSockets) ffmClass()
                    .getDeclaredMethod(
                            "open",
                            DatagramSockets.QueryPath.class,
                            InetSocketAddress.class,
                            int.class,
                            int.class,
                            int.class)
                    .invoke(null, path, at, sockets, batch, slot);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static Class<?> ffmClass() throws ClassNotFoundException {
        return Class.forName(FFM_CLASS, true, UdpTransportSelector.class.getClassLoader());
    }
}
