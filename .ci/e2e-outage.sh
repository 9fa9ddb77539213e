#!/usr/bin/env bash
# A 20 s outage of one cluster's API server, seen through a TCP proxy (socat) between meshdns and that
# server, under dnsperf load: no query lost, no answer changed for any querier cluster (EDNS0 option) while
# the cluster is disconnected, the cluster SYNCED again within 2 s of the proxy coming back, and a change
# made in that cluster during the outage answered after it.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool dig dnsutils
ensure_tool socat socat
ensure_tool dnsperf dnsperf
ensure_tool curl curl

work=$(mktemp -d /tmp/meshdns-outage.XXXXXX)
pids=()
socat_pid=""
stop_proxy() {
  if [ -n "$socat_pid" ]; then
    pkill -P "$socat_pid" 2>/dev/null || true # its forked connections
    kill "$socat_pid" 2>/dev/null || true
    wait "$socat_pid" 2>/dev/null || true
    socat_pid=""
  fi
}
cleanup() {
  stop_proxy
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "e2e-outage: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -30 "$f" >&2; done; exit 1; }

# The demo's two mock API servers (its own meshdns is not the one under test).
demo_port=$(free_port)
java -jar dns-server/target/meshdns.jar demo --dns-port "$demo_port" --http-port 0 --admin-port 0 --kubeconfig-dir "$work/kube" \
  >"$work/demo.log" 2>&1 &
pids+=("$!")
wait_for_dns "$demo_port" web.shop.svc.clusterset.local || fail "the demo did not start"
west_api=$(sed -n 's/^ *server: *//p' "$work/kube/west.kubeconfig")
west_port=${west_api##*:}

proxy_port=$(free_port)
start_proxy() {
  socat "TCP-LISTEN:$proxy_port,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$west_port" 2>>"$work/socat.log" &
  socat_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "socat did not listen on $proxy_port"
}
start_proxy
sed "s#server: *$west_api#server: http://127.0.0.1:$proxy_port#" "$work/kube/west.kubeconfig" >"$work/west-proxied.kubeconfig"
grep -q "127.0.0.1:$proxy_port" "$work/west-proxied.kubeconfig" || fail "could not point west's kubeconfig at the proxy"

port=$(free_port)
http_port=$(free_port)
cat >"$work/meshdns.yaml" <<EOF
dns: {bind: 127.0.0.1, port: $port}
http: {bind: 127.0.0.1, port: $http_port}
admin: {bind: 127.0.0.1, port: 0}
reverseZones: [10.10.0.0/16, 10.20.0.0/16]
clusters:
  - id: east
    kubeconfig: $work/kube/east.kubeconfig
  - id: west
    kubeconfig: $work/west-proxied.kubeconfig
EOF
java -jar dns-server/target/meshdns.jar serve --config "$work/meshdns.yaml" >"$work/meshdns.log" 2>&1 &
pids+=("$!")
wait_for_dns "$port" web.shop.svc.clusterset.local || fail "meshdns did not answer"

# west_state: meshdns's state of west, from its metrics (the gauge that is 1).
west_state() {
  curl -sf "http://127.0.0.1:$http_port/metrics" \
    | sed -n 's/^meshdns_cluster_state{cluster="west",state="\([A-Z]*\)"} 1\.0$/\1/p'
}
for _ in $(seq 1 100); do [ "$(west_state)" = SYNCED ] && break; sleep 0.1; done
[ "$(west_state)" = SYNCED ] || fail "west is $(west_state), not SYNCED, before the outage"

Z=shop.svc.clusterset.local
# answers QUERIER: every answer that depends on west's endpoints, as one querier cluster sees them (sorted).
answers() {
  local opt=()
  case "$1" in
    east) opt=(+ednsopt=65300:65617374) ;;
    west) opt=(+ednsopt=65300:77657374) ;;
  esac
  local q
  for q in "web.$Z A" "db.$Z A" "_postgres._tcp.db.$Z SRV" "db-0.west.db.$Z A" "1.3.20.10.in-addr.arpa PTR" \
      "1.1.20.10.in-addr.arpa PTR"; do
    set -- $q
    echo "$q: $(dig @127.0.0.1 -p "$port" "$1" "$2" "${opt[@]}" +short +time=2 +tries=1 | sort | tr '\n' ' ')"
  done
}
for who in east west neutral; do answers "$who" >"$work/before-$who.txt"; done
grep -q "10.20.1.1" "$work/before-west.txt" || fail "west's pods are not answered before the outage: $(cat "$work/before-west.txt")"

