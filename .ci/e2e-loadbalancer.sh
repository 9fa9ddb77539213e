#!/usr/bin/env bash
# The demo jar, queried with kdig carrying the EDNS0 cluster option (65300 = 0xff14, data = the cluster id
# in ASCII, as CoreDNS's `rewrite edns0 local set 0xff14 <cluster>` sends it): local-first answers each
# cluster's own pods; without the option (loopback maps to no cluster) both clusters are answered.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool kdig knot-dnsutils

port=$(free_port)
log=$(mktemp)
java -jar dns-server/target/meshdns.jar demo --dns-port "$port" --http-port "$(free_port)" --admin-port "$(free_port)" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT

wait_for_dns "$port" web.shop.svc.clusterset.local || { cat "$log"; exit 1; }

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

check() { # check LABEL WANT KDIG_ARGS...
  local label=$1 want=$2 got
  shift 2
  got=$(kdig @127.0.0.1 -p "$port" web.shop.svc.clusterset.local A +short "$@" | sort | tr '\n' ' ')
  if [ "$got" != "$want" ]; then
    echo "e2e-loadbalancer: $label answered '$got', expected '$want'"; cat "$log"; exit 1
  fi
}

east="10.10.1.1 10.10.1.2 10.10.1.3 "
west="10.20.1.1 10.20.1.2 "
for proto in +notcp +tcp; do
  check "option east $proto" "$east" "+ednsopt=65300:$(hex east)" $proto
  check "option west $proto" "$west" "+ednsopt=65300:$(hex west)" $proto
  check "no option $proto" "$east$west" $proto
  check "unknown cluster $proto" "$east$west" "+ednsopt=65300:$(hex north)" $proto
done
echo "e2e-loadbalancer: kdig with the EDNS0 cluster option got each cluster's own pods over UDP and TCP; without it, or naming an unknown cluster, both clusters"
