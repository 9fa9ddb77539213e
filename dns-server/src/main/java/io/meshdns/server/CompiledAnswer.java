package io.meshdns.server;

import io.meshdns.discovery.ClusterId;
import io.meshdns.loadbalancer.EndpointOrder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One answer in wire form, compiled once and written for every later query of the same question, querier
 * and size class, until the snapshot changes what it was compiled from. Immutable.
 *
 * <p>A fixed answer (NXDOMAIN, SRV of a ClusterIP service, PTR, ...) is written as it is. A load-balanced
 * address answer keeps every candidate's record as a fixed-size block (A: 16 bytes, AAAA: 28, the owner a
 * compression pointer to the question): for each query the writer asks the service's {@link EndpointOrder}
 * which blocks to send in which order, and writes just those. So every query rotates, at the cost of a
 * copy, with no allocation.
 *
 * <p>Every written answer gets the query's ID, RD bit and name bytes (the question is the first name in
 * the message and every owner points back to it, so the whole answer takes the client's exact case,
 * 0x20).
 */
final class CompiledAnswer {
  /** DNS header offset of ANCOUNT. */
  private static final int ANCOUNT = 6;
  /** The TC bit in the third header byte. */
  private static final int TC = 0x02;

  private final byte[] wire;
  /** For a load-balanced answer: where the first block starts, each block's size, and how many may be sent. */
  private final int blocksAt;
  private final int blockSize;
  private final int blockCount;
  private final int fit;
  private final EndpointOrder order;
  /** Reusable while this is the zone's current index ({@code null}: while {@link #lifetime} lives). */
  private final ZoneIndex index;
  private final Lifetime lifetime;
  private final boolean storable;

  private CompiledAnswer(byte[] wire, int blocksAt, int blockSize, int blockCount, int fit, EndpointOrder order,
      ZoneIndex index, Lifetime lifetime, boolean storable) {
    this.storable = storable;
    this.wire = wire;
    this.blocksAt = blocksAt;
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    this.fit = fit;
    this.order = order;
    this.index = index;
    this.lifetime = lifetime;
  }

  /**
   * A fixed answer, reusable while {@code lifetime} lives, or, when {@code lifetime} is {@code null}, while
   * {@code index} is current (answers with the SOA carry its serial, which moves with every snapshot).
   */
  static CompiledAnswer fixed(byte[] wire, ZoneIndex index, Lifetime lifetime) {
    return new CompiledAnswer(wire, -1, 0, 0, 0, null, lifetime == null ? index : null, lifetime, true);
  }

  /** An answer for this one query only (chosen per query, not as blocks): never stored. */
  static CompiledAnswer once(byte[] wire) {
    return new CompiledAnswer(wire, -1, 0, 0, 0, null, null, null, false);
  }

  /**
   * A load-balanced answer: {@code wire} holds, after the question at {@code blocksAt}, one record of
   * {@code blockSize} bytes for each of {@code order}'s candidates in order, then the rest of the message.
   *
   * @param sizeLimit the most bytes the answer may have (the client's UDP size, or 65535 over TCP)
   */
  static CompiledAnswer balanced(byte[] wire, int blocksAt, int blockSize, EndpointOrder order, int sizeLimit,
      Lifetime lifetime) {
    int count = order.candidates().size();
    int tail = wire.length - blocksAt - count * blockSize;
    // More chosen addresses than fit (a cap above what the client's UDP size holds): as many as fit, with
    // TC set, so the client can ask again over TCP for all of them (RFC 2181 9).
    int fit = Math.max(1, Math.min(order.limit(), (sizeLimit - blocksAt - tail) / blockSize));
    return new CompiledAnswer(wire, blocksAt, blockSize, count, fit, order, null, lifetime, true);
  }

  /** Whether it may be kept for later queries at all. */
  boolean storable() {
    return storable;
  }

  /** Whether it still answers correctly with {@code current} as the zone's index. */
  boolean reusable(ZoneIndex current) {
    if (!storable || (lifetime != null ? !lifetime.alive() : index != current)) {
      return false;
    }
    return order == null || order.current();
  }

  /** Bytes held, for the store's size bound. */
  int weight() {
    return wire.length + 96;
  }

  /**
   * The answer to one query, in a buffer of {@code alloc} that the caller owns.
   *
   * @param query the query's bytes (at least its header and question), or {@code null} when the answer
   *     was compiled for this very query (its ID and name are already in place)
   * @param nameLength the length of the query's name in wire form
   * @param positions at least the answer cap long; {@code scratch} at least the candidates' count
   */
  ByteBuf write(ByteBufAllocator alloc, byte[] query, int nameLength, ClusterId querier, String zone,
      int[] positions, int[] scratch) {
    ByteBuf out;
    if (order == null) {
      out = alloc.ioBuffer(wire.length).writeBytes(wire);
    } else {
      int chosen = order.next(querier, zone, positions, scratch);
      int n = Math.min(fit, chosen);
      int tail = blocksAt + blockCount * blockSize;
      out = alloc.ioBuffer(wire.length - (blockCount - n) * blockSize);
      out.writeBytes(wire, 0, blocksAt);
      for (int i = 0; i < n; i++) {
        out.writeBytes(wire, blocksAt + positions[i] * blockSize, blockSize);
      }
      out.writeBytes(wire, tail, wire.length - tail);
      out.setShort(ANCOUNT, n);
      if (chosen > n) {
        out.setByte(2, out.getByte(2) | TC);
      }
    }
    if (query != null) {
      out.setByte(0, query[0]);
      out.setByte(1, query[1]);
      out.setByte(2, (out.getByte(2) & ~0x01) | (query[2] & 0x01));
      if (out.writerIndex() >= WireQuery.HEADER + nameLength) { // a header-only answer has no question
        out.setBytes(WireQuery.HEADER, query, WireQuery.HEADER, nameLength);
      }
    }
    return out;
  }

  /** The largest number of positions {@link #write} may need; scratch space is sized by it. */
  int candidates() {
    return blockCount;
  }

  int limit() {
    return order == null ? 0 : order.limit();
  }
}