# Load for the whole run: the names above, from a querier in west and a neutral one.
for i in $(seq 1 50); do
  echo "web.$Z A"; echo "db.$Z A"; echo "_postgres._tcp.db.$Z SRV"; echo "1.3.20.10.in-addr.arpa PTR"
done >"$work/queries.txt"
dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -c 4 -l 32 -Q 2000 >"$work/dnsperf.log" 2>&1 &
dnsperf_pid=$!
pids+=("$dnsperf_pid")
sleep 3

echo "e2e-outage: cutting west's API connection for 20 s"
stop_proxy
cut_at=$(date +%s)
compare() { # compare PHASE
  for who in east west neutral; do
    answers "$who" >"$work/$1-$who.txt"
    diff -u "$work/before-$who.txt" "$work/$1-$who.txt" >&2 || fail "the answers for a querier in '$who' changed $1"
  done
}
sleep 3
state=$(west_state)
[ "$state" = DISCONNECTED ] || fail "west is '$state' 3 s into the outage, expected DISCONNECTED"
compare "3s-into-the-outage"
# A change in west while meshdns cannot see it: a new exported service.
curl -sf -X POST -H 'Content-Type: application/json' "$west_api/api/v1/namespaces/shop/services" -d '{
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "news", "namespace": "shop", "annotations": {"meshdns.io/export": "true"}},
  "spec": {"type": "ClusterIP", "clusterIP": "10.97.0.20", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}
}' >/dev/null || fail "could not create shop/news in west"
curl -sf -X POST -H 'Content-Type: application/json' "$west_api/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices" -d '{
  "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
  "metadata": {"name": "news-west-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "news"}},
  "endpoints": [{"addresses": ["10.20.5.1"], "conditions": {"ready": true}}],
  "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]
}' >/dev/null || fail "could not create news's EndpointSlice in west"
sleep_until() { # sleep_until SECONDS: until that long after the cut
  local left=$(($1 - ($(date +%s) - cut_at)))
  [ "$left" -le 0 ] || sleep "$left"
}
sleep_until 10
compare "10s-into-the-outage"
sleep_until 18
compare "18s-into-the-outage"
sleep_until 20

echo "e2e-outage: proxy back after $(($(date +%s) - cut_at)) s"
start_proxy
back_ns=$(date +%s%N)
synced_ms=""
for _ in $(seq 1 100); do
  if [ "$(west_state)" = SYNCED ]; then synced_ms=$((($(date +%s%N) - back_ns) / 1000000)); break; fi
  sleep 0.05
done
[ -n "$synced_ms" ] || fail "west not SYNCED within 5 s of the proxy returning (state $(west_state))"
echo "e2e-outage: west SYNCED $synced_ms ms after the proxy returned"
[ "$synced_ms" -le 2000 ] || fail "west took $synced_ms ms to be SYNCED again (goal: within 2 s)"

news=""
for _ in $(seq 1 40); do
  news=$(dig @127.0.0.1 -p "$port" "news.$Z" A +short +time=1 +tries=1)
  [ "$news" = 10.20.5.1 ] && break
  sleep 0.05
done
[ "$news" = 10.20.5.1 ] || fail "the service created during the outage is not answered after it (got '$news')"
compare "after-the-outage"

wait "$dnsperf_pid" || fail "dnsperf failed"
sent=$(sed -n 's/^ *Queries sent: *\([0-9]*\).*/\1/p' "$work/dnsperf.log")
lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$work/dnsperf.log")
[ -n "$lost" ] && [ "$sent" -gt 0 ] || fail "no dnsperf summary"
[ "$lost" = 0 ] || fail "$lost of $sent queries lost"
echo "e2e-outage: $sent queries under load, 0 lost; answers for east, west and neutral queriers unchanged through a 20 s API outage; west SYNCED $synced_ms ms after it; the change made meanwhile is answered"
