#!/usr/bin/env python3
"""Helpers of bench/dnsperf.sh: the zone file from an AXFR, the query file, and dnsperf's output.

  dnsperf_lib.py zone AXFR_OUTPUT ZONE_FILE          kdig AXFR output -> zone file (closing SOA dropped)
  dnsperf_lib.py queries ZONE_FILE OUT COUNT SEED    the query mix (see below)
  dnsperf_lib.py summary DNSPERF_OUTPUT              key=value lines: sent, completed, lost, qps, mean_ms, rcodes
  dnsperf_lib.py latency DNSPERF_V_OUTPUT            key=value lines: count, p50_ms, p99_ms, max_ms (from -v)
  dnsperf_lib.py sum AFTER BEFORE CLK_TCK OUTPUT...  runs side by side: summed qps, lost, mean_ms, cpu_us
  dnsperf_lib.py churn KUBECONFIG PERIOD SECONDS     flip one endpoint's readiness every PERIOD s (bench/soak.sh)
"""
import random
import re
import sys


def zone(axfr_path, out_path):
    records = [line for line in open(axfr_path) if line.strip() and not line.startswith(";")]
    soas = [i for i, r in enumerate(records) if r.split()[3:4] == ["SOA"]]
    if len(soas) < 2 or soas[0] != 0 or soas[-1] != len(records) - 1:
        sys.exit("dnsperf_lib: %s is not a complete zone transfer (SOA first and last)" % axfr_path)
    with open(out_path, "w") as out:
        out.writelines(records[:-1])
    print(len(records) - 1)


def mixed_case(name, rng):
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in name)


def queries(zone_path, out_path, count, seed):
    """80% A of existing names, 5% AAAA of existing names (IPv4-only mesh: NODATA), 5% SRV of existing
    SRV names, 10% names that do not exist (NXDOMAIN, a fixed pool of 200 so they repeat as real typos do);
    every other query in random mixed case (0x20)."""
    rng = random.Random(seed)
    a_names, srv_names, origin = set(), set(), None
    for line in open(zone_path):
        f = line.split()
        if len(f) < 4:
            continue
        if f[3] == "SOA":
            origin = f[0]
        elif f[3] == "A":
            a_names.add(f[0])
        elif f[3] == "SRV":
            srv_names.add(f[0])
    if not a_names or not srv_names or origin is None:
        sys.exit("dnsperf_lib: %s has no SOA, A or SRV records to query" % zone_path)
    a_names, srv_names = sorted(a_names), sorted(srv_names)
    missing = ["nope-%d.ns-%d.svc.%s" % (i, i % 4, origin) for i in range(200)]
    with open(out_path, "w") as out:
        for _ in range(count):
            r = rng.random()
            if r < 0.80:
                name, qtype = rng.choice(a_names), "A"
            elif r < 0.85:
                name, qtype = rng.choice(a_names), "AAAA"
            elif r < 0.90:
                name, qtype = rng.choice(srv_names), "SRV"
            else:
                name, qtype = rng.choice(missing), "A"
            if rng.random() < 0.5:
                name = mixed_case(name, rng)
            out.write("%s %s\n" % (name, qtype))
    print("%d queries over %d A names, %d SRV names, %d missing names" % (count, len(a_names), len(srv_names), len(missing)))


def parse(path):
    """dnsperf's summary of one run as numbers."""
    text = open(path).read()

    def grab(pattern, default=None):
        m = re.search(pattern, text)
        if m is None:
            if default is not None:
                return default
            sys.exit("dnsperf_lib: no '%s' in %s" % (pattern, path))
        return m.group(1)

    return {
        "sent": int(grab(r"Queries sent:\s+(\d+)")),
        "completed": int(grab(r"Queries completed:\s+(\d+)")),
        "lost": int(grab(r"Queries lost:\s+(\d+)")),
        "qps": float(grab(r"Queries per second:\s+([\d.]+)")),
        "mean": float(grab(r"Average Latency \(s\):\s+([\d.]+)")),
        "rcodes": grab(r"Response codes:\s+(.*)", "none"),
    }


