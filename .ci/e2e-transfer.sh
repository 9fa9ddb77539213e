#!/usr/bin/env bash
# meshdns as the primary of real secondaries: Knot (knotd) and NSD, TSIG-keyed, on loopback ports, as the
# current user. A change in a demo cluster reaches both within 2 s (NOTIFY, then IXFR: Knot's log says so);
# a transfer without the key is refused; a restarted meshdns (serial from the clock) still moves both forward.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool kdig knot-dnsutils
ensure_tool knotd knot
ensure_tool nsd nsd
ensure_tool curl curl

Z=clusterset.local
WEB=web.shop.svc.$Z
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "e2e-transfer: $*"
  for f in serve.log serve2.log knot.log nsd/nsd.log; do [ -f "$work/$f" ] && { echo "--- $f"; tail -40 "$work/$f"; }; done
  exit 1
}

mport=$(free_port); kport=$(free_port); nport=$(free_port)
python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' >"$work/tsig.secret"
secret=$(cat "$work/tsig.secret")

# The demo's two mock API servers (east, west) and their kubeconfigs; `serve` is the primary.
java -jar dns-server/target/meshdns.jar demo --dns-port "$(free_port)" --http-port "$(free_port)" --admin-port 0 \
  --kubeconfig-dir "$work" >"$work/demo.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do [ -f "$work/east.kubeconfig" ] && [ -f "$work/west.kubeconfig" ] && break; sleep 0.5; done
cat >"$work/meshdns.yaml" <<EOF
readyAfter: 10s
axfr:
  allow: [127.0.0.0/8]
  tsig:
    - {name: meshdns-xfr, algorithm: hmac-sha256, secretFile: $work/tsig.secret}
  notify: ["127.0.0.1:$kport", "127.0.0.1:$nport"]
  journal: {depth: 50}
clusters:
  - {id: east, kubeconfig: east.kubeconfig}
  - {id: west, kubeconfig: west.kubeconfig}
EOF
serve() { # serve LOG: start the primary
  java -jar dns-server/target/meshdns.jar serve --config "$work/meshdns.yaml" --bind 127.0.0.1 --dns-port "$mport" \
    --http-port "$(free_port)" --admin-port 0 >"$work/$1" 2>&1 &
  serve_pid=$!
  pids+=($serve_pid)
  wait_for_dns "$mport" "$WEB" || fail "meshdns did not answer"
}
serve serve.log

mkdir -p "$work/knot-run" "$work/knot-db"
cat >"$work/knot.conf" <<EOF
server:
    rundir: "$work/knot-run"
    listen: 127.0.0.1@$kport
log:
  - target: stderr
    any: info
database:
    storage: "$work/knot-db"
key:
  - id: meshdns-xfr
    algorithm: hmac-sha256
    secret: $secret
remote:
  - id: meshdns
    address: 127.0.0.1@$mport
    key: meshdns-xfr
acl:
  - id: from-meshdns
    address: 127.0.0.1
    key: meshdns-xfr
    action: notify
zone:
  - domain: $Z
    master: meshdns
    acl: from-meshdns
    file: "$work/knot-db/$Z.zone"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
EOF
knotd -c "$work/knot.conf" >"$work/knot.log" 2>&1 &
pids+=($!)

mkdir -p "$work/nsd"
cat >"$work/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1
    port: $nport
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$work/nsd"
    database: ""
    zonelistfile: "$work/nsd/zone.list"
    xfrdfile: "$work/nsd/xfrd.state"
    xfrdir: "$work/nsd"
    pidfile: "$work/nsd/nsd.pid"
    logfile: "$work/nsd/nsd.log"
    server-count: 1
    verbosity: 2
    rrl-ratelimit: 0
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
key:
    name: meshdns-xfr
    algorithm: hmac-sha256
    secret: "$secret"
zone:
    name: $Z
    zonefile: "$Z.zone"
    allow-notify: 127.0.0.1 meshdns-xfr
    request-xfr: 127.0.0.1@$mport meshdns-xfr
EOF
nsd -d -c "$work/nsd.conf" >"$work/nsd/stdout.log" 2>&1 &
pids+=($!)

