#!/usr/bin/env bash
# One client must never take the server down. meshdns runs as `serve` with the chart's JVM options
# (-XX:MaxRAM=512m stands in for the container's 512Mi limit) against the demo's two mock clusters, and
# each attack of .ci/abuse.py runs against it while a normal client keeps asking:
#   1. a TCP client, then a DoT client, that pipelines queries and never reads its answers;
#   2. 20,000 idle and 1,000 trickling HTTP connections on the metrics listener;
#   3. `kill -9` and a restart under 5,000 queries/s: no NXDOMAIN, no partial answer for an existing name;
#   4. a config with a duplicate key is refused, naming file, line and key;
#   5. pipelined queries followed by a malformed frame all get their answers before the close.
# After each: the process is alive, its RSS is under the limit, the heap after a full GC is under half its
# maximum, and >= 99% of the normal client's queries were answered within 1 s.
# ABUSE_SECONDS (default 30) is how long each of 1 and 2 lasts; bench/RESULTS.md records 60 s runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool dig dnsutils
ensure_tool dnsperf dnsperf
ensure_tool curl curl

seconds=${ABUSE_SECONDS:-30}
jvm=(-XX:MaxRAM=512m -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError)
limit_kib=$((512 * 1024))
name=web.shop.svc.clusterset.local
work=$(mktemp -d /tmp/meshdns-abuse.XXXXXX)
pids=()
server=""
cleanup() {
  for p in "${pids[@]}" $server; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" $server; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "e2e-abuse: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }

# The demo's mock API servers (and a throwaway certificate for DoT); its own meshdns is not under test.
demo_port=$(free_port)
java -jar dns-server/target/meshdns.jar demo --tls --dot-port 0 --dns-port "$demo_port" --http-port 0 \
  --admin-port 0 --kubeconfig-dir "$work/kube" >"$work/demo.log" 2>&1 &
pids+=("$!")
wait_for_answers "$demo_port" "$name" 5 || fail "the demo did not start"

port=$(free_port); dot=$(free_port); http_port=$(free_port)
cat >"$work/meshdns.yaml" <<EOF
dns:
  bind: 127.0.0.1
  port: $port
  tls: {port: $dot, certFile: $work/kube/tls.crt, keyFile: $work/kube/tls.key}
http: {bind: 127.0.0.1, port: $http_port}
admin: {bind: 127.0.0.1, port: 0}
clusters:
  - id: east
    kubeconfig: $work/kube/east.kubeconfig
  - id: west
    kubeconfig: $work/kube/west.kubeconfig
EOF
start_server() {
  java "${jvm[@]}" -jar dns-server/target/meshdns.jar serve --config "$work/meshdns.yaml" >>"$work/meshdns.log" 2>&1 &
  server=$!
}
start_server
wait_for_answers "$port" "$name" 5 || fail "meshdns did not answer"