def summary(path):
    r = parse(path)
    print("sent=%d" % r["sent"])
    print("completed=%d" % r["completed"])
    print("lost=%d" % r["lost"])
    print("qps=%.0f" % r["qps"])
    print("mean_ms=%.3f" % (r["mean"] * 1000))
    print("rcodes=" + r["rcodes"])


def sum_runs(after, before, clk_tck, paths):
    """Several dnsperf runs side by side against one server: summed rates, query-weighted mean latency,
    and the server's CPU per query from its clock ticks (utime + stime) before and after."""
    runs = [parse(p) for p in paths]
    completed = sum(r["completed"] for r in runs)
    print("completed=%d" % completed)
    print("lost=%d" % sum(r["lost"] for r in runs))
    print("qps=%.0f" % sum(r["qps"] for r in runs))
    print("mean_ms=%.3f" % (sum(r["mean"] * r["completed"] for r in runs) / max(1, completed) * 1000))
    print("rcodes=" + "; ".join(r["rcodes"] for r in runs))
    print("cpu_us=%.2f" % ((int(after) - int(before)) / int(clk_tck) / max(1, completed) * 1e6))


def latency(path):
    values = []
    for line in open(path):
        if line.startswith("> "):
            values.append(float(line.rsplit(None, 1)[1]))
    if not values:
        sys.exit("dnsperf_lib: no per-query lines ('> RCODE name type seconds') in %s" % path)
    values.sort()

    def rank(p):
        return values[max(0, min(len(values) - 1, int(-(-p * len(values) // 1)) - 1))]

    print("count=%d" % len(values))
    print("p50_ms=%.3f" % (rank(0.50) * 1000))
    print("p99_ms=%.3f" % (rank(0.99) * 1000))
    print("max_ms=%.3f" % (values[-1] * 1000))


def api_server(kubeconfig):
    for line in open(kubeconfig):
        line = line.strip()
        if line.startswith("server:"):
            return line.split(None, 1)[1].strip().strip('"')
    sys.exit("dnsperf_lib: no 'server:' in %s" % kubeconfig)


def churn(kubeconfig, period, seconds):
    """Every PERIOD seconds, flips the readiness of one endpoint of one EndpointSlice (round robin over the
    slices) through the API server of KUBECONFIG, for SECONDS. Prints how many changes were made."""
    import json
    import time
    import urllib.request
    base = api_server(kubeconfig) + "/apis/discovery.k8s.io/v1"
    with urllib.request.urlopen(base + "/endpointslices") as r:
        slices = [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in json.load(r)["items"]]
    if not slices:
        sys.exit("dnsperf_lib: no EndpointSlices at " + base)
    changes, failures, i = 0, 0, 0
    end = time.monotonic() + seconds
    next_at = time.monotonic()
    while time.monotonic() < end:
        ns, name = slices[i % len(slices)]
        i += 1
        url = "%s/namespaces/%s/endpointslices/%s" % (base, ns, name)
        try:
            with urllib.request.urlopen(url) as r:
                s = json.load(r)
            ep = s["endpoints"][-1]
            cond = ep.setdefault("conditions", {})
            cond["ready"] = not cond.get("ready", True)
            req = urllib.request.Request(url, data=json.dumps(s).encode(), method="PUT",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).close()
            changes += 1
        except Exception:  # a failed change is counted, not fatal: the soak measures meshdns
            failures += 1
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))
    print("changes=%d failures=%d" % (changes, failures))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "zone" and len(args) == 2:
        zone(*args)
    elif command == "queries" and len(args) == 4:
        queries(args[0], args[1], int(args[2]), int(args[3]))
    elif command == "summary" and len(args) == 1:
        summary(args[0])
    elif command == "latency" and len(args) == 1:
        latency(args[0])
    elif command == "sum" and len(args) >= 4:
        sum_runs(args[0], args[1], args[2], args[3:])
    elif command == "churn" and len(args) == 3:
        churn(args[0], float(args[1]), float(args[2]))
    else:
        sys.exit(__doc__)
