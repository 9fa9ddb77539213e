#!/usr/bin/env bash
# The demo jar's HTTP listeners: probes and /metrics (after real digs, checked by Prometheus's own promtool)
# on the metrics port; the status page and its JSON API (ETag, 304) on the admin port; the optional query log.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool promtool prometheus
ensure_tool curl curl

dns_port=$(free_port)
http_port=$(free_port)
admin_port=$(free_port)
log=$(mktemp)
metrics=$(mktemp)
java -jar dns-server/target/meshdns.jar demo --dns-port "$dns_port" --http-port "$http_port" --admin-port "$admin_port" --query-log >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$log" "$metrics"' EXIT
fail() { echo "e2e-observability: $*"; cat "$log"; exit 1; }

wait_for_dns "$dns_port" web.shop.svc.clusterset.local || fail "no DNS answer"
base="http://127.0.0.1:$http_port"
admin="http://127.0.0.1:$admin_port"
for _ in $(seq 1 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] && break
  sleep 0.5
done
# Bodies are read whole before grep: with pipefail, grep -q closing the pipe early would fail curl.
readyz=$(curl -s "$base/readyz")
[[ "$readyz" == *'"ready":true'* ]] || fail "/readyz is not ready: $readyz"
healthz=$(curl -s "$base/healthz")
[[ "$healthz" == *'"status":"ok"'* ]] || fail "/healthz is not ok: $healthz"

dig @127.0.0.1 -p "$dns_port" web.shop.svc.clusterset.local A +short >/dev/null
dig @127.0.0.1 -p "$dns_port" web.shop.svc.clusterset.local AAAA +tcp >/dev/null
dig @127.0.0.1 -p "$dns_port" nope.shop.svc.clusterset.local A >/dev/null
dig @127.0.0.1 -p "$dns_port" example.com A >/dev/null

curl -sf "$base/metrics" >"$metrics" || fail "/metrics did not answer"
promtool check metrics <"$metrics" || fail "promtool rejected /metrics"
for name in meshdns_dns_requests_total meshdns_dns_responses_total meshdns_dns_request_duration_seconds_bucket \
    meshdns_cache_hits_total meshdns_cache_misses_total meshdns_cluster_state meshdns_cluster_last_event_age_seconds \
    meshdns_cluster_endpoints meshdns_watch_restarts_total meshdns_snapshot_version meshdns_propagation_seconds_bucket \
    meshdns_build_info jvm_memory_used_bytes process_cpu_seconds_total; do
  grep -q "^$name[{ ]" "$metrics" || fail "/metrics has no $name"
done
grep -q '^meshdns_dns_requests_total{proto="udp",type="A"} [1-9]' "$metrics" || fail "the UDP A query was not counted"
grep -q '^meshdns_dns_requests_total{proto="tcp",type="AAAA"} [1-9]' "$metrics" || fail "the TCP AAAA query was not counted"
grep -q '^meshdns_dns_responses_total{rcode="NXDOMAIN"} [1-9]' "$metrics" || fail "the NXDOMAIN was not counted"
grep -q '^meshdns_dns_responses_total{rcode="REFUSED"} [1-9]' "$metrics" || fail "the REFUSED was not counted"

curl -sf "$admin/api/resolve?name=web.shop.svc.clusterset.local&type=A&cluster=east" | python3 -c '
import json, sys
r = json.load(sys.stdin)
got = sorted(x["data"] + "@" + x["cluster"] for x in r["records"])
want = sorted(["10.10.1.1@east", "10.10.1.2@east", "10.10.1.3@east"])
assert r["rcode"] == "NOERROR" and got == want and r["policy"] == "local-first", r
' || fail "/api/resolve as east did not answer east's 3 ready endpoints (local-first)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$admin/api/resolve?name=not..valid")
[ "$code" = 400 ] || fail "a garbage name gave HTTP $code, not 400"
page=$(curl -sf "$admin/")
[[ "$page" == *'<title>meshdns status</title>'* ]] || fail "/ is not the status page"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status")
[ "$code" = 404 ] || fail "/api/status on the metrics port gave HTTP $code, not 404"
curl -sf "$admin/api/services?state=single-cluster" | python3 -c '
import json, sys
r = json.load(sys.stdin)
got = [s["namespace"] + "/" + s["name"] for s in r["items"]]
assert got == ["shop/cart", "shop/docs"] and r["total"] == 5, r
' || fail "/api/services?state=single-cluster did not list shop/cart and shop/docs"
etag=$(curl -sf -D - -o /dev/null "$admin/api/status" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
[ -n "$etag" ] || fail "/api/status has no ETag"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$admin/api/status")
[ "$code" = 304 ] || fail "an unchanged /api/status with If-None-Match gave HTTP $code, not 304"

grep -q 'QueryLog - client=127.0.0.1 proto=udp name=web.shop.svc.clusterset.local. type=A rcode=NOERROR answers=5' "$log" \
  || fail "--query-log wrote no line for the A query"
echo "e2e-observability: probes ready, promtool accepts /metrics with every meshdns metric, admin API (resolve, services filter, 304) and query log work"
