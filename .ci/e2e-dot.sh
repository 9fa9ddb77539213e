#!/usr/bin/env bash
# DNS over TLS with real clients: kdig (+tls, +tls-ca/+tls-hostname) against the demo's throwaway CA, a
# plaintext client on the TLS port cut off, unbound forwarding the zone over TLS (A, NXDOMAIN and NODATA
# through the chain), and mutual TLS under `serve` (kdig with the demo's client certificate, and without).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

Z=clusterset.local
work=$(mktemp -d)
port=$(free_port); dot=$(free_port); http_port=$(free_port); admin_port=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "e2e-dot: $*"; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

java -jar dns-server/target/meshdns.jar demo --tls --dot-port "$dot" --dns-port "$port" --http-port "$http_port" \
  --admin-port "$admin_port" --kubeconfig-dir "$work" >"$work/demo.log" 2>&1 &
pids+=($!)
# wait_for_both PORT: both demo clusters synced, all 5 ready pods answered.
wait_for_both() { wait_for_answers "$1" "web.shop.svc.$Z" 5; }
wait_for_both "$port" || fail "demo did not start"
[ -s "$work/ca.crt" ] || fail "the demo wrote no ca.crt in its kubeconfig directory"
want=$(printf '%s\n' 10.10.1.1 10.10.1.2 10.10.1.3 10.20.1.1 10.20.1.2 | sort)

# Opportunistic TLS, then strict: the certificate must chain to the demo's CA and name the host.
got=$(kdig @127.0.0.1 -p "$dot" +tls "web.shop.svc.$Z" A +short | sort)
[ "$got" = "$want" ] || fail "kdig +tls answered '$got'"
got=$(kdig @127.0.0.1 -p "$dot" +tls-ca="$work/ca.crt" +tls-hostname=localhost "web.shop.svc.$Z" A +short | sort)
[ "$got" = "$want" ] || fail "kdig +tls-ca +tls-hostname answered '$got'"
kdig @127.0.0.1 -p "$dot" +tls-ca="$work/ca.crt" +tls-hostname=not-meshdns.example "web.shop.svc.$Z" A +short >/dev/null 2>&1 \
  && fail "kdig accepted the certificate for a name it does not carry"
session=$(kdig @127.0.0.1 -p "$dot" +tls-ca="$work/ca.crt" +tls-hostname=localhost "web.shop.svc.$Z" A | grep 'TLS session')
case "$session" in *TLS1.3*) ;; *) fail "not TLS 1.3: $session" ;; esac
echo "e2e-dot: kdig +tls and +tls-ca/+tls-hostname answered the 5 ready IPs over TLS 1.3; a wrong hostname is refused"

# A plaintext DNS-over-TCP client on the TLS port is closed at once, not after the 2 s query deadline.
start=$(date +%s%N)
dig @127.0.0.1 -p "$dot" +tcp +tries=1 +time=5 "web.shop.svc.$Z" A >/dev/null 2>&1 && fail "plaintext dig got an answer on the TLS port"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "plaintext client closed after $ms ms"
metrics=$(curl -sf "http://127.0.0.1:$http_port/metrics")
grep -q '^meshdns_dns_requests_total{proto="dot",type="A"} [1-9]' <<<"$metrics" || fail "no proto=\"dot\" requests in /metrics"
grep -q '^meshdns_tls_certificate_expiry_seconds [1-9]' <<<"$metrics" || fail "no meshdns_tls_certificate_expiry_seconds in /metrics"
subject=$(curl -sf "http://127.0.0.1:$admin_port/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tls"]["subject"])')
[ "$subject" = "CN=meshdns demo" ] || fail "status API shows certificate subject '$subject'"
echo "e2e-dot: plaintext client closed in $ms ms; dot requests, certificate expiry gauge and status subject present"