# healthy WHAT: the server is alive, under the memory limit, and its live heap is under half its maximum.
healthy() {
  kill -0 "$server" 2>/dev/null || fail "$1: the server died"
  local rss heap max_kib
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status")
  [ "$rss" -lt "$limit_kib" ] || fail "$1: RSS ${rss} KiB over the ${limit_kib} KiB limit"
  jcmd "$server" GC.run >/dev/null || fail "$1: jcmd GC.run failed"
  read -r heap max_kib < <(curl -sf "http://127.0.0.1:$http_port/metrics" | python3 -c '
import sys
used = limit = 0.0
for line in sys.stdin:
    if line.startswith("jvm_memory_used_bytes{area=\"heap\""):
        used += float(line.split()[-1])
    elif line.startswith("jvm_memory_max_bytes{area=\"heap\"") and float(line.split()[-1]) > 0:
        limit += float(line.split()[-1])
print(int(used / 1024), int(limit / 1024))')
  [ $((heap * 2)) -lt "$max_kib" ] || fail "$1: live heap ${heap} KiB is over half of ${max_kib} KiB"
  echo "e2e-abuse: $1: alive, RSS $((rss / 1024)) MiB, live heap $((heap / 1024)) of $((max_kib / 1024)) MiB"
}

# probed WHAT ATTACK...: runs the attack while a normal UDP and a normal TCP client ask; both >= 99%.
probed() {
  local what=$1; shift
  python3 .ci/abuse.py probe 127.0.0.1 "$port" "$seconds" "$name" >"$work/probe-udp.out" &
  local pu=$!
  python3 .ci/abuse.py probe 127.0.0.1 "$port" "$seconds" "$name" --tcp >"$work/probe-tcp.out" &
  local pt=$!
  "$@" >"$work/attack.out" || fail "$what: the attack itself failed"
  wait "$pu" "$pt"
  echo "e2e-abuse: $what: $(cat "$work/attack.out")"
  for f in "$work/probe-udp.out" "$work/probe-tcp.out"; do
    echo "e2e-abuse: $what: $(cat "$f")"
    python3 -c 'import sys; share = float(sys.argv[1].split("share=")[1]); sys.exit(0 if share >= 0.99 else 1)' \
      "$(cat "$f")" || fail "$what: fewer than 99% of a normal client's queries answered within 1 s"
  done
  healthy "$what"
}

# 1. Clients that pipeline and never read, over TCP then DoT.
probed "TCP client that never reads" python3 .ci/abuse.py noread 127.0.0.1 "$port" "$seconds"
probed "DoT client that never reads" python3 .ci/abuse.py noread 127.0.0.1 "$dot" "$seconds" --tls

# 2. Idle and trickling HTTP connections: /healthz (asked from another address, as the kubelet asks from
# the node's) within 1 s and DNS over TCP all along. One process holds at most `ulimit -Hn` sockets, so
# the 20,000 idle ones come from two. The attackers run at the lowest CPU priority: on a real node their
# CPU is not the server's, here the two share two cores.
flood=()
for _ in 1 2; do
  nice -n 19 python3 .ci/http-flood.py 127.0.0.1 "$http_port" --idle 10000 --seconds "$seconds" --rate 1000 \
    >>"$work/flood.log" 2>&1 &
  flood+=("$!")
done
nice -n 19 python3 .ci/http-flood.py 127.0.0.1 "$http_port" --trickle 1000 --seconds "$seconds" --rate 1000 \
  $(for i in $(seq 10 25); do printf -- '--source 127.0.0.%s ' "$i"; done) >>"$work/flood.log" 2>&1 &
flood+=("$!")
sleep 5 # the flood's connections are open and held by now
checks=0
while kill -0 "${flood[0]}" 2>/dev/null; do
  curl -sf --max-time 1 --interface 127.0.0.2 "http://127.0.0.1:$http_port/healthz" >/dev/null \
    || fail "HTTP flood: /healthz did not answer within 1 s"
  dig @127.0.0.1 -p "$port" +tcp +time=1 +tries=1 +short "$name" | grep -q . || fail "HTTP flood: no DNS-over-TCP answer"
  checks=$((checks + 1))
  sleep 1
done
for p in "${flood[@]}"; do wait "$p" || fail "HTTP flood: the attack itself failed"; done
echo "e2e-abuse: HTTP flood: $(grep -h '^{' "$work/flood.log" | tr '\n' ' ')"
echo "e2e-abuse: HTTP flood: /healthz and DNS over TCP answered within 1 s, $checks times out of $checks"
closed=$(curl -sf "http://127.0.0.1:$http_port/metrics" | grep '^meshdns_http_connections_closed_total{listener="metrics"' || true)
echo "e2e-abuse: HTTP flood: $(tr '\n' ' ' <<<"$closed")"
grep -q 'reason="source_cap"} [1-9]' <<<"$closed" || fail "HTTP flood: no connection closed by the per-source cap"
healthy "HTTP flood"

# 3. kill -9 and a restart under 5,000 queries/s: the new process answers nothing wrong while it loads.
for i in $(seq 1 200); do echo "$name A"; echo "_http._tcp.$name SRV"; done >"$work/queries"
dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -Q 5000 -l 20 -t 1 >"$work/dnsperf.out" 2>&1 &
perf=$!
python3 .ci/abuse.py watch 127.0.0.1 "$port" 20 "$name" 5 >"$work/watch.out" &
watcher=$!
sleep 5
kill -9 "$server"
wait "$server" 2>/dev/null || true
start_server
wait "$perf" "$watcher"
nxdomain=$(sed -n 's/.*NXDOMAIN \([0-9]*\).*/\1/p' "$work/dnsperf.out")
echo "e2e-abuse: restart: dnsperf $(grep -A1 'Response codes' "$work/dnsperf.out" | tr -s ' \n' ' ')"
echo "e2e-abuse: restart: $(cat "$work/watch.out")"
[ "${nxdomain:-0}" -eq 0 ] || fail "restart: $nxdomain NXDOMAIN answers for existing names"
grep -q ' partial=0 ' "$work/watch.out" || fail "restart: partial answers while the mesh loaded"
grep -q ' nxdomain=0$' "$work/watch.out" || fail "restart: NXDOMAIN while the mesh loaded"
wait_for_answers "$port" "$name" 5 || fail "restart: meshdns did not come back"
healthy "restart under load"

# 4. A duplicate key is an error naming file, line and key, and nothing starts.
sed 's/^http: /http: {bind: 127.0.0.1, port: 0}\nhttp: /' "$work/meshdns.yaml" >"$work/duplicate.yaml"
set +e
java -jar dns-server/target/meshdns.jar serve --config "$work/duplicate.yaml" >"$work/duplicate.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "duplicate key: exit $rc, not 2: $(cat "$work/duplicate.out")"
grep -q "duplicate.yaml.*line 6.*http\|duplicate.yaml.*http.*line 6" "$work/duplicate.out" \
  || fail "duplicate key: the error does not name file, line and key: $(cat "$work/duplicate.out")"
echo "e2e-abuse: duplicate key: exit 2, $(grep -m1 duplicate "$work/duplicate.out")"

# 5. Answers already computed are flushed before a connection is closed for a malformed frame.
out=$(python3 .ci/abuse.py junk-after 127.0.0.1 "$port")
[ "$out" = "junk-after answers=10" ] || fail "malformed frame after 10 queries: $out"
echo "e2e-abuse: malformed frame after 10 pipelined queries: all 10 answered before the close"
healthy "the end"
echo "e2e-abuse: passed"
