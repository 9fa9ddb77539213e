#!/usr/bin/env bash
# Memory and CPU of `meshdns serve` under JVM option sets, for the image's and the chart's defaults
# (bench/RESULTS.md, "JVM flags on Java 25"). One synthetic mesh (`demo --clusters C --services S
# --pods-per-cluster K`, default 6 x 2500 x 4 = 60,000 endpoints) serves as the member clusters' API
# servers; each option set then runs `dns-server/target/meshdns serve` against it, in turn, with
# -XX:MaxRAM=LIMIT standing in for the container's memory limit (the JVM sizes its heap from either).
# For each: seconds to /readyz 200 and the server's CPU until then, then 10 s of dnsperf at RATE
# queries/s over every service name, then RSS (ps), the heap after a full GC and its capacity (jcmd
# GC.heap_info), and the server's CPU time per answered query during dnsperf.
#
#   bench/jvm-flags.sh [LIMIT [RATE]]     # defaults 768m, 5000
#   MESHDNS_MESH="--clusters 6 --services 2500 --pods-per-cluster 4" bench/jvm-flags.sh
#   MESHDNS_FLAG_SETS=FILE: lines "label|JAVA_HOME|options" in place of the sets below
#   MESHDNS_WARMUP=S: S seconds of dnsperf before the measured 10 s (default 0)
#
# Needs a build (./mvnw -B -q -DskipTests package), dnsperf, curl; Temurin 25 for its sets.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

limit=${1:-768m}
rate=${2:-5000}
mesh=${MESHDNS_MESH:-"--clusters 6 --services 2500 --pods-per-cluster 4"}
jdk17=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64
exit_oom=-XX:+ExitOnOutOfMemoryError
sets=(
  "17 G1, MaxRAMPercentage=75 (chart before)|$jdk17|-XX:MaxRAMPercentage=75 $exit_oom"
  "25 G1, MaxRAMPercentage=75|$jdk25|-XX:MaxRAMPercentage=75 $exit_oom"
  "25 G1 + compact headers|$jdk25|-XX:+UseCompactObjectHeaders -XX:MaxRAMPercentage=75 $exit_oom"
  "25 Serial|$jdk25|-XX:+UseSerialGC -XX:MaxRAMPercentage=75 $exit_oom"
  "25 Serial + compact headers, 70% (chosen)|$jdk25|-XX:+UseSerialGC -XX:+UseCompactObjectHeaders -XX:MaxRAMPercentage=70 $exit_oom"
)
[ -z "${MESHDNS_FLAG_SETS:-}" ] || mapfile -t sets <"$MESHDNS_FLAG_SETS"

