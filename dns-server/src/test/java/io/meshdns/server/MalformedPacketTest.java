package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** Packets that are not valid DNS queries get FORMERR when their header can be read, else nothing. */
class MalformedPacketTest {
  @TempDir static Path kubeconfigs;
  static TwoClusterMesh mesh;

  @BeforeAll
  static void start() {
    mesh = new TwoClusterMesh(kubeconfigs);
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static byte[] exchange(byte[] packet) throws Exception {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(1000);
      socket.send(new DatagramPacket(packet, packet.length, mesh.dns()));
      byte[] buf = new byte[4096];
      DatagramPacket reply = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(reply);
      } catch (SocketTimeoutException e) {
        return null;
      }
      return Arrays.copyOf(buf, reply.getLength());
    }
  }

  @Test
  void queryWithATruncatedQuestionGetsFormerrWithItsId() throws Exception {
    // Header: id 0x1234, RD, QDCOUNT 1; then a question cut off in the middle of its name.
    byte[] packet = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, 'w', 'e'};

    byte[] reply = exchange(packet);

    assertThat(reply).isNotNull();
    Message m = new Message(reply);
    assertThat(m.getHeader().getID()).isEqualTo(0x1234);
    assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
  }

  @Test
  void packetShorterThanAHeaderIsDropped() throws Exception {
    assertThat(exchange(new byte[] {0x12, 0x34, 0x01})).isNull();
  }

  @Test
  void serverKeepsAnsweringAfterMalformedPackets() throws Exception {
    exchange(new byte[] {0x12, 0x34, 0x01});
    exchange(new byte[] {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, (byte) 0xff});

    assertThat(mesh.udp().query("clusterset.local.", Type.SOA).getRcode()).isEqualTo(Rcode.NOERROR);
  }
}
