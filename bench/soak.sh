#!/usr/bin/env bash
# A long run at half of meshdns's peak rate while the mesh changes (see bench/README.md): lost queries, and
# the heap after a full GC at the start and at the end (a leak shows as growth). Appends to bench/RESULTS.md.
#
# Starts `meshdns demo` on a synthetic mesh, measures the peak with a short unlimited dnsperf round, then runs
# dnsperf at half of it for --minutes while one endpoint's readiness flips every --churn-ms in each cluster
# (a PUT to the demo's mock API server, as a controller would).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

clusters=2 services=1000 pods=3 minutes=10 churn_ms=200 clients=8 record=1
usage() {
  echo "usage: bench/soak.sh [--clusters C] [--services N] [--pods-per-cluster K] [--minutes M] [--churn-ms MS] [--no-record]"
}
fail() { echo "soak.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --clusters|--services|--pods-per-cluster|--minutes|--churn-ms)
      [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { usage >&2; fail "$1 needs a whole number above 0"; }
      case "$1" in
        --clusters) clusters=$2 ;; --services) services=$2 ;; --pods-per-cluster) pods=$2 ;;
        --minutes) minutes=$2 ;; --churn-ms) churn_ms=$2 ;;
      esac
      shift 2 ;;
    --no-record) record=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option '$1'" ;;
  esac
done

command -v java >/dev/null || fail "java not found: a JDK 17 or newer is needed"
command -v jcmd >/dev/null || fail "jcmd not found: it reads the heap after GC (part of the JDK)"
command -v python3 >/dev/null || fail "python3 not found (query file, churn)"
ensure_tool dnsperf dnsperf
ensure_tool kdig knot-dnsutils

