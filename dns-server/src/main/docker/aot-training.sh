#!/bin/sh
# Trains the AOT cache of `meshdns serve` (JEP 483 classes loaded and linked, JEP 514 one-step
# -XX:AOTCacheOutput, JEP 515 method profiles), for the Dockerfile's aot stage and bench/aot-cache.sh:
#
#   aot-training.sh SERVER_LAUNCHER DEMO_LAUNCHER CACHE
#
# DEMO_LAUNCHER runs `demo --clusters 4 --services 500` (6,000 endpoints), the member clusters' API
# servers, in a JVM of its own; SERVER_LAUNCHER then runs `serve` against it with MESHDNS_JAVA_OPTS plus
# -XX:AOTCacheOutput=CACHE until it is ready, answers some 25,000 queries, and gets SIGTERM: the JVM writes the cache on its way out
# (at exit, after the shutdown hooks, it records what ran and starts a child JVM that writes CACHE).
#
# The JVM uses a cache only with the class path and the options that shape it as here, so SERVER_LAUNCHER
# must lie where the served launcher will, beside meshdns.jar and, as in the server image, without
# meshdns-demo.jar (meshdns.jar's manifest names it on the class path: a cache trained without it is
# refused where it exists). -XX:MaxRAM=2g keeps the heap under 32 GB, so compressed oops, as in a pod,
# whatever the build machine's memory.
set -eu
[ $# -eq 3 ] || { echo "usage: aot-training.sh SERVER_LAUNCHER DEMO_LAUNCHER CACHE" >&2; exit 2; }
server=$1 demo=$2 cache=$3
work=$(mktemp -d)
demo_pid=""
serve_pid=""
cleanup() {
  for pid in $serve_pid $demo_pid; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "aot-training: $*" >&2
  for log in "$work"/*.log; do echo "--- $log (end)" >&2; tail -30 "$log" >&2; done
  exit 1
}

# wait_ready LOG PID: until LOG says event=ready (the readiness probe's turn to 200), while PID runs,
# for 5 minutes at most.
wait_ready() {
  i=0
  until grep -q "event=ready" "$1"; do
    kill -0 "$2" 2>/dev/null || return 1
    i=$((i + 1))
    [ "$i" -le 600 ] || return 1
    sleep 0.5
  done
}

started=$(date +%s)
MESHDNS_AOT_CACHE=off "$demo" demo --clusters 4 --services 500 --dns-port 0 --http-port 0 --admin-port 0 \
  --kubeconfig-dir "$work/kube" >"$work/demo.log" 2>&1 &
demo_pid=$!
wait_ready "$work/demo.log" "$demo_pid" || fail "the demo mesh did not turn ready"
{
  echo "dns: {bind: 127.0.0.1, port: 0}"
  echo "http: {bind: 127.0.0.1, port: 0}"
  echo "admin: {bind: 127.0.0.1, port: 0}"
  echo "clusters:"
  for kubeconfig in "$work"/kube/*.kubeconfig; do
    printf '  - id: %s\n    kubeconfig: %s\n' "$(basename "$kubeconfig" .kubeconfig)" "$kubeconfig"
  done
} >"$work/serve.yaml"

mesh_ready=$(date +%s)
serve_log=$work/serve.log
MESHDNS_AOT_CACHE=off MESHDNS_JAVA_OPTS="${MESHDNS_JAVA_OPTS:-} -XX:MaxRAM=2g -XX:AOTCacheOutput=$cache" \
  "$server" serve --config "$work/serve.yaml" >"$serve_log" 2>&1 &
serve_pid=$!
wait_ready "$work/serve.log" "$serve_pid" || fail "serve did not turn ready"
serve_ready=$(date +%s)
# Then some 25,000 A queries over UDP, for names that exist and names that do not, so that the method
# profiles hold the query path too (bench/RESULTS.md, "AOT cache"). No DNS client in the image: bash
# writes the queries, 51 bytes each (names of one length), to a file, and dd writes it block by block,
# one datagram each, to the socket bash's /dev/udp opens; 50 rounds, a pause between them so the
# server's receive buffer is not simply overrun. The answers go unread. The demo names service s
# svc-s.ns-<s mod 4>: svc-100 to svc-499 exist, svc-500 to svc-599 do not.
port=$(sed -n 's/.*DNS listening on 127.0.0.1 port \([0-9]*\) .*/\1/p' "$serve_log" | head -1)
[ -n "$port" ] || fail "serve's log names no DNS port"
bash -c '
  for ((s = 100; s < 600; s++)); do
    # header (id 1, RD, one question), QNAME svc-S.ns-N.svc.clusterset.local, QTYPE A, QCLASS IN
    printf "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07svc-%d\x04ns-%d\x03svc\x0aclusterset\x05local\x00\x00\x01\x00\x01" \
      "$s" $((s % 4))
  done >"$2"
  for ((round = 0; round < 50; round++)); do
    dd bs=51 if="$2" 2>/dev/null >/dev/udp/127.0.0.1/"$1" || exit 1
    sleep 0.1
  done' queries "$port" "$work/queries" || fail "sending the queries failed"
[ "$(($(wc -c <"$work/queries") % 51))" -eq 0 ] || fail "the queries are not 51 bytes each"
kill -TERM "$serve_pid"
wait "$serve_pid" || true # 143, stopped by the signal
serve_pid=""
[ -s "$cache" ] && grep -q "AOTCache creation is complete" "$serve_log" || fail "serve wrote no AOT cache at $cache"
echo "aot-training: $cache, $(($(wc -c <"$cache") / 1048576)) MiB: demo mesh ready in $((mesh_ready - started)) s," \
  "serve ready $((serve_ready - mesh_ready)) s later, queries answered and cache written $(($(date +%s) - serve_ready)) s after that"
