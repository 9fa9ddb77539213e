package io.meshdns.server;

import io.netty.channel.epoll.Epoll;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * Which sockets serve DNS over UDP ({@code dns.udpTransport}, {@code --udp-transport}): {@code ffm}, meshdns's
 * own datagram path through {@code java.lang.foreign} ({@code recvmmsg}/{@code sendmmsg} batches into
 * preallocated off-heap slots, JDK 22+ on Linux x86_64/aarch64 with native access enabled); {@code netty},
 * Netty's epoll sockets (NIO where epoll is missing); {@code auto}, the first where the runtime allows it.
 */
enum UdpTransport {
  AUTO, NETTY, FFM;

  /** Only in the multi-release part of the jar ({@code META-INF/versions/22}): absent below JDK 22. */
  static final String FFM_CLASS = "io.meshdns.server.FfmDatagramSockets";

  final String key = name().toLowerCase(Locale.ROOT);

  /** {@code auto}, {@code netty} or {@code ffm}, as written in the config or on the command line. */
  static UdpTransport of(String key, String value) {
    for (UdpTransport t : values()) {
      if (t.key.equals(value.trim())) {
        return t;
      }
    }
    throw new InvalidValue(key, "must be auto, netty or ffm, was '" + value + "'");
  }

  /**
   * The transport that runs: {@code auto} becomes {@code ffm} where it is available, else {@code netty}.
   *
   * @throws IllegalStateException {@code ffm} asked for where it is not available, saying why
   */
  UdpTransport resolve() {
    String unavailable = this == NETTY ? null : ffmUnavailable();
    if (this == FFM && unavailable != null) {
      throw new IllegalStateException(unavailable);
    }
    return this == NETTY || unavailable != null ? NETTY : FFM;
  }

  /** The running transport's name, as the log and the {@code meshdns_dns_udp_transport_info} metric show it. */
  String runningName() {
    if (this == FFM) {
      return "ffm";
    }
    return Epoll.isAvailable() ? "netty-epoll" : "netty-nio";
  }

  /** Why the FFM datagram path cannot run here, or {@code null} when it can. */
  static String ffmUnavailable() {
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
  static DatagramSockets openFfm(DatagramSockets.QueryPath path, InetSocketAddress at, int sockets, int batch, int slot)
      throws Exception {
    try {
      return (DatagramSockets) ffmClass()
          .getDeclaredMethod("open", DatagramSockets.QueryPath.class, InetSocketAddress.class, int.class, int.class,
              int.class)
          .invoke(null, path, at, sockets, batch, slot);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static Class<?> ffmClass() throws ClassNotFoundException {
    return Class.forName(FFM_CLASS, true, UdpTransport.class.getClassLoader());
  }

  /** Reads {@code dns.udpTransport}. */
  static final class Value extends ConfigValues.Scalar<UdpTransport> {
    private static final long serialVersionUID = 1L;

    Value() {
      super(UdpTransport.class, UdpTransport::of);
    }
  }
}