# unbound as a forwarder over TLS (forward-tls-upstream), validating the certificate against the demo CA.
ub_port=$(free_port)
cat >"$work/unbound.conf" <<UB
server:
  interface: 127.0.0.1
  port: $ub_port
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 1
  module-config: "iterator"
  do-not-query-localhost: no
  tls-cert-bundle: "$work/ca.crt"
  domain-insecure: "$Z"
  private-domain: "$Z"
remote-control:
  control-enable: no
forward-zone:
  name: "$Z"
  forward-addr: 127.0.0.1@$dot#localhost
  forward-tls-upstream: yes
UB
unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
pids+=($!)
wait_for_dns "$ub_port" "web.shop.svc.$Z" || fail "unbound did not answer through meshdns"
got=$(dig @127.0.0.1 -p "$ub_port" "web.shop.svc.$Z" A +short | sort)
[ "$got" = "$want" ] || fail "unbound answered '$got'"
status=$(dig @127.0.0.1 -p "$ub_port" "nope.shop.svc.$Z" A +comments | grep -o 'status: [A-Z]*')
[ "$status" = "status: NXDOMAIN" ] || fail "unbound gave '$status' for an unknown name"
nodata=$(dig @127.0.0.1 -p "$ub_port" "web.shop.svc.$Z" TXT +noall +comments +answer)
echo "$nodata" | grep -q 'status: NOERROR' || fail "unbound: no NOERROR for NODATA: $nodata"
echo "$nodata" | grep -q 'ANSWER: 0' || fail "unbound: NODATA has answers: $nodata"
dot_queries=$(curl -sf "http://127.0.0.1:$http_port/metrics" | sed -n 's/^meshdns_dns_requests_total{proto="dot",type="TXT"} //p')
[ "${dot_queries%.*}" -ge 1 ] || fail "the TXT query did not reach meshdns over TLS"
echo "e2e-dot: unbound with forward-tls-upstream: A (5 IPs), NXDOMAIN and NODATA survive the chain"

# Mutual TLS: serve the demo's clusters with clientCaFile; the demo's client certificate is issued by ca.crt.
s_port=$(free_port); s_dot=$(free_port); s_http=$(free_port); s_admin=$(free_port)
cat >"$work/meshdns.yaml" <<YAML
dns:
  bind: 127.0.0.1
  port: $s_port
  tls: {port: $s_dot, certFile: tls.crt, keyFile: tls.key, clientCaFile: ca.crt}
http: {bind: 127.0.0.1, port: $s_http}
admin: {port: $s_admin}
clusters:
  - id: east
    kubeconfig: east.kubeconfig
    reachability: [pod, clusterIP]
  - id: west
    kubeconfig: west.kubeconfig
YAML
java -jar dns-server/target/meshdns.jar serve --config "$work/meshdns.yaml" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for_both "$s_port" || fail "serve did not start"
got=$(kdig @127.0.0.1 -p "$s_dot" +tls-ca="$work/ca.crt" +tls-hostname=localhost +tls-certfile="$work/client.crt" \
  +tls-keyfile="$work/client.key" "web.shop.svc.$Z" A +short | sort)
[ "$got" = "$want" ] || fail "mutual TLS with the client certificate answered '$got'"
if got=$(kdig @127.0.0.1 -p "$s_dot" +tls-ca="$work/ca.crt" +tls-hostname=localhost +retry=0 +time=3 \
  "web.shop.svc.$Z" A +short 2>&1); then
  fail "mutual TLS answered a client without a certificate: '$got'"
fi
# Under TLS 1.3 the client's handshake is done before the server has checked its (absent) certificate, so
# kdig meets the server's alert either while it queries or while it waits for the reply; both are refusals.
case "$got" in
  *10.10.1.*|*10.20.1.*) fail "mutual TLS answered a client without a certificate: '$got'" ;;
  *"failed to query server"*|*"failed to receive reply"*) ;;
  *) fail "kdig without a client certificate: '$got'" ;;
esac
echo "e2e-dot: mutual TLS answers kdig with the client certificate and refuses it without"