jar=dns-server/target/meshdns.jar
[ -f "$jar" ] || { echo "== building $jar"; ./mvnw -B -q -pl dns-server -am -DskipTests package; }

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/RESULTS.md' || echo "+changes")
port=$(free_port)
work=$(mktemp -d /tmp/meshdns-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== meshdns demo: $clusters clusters x $services services x $pods pods, DNS on 127.0.0.1 port $port"
java ${MESHDNS_JAVA_OPTS:-} \
  -jar "$jar" demo --clusters "$clusters" --services "$services" --pods-per-cluster "$pods" \
  --dns-port "$port" --http-port 0 --admin-port 0 --kubeconfig-dir "$work/kube" >"$work/meshdns.log" 2>&1 &
mpid=$!
pids+=("$mpid")
for _ in $(seq 1 1200); do
  grep -q "^mesh synced" "$work/meshdns.log" && break
  kill -0 "$mpid" 2>/dev/null || { tail -20 "$work/meshdns.log" >&2; fail "meshdns exited before the mesh synced"; }
  sleep 0.5
done
grep -q "^mesh synced" "$work/meshdns.log" || fail "meshdns did not sync the mesh within 10 minutes"

kdig @127.0.0.1 -p "$port" clusterset.local AXFR >"$work/axfr.txt" || fail "AXFR from meshdns failed"
python3 bench/dnsperf_lib.py zone "$work/axfr.txt" "$work/zone" >/dev/null
python3 bench/dnsperf_lib.py queries "$work/zone" "$work/queries.txt" 100000 8

# heap_after_gc: the heap in use right after a full GC, in MB (jcmd GC.run, then GC.heap_info's "used").
heap_after_gc() {
  jcmd "$mpid" GC.run >/dev/null
  jcmd "$mpid" GC.heap_info | python3 -c '
import re, sys
text = sys.stdin.read()
m = re.search(r"used (\d+)K", text)
if not m:
    sys.exit("soak.sh: no used heap in: " + text)
print("%.1f" % (int(m.group(1)) / 1024))'
}

echo "== peak: dnsperf unlimited for 10 s"
dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -c "$clients" -l 10 >"$work/peak.txt" 2>&1 || { cat "$work/peak.txt"; fail "dnsperf failed"; }
peak=$(python3 bench/dnsperf_lib.py summary "$work/peak.txt" | sed -n 's/^qps=//p')
half=$((peak / 2))
echo "peak $peak queries/s; soak at $half queries/s for $minutes min, one change every $churn_ms ms per cluster"

# histogram FILE: live objects by class after a full GC (jcmd GC.class_histogram), to say what grew.
histogram() { jcmd "$mpid" GC.class_histogram >"$1"; }

sleep 2
heap_start=$(heap_after_gc)
histogram "$work/histo-start.txt"
echo "heap after GC at the start: $heap_start MB"
seconds=$((minutes * 60))
for kc in "$work"/kube/*.kubeconfig; do
  python3 bench/dnsperf_lib.py churn "$kc" "$(python3 -c "print($churn_ms / 1000)")" "$seconds" >"$work/churn-$(basename "$kc").txt" 2>&1 &
  pids+=("$!")
done
dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -c "$clients" -l "$seconds" -Q "$half" >"$work/soak.txt" 2>&1 \
  || { cat "$work/soak.txt"; fail "dnsperf failed"; }
sleep 1
summary=$(python3 bench/dnsperf_lib.py summary "$work/soak.txt")
churn=$(cat "$work"/churn-*.txt | python3 -c '
import sys
c = f = 0
for line in sys.stdin:
    for kv in line.split():
        k, _, v = kv.partition("=")
        c += int(v) if k == "changes" else 0
        f += int(v) if k == "failures" else 0
print("changes=%d failures=%d" % (c, f))')
heap_end=$(heap_after_gc)
histogram "$work/histo-end.txt"
# The classes whose live bytes grew most, with the owning package: the demo's mock API servers run in the
# same JVM, so growth there is the demo's, not meshdns's.
growth=$(python3 - "$work/histo-start.txt" "$work/histo-end.txt" <<'PY'
import re, sys
def read(path):
    out = {}
    for line in open(path):
        m = re.match(r"\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if m:
            out[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return out
a, b = read(sys.argv[1]), read(sys.argv[2])
rows = sorted(((b[k][1] - a.get(k, (0, 0))[1], b[k][0] - a.get(k, (0, 0))[0], k) for k in b), reverse=True)[:8]
print("; ".join("%s +%.1f MB (+%d)" % (k, d / 1048576, n) for d, n, k in rows if d > 0))
PY
)
kill -0 "$mpid" 2>/dev/null || fail "meshdns exited during the soak"
echo "$summary" | tr '\n' ' '; echo
echo "churn: $churn"
echo "heap after GC: start $heap_start MB, end $heap_end MB"
echo "grew most: $growth"

get() { echo "$summary" | sed -n "s/^$1=//p"; }
if [ "$record" = 1 ]; then
  {
    echo
    echo "### Soak $(date -u '+%Y-%m-%d %H:%M') UTC, commit $commit"
    echo
    echo "\`bench/soak.sh\`: demo $clusters clusters x $services services x $pods pods; dnsperf -c $clients -Q $half (half of the"
    echo "peak $peak measured just before) for $minutes min; one endpoint's readiness flipped every $churn_ms ms in each cluster."
    echo
    echo "| sent | completed | lost | queries/s | mean latency | changes (failed) | heap after GC, start | heap after GC, end |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| $(get sent) | $(get completed) | $(get lost) | $(get qps) | $(get mean_ms) ms | $(echo "$churn" | sed 's/changes=\([0-9]*\) failures=\([0-9]*\)/\1 (\2)/') | $heap_start MB | $heap_end MB |"
    echo
    echo "Response codes: $(get rcodes)"
    echo
    echo "Live classes that grew most between the two heaps (jcmd GC.class_histogram): $growth"
  } >>bench/RESULTS.md
  echo "recorded in bench/RESULTS.md"
fi