work=$(mktemp -d /tmp/meshdns-jvm-flags.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== mesh: demo $mesh; limit (MaxRAM) $limit; dnsperf $rate q/s for 10 s after ${MESHDNS_WARMUP:-0} s; load $(cut -d' ' -f1-3 /proc/loadavg)"
demo_port=$(free_port)
# shellcheck disable=SC2086
dns-server/target/meshdns demo $mesh --dns-port "$demo_port" --http-port 0 --admin-port 0 \
  --kubeconfig-dir "$work/kube" >"$work/demo.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do grep -q "event=ready" "$work/demo.log" && break; sleep 1; done
grep -q "event=ready" "$work/demo.log" || { tail -20 "$work/demo.log"; echo "the demo mesh did not turn ready" >&2; exit 1; }
endpoints=$(sed -n 's/.* \([0-9,]*\) endpoints.*/\1/p' "$work/demo.log" | head -1)

port=$(free_port)
http=$(free_port)
{
  echo "dns: {bind: 127.0.0.1, port: $port}"
  echo "http: {bind: 127.0.0.1, port: $http}"
  echo "admin: {bind: 127.0.0.1, port: 0}"
  echo "clusters:"
  for k in "$work"/kube/*.kubeconfig; do
    echo "  - id: $(basename "$k" .kubeconfig)"
    echo "    kubeconfig: $k"
  done
} >"$work/meshdns.yaml"
services=$(sed -n 's/.*--services \([0-9]*\).*/\1/p' <<<"$mesh")
python3 - "${services:-2500}" >"$work/queries.txt" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):  # the demo names service i svc-i in namespace ns-<i mod 4> (DemoMesh.namespaceName)
    print(f"svc-{i}.ns-{i % 4}.svc.clusterset.local A")
PY

printf '| JVM options | ready after | CPU until ready | RSS | heap after full GC / capacity | CPU per query | queries answered |\n|---|---|---|---|---|---|---|\n' >"$work/table"
for set in "${sets[@]}"; do
  IFS='|' read -r label home opts <<<"$set"
  [ -x "$home/bin/java" ] || { echo "skipped $label: no $home"; continue; }
  started=$(date +%s.%N)
  JAVA_HOME=$home MESHDNS_JAVA_OPTS="-XX:MaxRAM=$limit $opts" dns-server/target/meshdns serve --config "$work/meshdns.yaml" \
    >"$work/serve.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  code=""
  for _ in $(seq 1 1200); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/readyz" || true)
    [ "$code" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  [ "$code" = 200 ] || { tail -20 "$work/serve.log"; echo "$label: not ready" >&2; exit 1; }
  ready=$(python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.1f} s')" "$started")
  ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  before=$(ticks)
  # MESHDNS_WARMUP=S: S seconds of dnsperf at RATE before the measured 10 s, so that the figure is the
  # compiled query path's, not the JIT's first work on it.
  if [ "${MESHDNS_WARMUP:-0}" -gt 0 ]; then
    dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$MESHDNS_WARMUP" -Q "$rate" -c 4 >/dev/null 2>&1
  fi
  ready_cpu=$(awk -v t="$before" 'BEGIN {printf "%.1f s", t / 100}')
  measured=$(ticks)
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l 10 -Q "$rate" -c 4 >"$work/dnsperf.out" 2>&1
  after=$(ticks)
  answered=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' "$work/dnsperf.out")
  cpu=$(python3 -c "import sys; t=(int(sys.argv[2])-int(sys.argv[1]))/100; n=int(sys.argv[3]); print(f'{t/n*1e6:.1f} µs' if n else 'n/a')" \
    "$measured" "$after" "${answered:-0}")
  rss=$(( $(ps -o rss= -p "$pid") / 1024 ))
  "$home/bin/jcmd" "$pid" GC.run >/dev/null
  heap=$("$home/bin/jcmd" "$pid" GC.heap_info | python3 -c '
import re, sys
# G1: "garbage-first heap total NK, used NK" (17) or "total reserved NK, committed NK, used NK" (25);
# Serial: a new and a tenured generation line, summed.
u = t = 0
for line in sys.stdin:
    if re.match(r"\s*(garbage-first heap|def new generation|tenured generation|DefNew|Tenured)", line):
        u += int(re.search(r"used (\d+)K", line).group(1))
        t += int((re.search(r"committed (\d+)K", line) or re.search(r"total (\d+)K", line)).group(1))
print(f"{u/1024:.0f} / {t/1024:.0f} MiB")')
  echo "| \`$opts\` ($label) | $ready | $ready_cpu | $rss MiB | $heap | $cpu | ${answered:-0} |" >>"$work/table"
  echo "$label: ready $ready, CPU until ready $ready_cpu, RSS $rss MiB, heap $heap, CPU/query $cpu, answered ${answered:-0}; load $(cut -d' ' -f1-3 /proc/loadavg)"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
echo
echo "At ${endpoints:-?} endpoints (demo $mesh), -XX:MaxRAM=$limit, $(java -version 2>&1 | head -1) / $("$jdk25/bin/java" -version 2>&1 | head -1):"
cat "$work/table"