answers() { kdig @127.0.0.1 -p "$1" "$WEB" A +short +time=1 +retry=0 2>/dev/null | sort | tr '\n' ' '; }
soa_serial() { kdig @127.0.0.1 -p "$1" "$Z" SOA +short +time=1 +retry=0 2>/dev/null | awk '{print $3}'; }
# until_both SECONDS WANT: both secondaries answer WANT for web.shop; prints the seconds it took.
until_both() {
  local start end
  start=$(date +%s.%N)
  end=$(python3 -c "print($start + $1)")
  while :; do
    if [ "$(answers "$kport")" = "$2" ] && [ "$(answers "$nport")" = "$2" ]; then
      python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')"
      return 0
    fi
    python3 -c "import sys; sys.exit(0 if $(date +%s.%N) < $end else 1)" || return 1
    sleep 0.05
  done
}

initial="10.10.1.1 10.10.1.2 10.10.1.3 10.20.1.1 10.20.1.2 "
took=$(until_both 30 "$initial") || fail "secondaries did not load the zone: Knot '$(answers "$kport")', NSD '$(answers "$nport")'"
echo "e2e-transfer: Knot and NSD loaded $Z from meshdns (serial $(soa_serial "$mport"))"

# A change in the east cluster: one more ready pod in web's EndpointSlice (GET, edit, PUT on the API server).
change() { # change IP: add a ready pod with this address to web-east-1
  local api slice
  api=$(awk '/server:/ {print $2; exit}' "$work/east.kubeconfig")
  slice="$api/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/web-east-1"
  curl -sf "$slice" | python3 -c '
import json, sys
s = json.load(sys.stdin)
s["endpoints"].append({"addresses": [sys.argv[1]], "conditions": {"ready": True, "serving": True, "terminating": False}})
print(json.dumps(s))' "$1" >"$work/slice.json"
  curl -sf -X PUT -H 'Content-Type: application/json' --data @"$work/slice.json" "$slice" >/dev/null
}
knot_lines=$(wc -l <"$work/knot.log")
change 10.10.1.4
want="10.10.1.1 10.10.1.2 10.10.1.3 10.10.1.4 10.20.1.1 10.20.1.2 "
took=$(until_both 2 "$want") || fail "2 s after the change: Knot '$(answers "$kport")', NSD '$(answers "$nport")', meshdns '$(answers "$mport")'"
echo "e2e-transfer: both secondaries answered the new pod ${took}s after the change"
sleep 0.5
after=$(tail -n +"$((knot_lines + 1))" "$work/knot.log")
echo "$after" | grep -q "IXFR, incoming.*finished" || fail "Knot's log shows no finished incoming IXFR after the change: $after"
! echo "$after" | grep -q "AXFR, incoming" || fail "Knot fell back to AXFR after the change: $after"
echo "e2e-transfer: Knot's log shows an incoming IXFR, no AXFR"

# Without the key: refused, although 127.0.0.1 is in the allow list.
unsigned=$(kdig @127.0.0.1 -p "$mport" "$Z" AXFR +time=2 +retry=0 2>&1 || true)
echo "$unsigned" | grep -q "REFUSED" || fail "an unsigned AXFR was not refused: $unsigned"
wrong=$(kdig @127.0.0.1 -p "$mport" "$Z" AXFR -y "hmac-sha256:meshdns-xfr:$(python3 -c 'import base64; print(base64.b64encode(b"x" * 32).decode())')" \
  +time=2 +retry=0 2>&1 || true)
echo "$wrong" | grep -qi "BADSIG" || fail "an AXFR signed with the wrong secret did not get BADSIG: $wrong"
signed=$(kdig @127.0.0.1 -p "$mport" "$Z" AXFR -y "hmac-sha256:meshdns-xfr:$secret" +time=2 +retry=0 2>&1)
echo "$signed" | grep -q "10.10.1.4" || fail "a signed AXFR did not carry the zone: $signed"
echo "e2e-transfer: an AXFR without the key is REFUSED, with a wrong secret BADSIG, with the key it carries the zone"

# Restart the primary: the serial comes from the clock, so it is still ahead of what the secondaries hold.
before=$(soa_serial "$kport")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
serve serve2.log
change 10.10.1.5
want="10.10.1.1 10.10.1.2 10.10.1.3 10.10.1.4 10.10.1.5 10.20.1.1 10.20.1.2 "
took=$(until_both 5 "$want") || fail "after a restart: Knot '$(answers "$kport")', NSD '$(answers "$nport")', meshdns '$(answers "$mport")'"
now=$(soa_serial "$mport")
[ "$(soa_serial "$kport")" = "$now" ] && [ "$(soa_serial "$nport")" = "$now" ] \
  || fail "serials differ after the restart: meshdns $now, Knot $(soa_serial "$kport"), NSD $(soa_serial "$nport")"
echo "e2e-transfer: a restarted meshdns moved both secondaries from serial $before to $now (${took}s)"
