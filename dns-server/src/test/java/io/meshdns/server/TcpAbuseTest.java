package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Hostile TCP clients (connections that trickle a byte at a time, enough of them to fill every cap) do
 * not keep anyone else from being answered over TCP, which is also where truncated UDP answers go.
 */
class TcpAbuseTest {
  static final String WEB = "web.shop.svc.clusterset.local.";
  @TempDir static Path kubeconfigs;
  static TwoClusterMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    // The default caps (1000 in all, 100 per source) and a query deadline of 1 s.
    mesh = new TwoClusterMesh(kubeconfigs, ConfigLoader.parse("test", "dns:\n  tcpQueryTimeout: 1s\n"));
    mesh.exportWebFromEast();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  @Test
  void freshQueriesAreAnsweredWithinASecondWhileAThousandConnectionsTrickle() throws Exception {
    // 1,000 connections from ten addresses (100 each: the per-source cap), filling the global cap.
    List<SocketChannel> tricklers = new ArrayList<>();
    try {
      for (int source = 0; source < 10; source++) {
        InetAddress from = InetAddress.getByName("127.0.0." + (2 + source));
        for (int i = 0; i < 100; i++) {
          SocketChannel ch = SocketChannel.open();
          ch.bind(new InetSocketAddress(from, 0));
          ch.connect(mesh.dns());
          ch.configureBlocking(false);
          tricklers.add(ch);
        }
      }
      Thread trickle = new Thread(() -> trickle(tricklers, 300), "trickle");
      trickle.setDaemon(true);
      trickle.start();

      long worstMillis = 0;
      int answered = 0;
      long end = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < end) {
        long start = System.nanoTime();
        try (Socket fresh = new Socket(mesh.dns().getAddress(), mesh.dns().getPort())) {
          fresh.setSoTimeout(3000);
          assertThat(DnsClient.query(fresh, WEB, Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        }
        worstMillis = Math.max(worstMillis, (System.nanoTime() - start) / 1_000_000);
        answered++;
        Thread.sleep(50);
      }
      trickle.interrupt();
      System.out.println("fresh TCP queries answered: " + answered + ", slowest " + worstMillis + " ms");
      assertThat(worstMillis).as("the slowest fresh query, in ms").isLessThan(1000);
      long closed = tricklers.stream().filter(TcpAbuseTest::closedByServer).count();
      assertThat(closed).as("trickling connections cut off by the query deadline or the cap").isEqualTo(1000);
    } finally {
      for (SocketChannel ch : tricklers) {
        ch.close();
      }
    }
  }

  @Test
  void aQueryTricklingInIsCutOffAtTheQueryDeadlineThoughEachByteResetsTheIdleTimer() throws Exception {
    try (SocketChannel ch = SocketChannel.open(mesh.dns())) {
      ch.configureBlocking(false);
      long start = System.nanoTime();
      while (!closedByServer(ch) && System.nanoTime() - start < 5_000_000_000L) {
        try {
          ch.write(ByteBuffer.wrap(new byte[] {1})); // 0x0101: a 257-byte message that never completes
        } catch (IOException reset) {
          break;
        }
        Thread.sleep(200);
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(closedByServer(ch) || !ch.isConnected()).as("closed by the server").isTrue();
      assertThat(millis).as("ms until closed (deadline 1 s, idle timeout 10 s)").isBetween(900L, 3000L);
    }
  }

  /** Sends one byte to every connection every {@code periodMillis}: never a whole query. */
  private static void trickle(List<SocketChannel> channels, long periodMillis) {
    ByteBuffer one = ByteBuffer.wrap(new byte[] {1}); // 0x0101: a 257-byte message, 1 byte per period
    while (!Thread.currentThread().isInterrupted()) {
      for (SocketChannel ch : channels) {
        try {
          one.clear();
          ch.write(one);
        } catch (IOException closed) {
          // cut off by the server
        }
      }
      try {
        Thread.sleep(periodMillis);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static boolean closedByServer(SocketChannel ch) {
    try {
      return ch.read(ByteBuffer.allocate(64)) < 0;
    } catch (IOException reset) {
      return true;
    }
  }
}
