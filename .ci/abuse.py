#!/usr/bin/env python3
"""Hostile and unlucky DNS clients for .ci/e2e-abuse.sh (HTTP: .ci/http-flood.py); standard library only.

Every attack is bounded in time and stops by itself. Each prints one line of figures, key=value.

  noread HOST PORT SECONDS [--tls]   pipelines queries on one connection and never reads an answer; when
                                     the server cuts it off it connects again (counted)
  junk-after HOST PORT               10 pipelined queries then a malformed frame in one write; prints how
                                     many answers arrived before the close
  probe HOST PORT SECONDS NAME [--tcp]
                                     one normal client: a query every 10 ms, each answered within 1 s or
                                     counted as failed
  watch HOST PORT SECONDS NAME COUNT a resolver during a restart: every rcode and every answer with fewer
                                     than COUNT addresses is counted (timeouts and refused sockets are not
                                     answers, and are counted apart)
"""
import os
import random
import selectors
import socket
import ssl
import struct
import sys
import time


def query(name, qtype=1, qid=None):
    """A DNS query for NAME (A by default), recursion not desired."""
    qid = random.randrange(65536) if qid is None else qid
    header = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split("."))
    return header + labels + b"\x00" + struct.pack(">HH", qtype, 1)


def framed(message):
    return struct.pack(">H", len(message)) + message


def connect(host, port, tls):
    s = socket.create_connection((host, port), timeout=5)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.setblocking(False)
    return s


def noread(host, port, seconds, tls):
    batch = b"".join(framed(query("web.shop.svc.clusterset.local")) for _ in range(64))
    deadline = time.monotonic() + seconds
    sent = connections = cut = 0
    s = None
    pending = b""
    while time.monotonic() < deadline:
        if s is None:
            try:
                s = connect(host, port, tls)
                connections += 1
            except OSError:
                time.sleep(0.05)
                continue
        if not pending:
            pending = batch
        try:
            n = s.send(pending)
            sent += n
            pending = pending[n:]
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            # The server stopped reading: wait for room, as a real client would, and never read.
            select_write(s, 0.05)
        except (OSError, ssl.SSLError):
            cut += 1
            s.close()
            s = None
            pending = b""
    if s is not None:
        s.close()
    print(f"noread tls={tls} seconds={seconds} bytes_sent={sent} connections={connections} cut_off={cut}")


def select_write(s, timeout):
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    sel.select(timeout)
    sel.close()


def junk_after(host, port):
    queries = [query("web.shop.svc.clusterset.local", qid=i) for i in range(10)]
    payload = b"".join(framed(q) for q in queries) + b"\x00\x01\x58"
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(payload)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    answers = 0
    while len(data) >= 2:
        (length,) = struct.unpack(">H", data[:2])
        if len(data) < 2 + length:
            break
        answers += 1
        data = data[2 + length:]
    print(f"junk-after answers={answers}")


def answer_rcode_and_count(data):
    flags = struct.unpack(">H", data[2:4])[0]
    return flags & 0xF, struct.unpack(">H", data[6:8])[0]


def exchange(host, port, message, tcp, timeout):
    if tcp:
        s = socket.create_connection((host, port), timeout=timeout)
        try:
            s.sendall(framed(message))
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            return data[2:]
        finally:
            s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(message, (host, port))
        while True:
            data, _ = s.recvfrom(65535)
            if data[:2] == message[:2]:
                return data
    finally:
        s.close()


def probe(host, port, seconds, name, tcp):
    deadline = time.monotonic() + seconds
    asked = answered = 0
    while time.monotonic() < deadline:
        asked += 1
        try:
            rcode, count = answer_rcode_and_count(exchange(host, port, query(name), tcp, 1.0))
            if rcode == 0 and count > 0:
                answered += 1
        except OSError:
            pass
        time.sleep(0.01)
    share = answered / asked if asked else 0.0
    print(f"probe tcp={tcp} asked={asked} answered_within_1s={answered} share={share:.4f}")


def watch(host, port, seconds, name, count):
    deadline = time.monotonic() + seconds
    rcodes = {}
    partial = unanswered = 0
    while time.monotonic() < deadline:
        try:
            rcode, n = answer_rcode_and_count(exchange(host, port, query(name), False, 0.5))
        except OSError:
            unanswered += 1
            time.sleep(0.005)
            continue
        rcodes[rcode] = rcodes.get(rcode, 0) + 1
        if rcode == 0 and n < count:
            partial += 1
        time.sleep(0.002)
    names = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
    mix = " ".join(f"{names.get(k, k)}={v}" for k, v in sorted(rcodes.items()))
    print(f"watch {mix} partial={partial} unanswered={unanswered} nxdomain={rcodes.get(3, 0)}")


def main(argv):
    cmd = argv[1]
    if cmd == "noread":
        noread(argv[2], int(argv[3]), float(argv[4]), "--tls" in argv)
    elif cmd == "junk-after":
        junk_after(argv[2], int(argv[3]))
    elif cmd == "probe":
        probe(argv[2], int(argv[3]), float(argv[4]), argv[5], "--tcp" in argv)
    elif cmd == "watch":
        watch(argv[2], int(argv[3]), float(argv[4]), argv[5], int(argv[6]))
    else:
        sys.exit(f"abuse.py: unknown attack {cmd}")


if __name__ == "__main__":
    if not all(h in ("127.0.0.1", "::1", "localhost") for h in sys.argv[2:3]):
        sys.exit("abuse.py: loopback targets only")
    main(sys.argv)
