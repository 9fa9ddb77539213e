package io.meshdns.server;

import java.util.Arrays;

/**
 * A plain query read straight from its wire bytes, without building a dnsjava message: what the answer
 * cache needs to look up an answer. Anything unusual (several questions, records other than one OPT,
 * EDNS version above 0, compression in the question) is left to the full parser by returning
 * {@code null}, so this class only has to be right about the common case.
 *
 * @param question the question in wire form with the name lowercased, then qtype and qclass
 * @param nameLength the length of the question's name in wire form (it starts at offset 12)
 * @param qtype the question's type
 * @param ednsPayload the EDNS UDP payload size, or -1 without an OPT record
 * @param clusterOptionAt where the data of the EDNS0 option carrying the querier's cluster starts in the
 *     packet, or -1 without one
 * @param clusterOptionLength the length of that data
 */
record WireQuery(byte[] question, int nameLength, int qtype, int qclass, int ednsPayload, int clusterOptionAt,
    int clusterOptionLength) {
  static final int HEADER = 12;
  private static final int TYPE_OPT = 41;

  /** Reads a standard query (QR=0, opcode QUERY, one question); {@code null} for anything else. */
  static WireQuery parse(byte[] p, int clusterOptionCode) {
    if (p.length < HEADER + 5 || (p[2] & 0xF8) != 0) { // QR=0 and opcode 0
      return null;
    }
    int qd = u16(p, 4);
    int an = u16(p, 6);
    int ns = u16(p, 8);
    int ar = u16(p, 10);
    if (qd != 1 || an != 0 || ns != 0 || ar > 1) {
      return null;
    }
    int i = HEADER;
    while (true) {
      if (i >= p.length) {
        return null;
      }
      int len = p[i] & 0xFF;
      if (len == 0) {
        i++;
        break;
      }
      if (len > 63) {
        return null; // compression pointer or extended label: the full parser decides
      }
      i += len + 1;
      if (i - HEADER > 255) {
        return null;
      }
    }
    int nameLength = i - HEADER;
    if (i + 4 > p.length) {
      return null;
    }
    int qtype = u16(p, i);
    int qclass = u16(p, i + 2);
    int end = i + 4;
    byte[] question = Arrays.copyOfRange(p, HEADER, end);
    for (int k = 0; k < nameLength; ) {
      int len = question[k] & 0xFF;
      for (int j = k + 1; j <= k + len; j++) {
        byte b = question[j];
        if (b >= 'A' && b <= 'Z') {
          question[j] = (byte) (b + 32);
        }
      }
      k += len + 1;
    }
    int payload = -1;
    int clusterAt = -1;
    int clusterLength = 0;
    if (ar == 1) {
      // OPT: root name, type 41, class = payload size, TTL = ext-rcode/version/flags, rdata = options.
      if (end + 11 > p.length || p[end] != 0 || u16(p, end + 1) != TYPE_OPT || p[end + 6] != 0) {
        return null; // not an OPT, or EDNS version > 0 (BADVERS is the full parser's job)
      }
      payload = u16(p, end + 3);
      int rdlen = u16(p, end + 9);
      int o = end + 11;
      if (o + rdlen != p.length) {
        return null;
      }
      while (o < end + 11 + rdlen) {
        if (o + 4 > p.length) {
          return null;
        }
        int code = u16(p, o);
        int olen = u16(p, o + 2);
        if (o + 4 + olen > p.length) {
          return null;
        }
        if (code == clusterOptionCode && clusterAt < 0) {
          clusterAt = o + 4;
          clusterLength = olen;
        }
        o += 4 + olen;
      }
    } else if (end != p.length) {
      return null;
    }
    return new WireQuery(question, nameLength, qtype, qclass, payload, clusterAt, clusterLength);
  }

  static int u16(byte[] p, int at) {
    return (p[at] & 0xFF) << 8 | (p[at + 1] & 0xFF);
  }
}
