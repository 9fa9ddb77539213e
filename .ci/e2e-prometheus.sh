#!/usr/bin/env bash
# A real Prometheus (Debian's package) scrapes meshdns with the shipped alerting rules loaded: the target
# is up, the request counter follows dig traffic, every rule evaluates cleanly, every dashboard query
# returns series; then one cluster's API server is cut and the cluster-state alert turns pending.
#
# The demo provides two mock API servers (east, west). `serve` watches east directly and west through a
# socat proxy, so killing the proxy cuts west the way a network failure would.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool prometheus prometheus
ensure_tool socat socat
ensure_tool curl curl
ensure_tool dig dnsutils

work=$(mktemp -d)
demo="" serve="" proxy="" prom=""
cleanup() {
  [ -n "$proxy" ] && kill -- "-$proxy" 2>/dev/null
  for p in $prom $serve $demo; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "e2e-prometheus: $*"
  for f in serve.log prometheus.log; do echo "--- $f"; tail -n 40 "$work/$f" 2>/dev/null || true; done
  exit 1
}

java -jar dns-server/target/meshdns.jar demo --dns-port "$(free_port)" --http-port "$(free_port)" --admin-port 0 --kubeconfig-dir "$work" \
  >"$work/demo.log" 2>&1 &
demo=$!
for _ in $(seq 1 120); do [ -s "$work/west.kubeconfig" ] && grep -q 'Press Ctrl-C' "$work/demo.log" && break; sleep 0.5; done
west_api=$(sed -n 's/^ *server: http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$work/west.kubeconfig")
[ -n "$west_api" ] || { cat "$work/demo.log"; fail "no west API server in the demo's kubeconfig"; }

# setsid: the proxy and the children it forks per connection form one process group, killed together.
proxy_port=$(free_port)
setsid socat "TCP-LISTEN:$proxy_port,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$west_api" &
proxy=$!
sed "s#http://127.0.0.1:$west_api#http://127.0.0.1:$proxy_port#" "$work/west.kubeconfig" >"$work/west-via-proxy.kubeconfig"
printf 'clusters:\n  - id: east\n    kubeconfig: east.kubeconfig\n  - id: west\n    kubeconfig: west-via-proxy.kubeconfig\n' \
  >"$work/meshdns.yaml"

dns_port=$(free_port)
http_port=$(free_port)
java -jar dns-server/target/meshdns.jar serve --config "$work/meshdns.yaml" --bind 127.0.0.1 --dns-port "$dns_port" \
  --http-port "$http_port" --admin-port 0 >"$work/serve.log" 2>&1 &
serve=$!

prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/deploy/prometheus/meshdns-rules.yaml
scrape_configs:
  - job_name: meshdns
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom=$!
api="http://127.0.0.1:$prom_port/api/v1"

# query PROMQL: the instant query's result array as JSON (fails on an API error).
query() {
  curl -sf --data-urlencode "query=$1" "$api/query" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "success", r
print(json.dumps(r["data"]["result"]))'
}
# scalar PROMQL: the value of a one-series result, or "none".
scalar() {
  query "$1" | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r[0]["value"][1] if r else "none")'
}
# eventually SECONDS DESCRIPTION COMMAND...: retry the command every 0.5 s until it succeeds.
eventually() {
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  fail "$what: not within $seconds s"
}

wait_for_dns "$dns_port" web.shop.svc.clusterset.local || fail "serve does not answer"
up_twice() { [ "$(scalar 'count_over_time(up{job="meshdns"}[1m])')" -ge 2 ] && [ "$(scalar 'up{job="meshdns"}')" = 1 ]; }
eventually 60 'two scrapes with up{job="meshdns"} == 1' up_twice
both_synced() { [ "$(scalar 'sum(meshdns_cluster_state{job="meshdns", state="SYNCED"})')" = 2 ]; }
eventually 30 "both clusters SYNCED in Prometheus" both_synced
echo "e2e-prometheus: up{job=\"meshdns\"} == 1 after two scrapes, east and west SYNCED"

requests='sum(meshdns_dns_requests_total{job="meshdns"})'
before=$(scalar "$requests")
for _ in $(seq 1 20); do
  dig @127.0.0.1 -p "$dns_port" web.shop.svc.clusterset.local A +short +tries=1 >/dev/null
done
counted() { python3 -c "import sys; sys.exit(0 if float('$(scalar "$requests")') >= $before + 20 else 1)"; }
eventually 15 "meshdns_dns_requests_total to grow by the 20 digs from $before" counted
echo "e2e-prometheus: meshdns_dns_requests_total went from $before to $(scalar "$requests") after 20 digs"

# Every shipped rule is loaded and evaluates without error against real meshdns series.
rules_ok() {
  curl -sf "$api/rules" | python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
assert len(rules) >= 10 and not bad, (len(rules), bad)'
}
eventually 10 "every rule loaded and healthy" rules_ok

# Every dashboard query, with the dashboard's variables set as Grafana would, returns series.
python3 - "deploy/grafana/meshdns-dashboard.json" <<'EOF' >"$work/dashboard-queries"
import json, sys
def targets(panels):
    for p in panels:
        yield from (t["expr"] for t in p.get("targets", []))
        yield from targets(p.get("panels", []))
for expr in targets(json.load(open(sys.argv[1]))["panels"]):
    expr = expr.replace("$__rate_interval", "1m").replace('=~"$job"', '=~"meshdns"').replace('=~"$instance"', '=~".*"')
    print(json.dumps(expr))
EOF
while read -r line; do
  expr=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]))' "$line")
  [ "$(query "$expr")" != "[]" ] || fail "dashboard query returns no series: $expr"
done <"$work/dashboard-queries"
echo "e2e-prometheus: all $(wc -l <"$work/dashboard-queries") dashboard queries return series; every rule evaluates"

alerts() { curl -sf "$api/alerts"; }
alert_state() { # alert_state NAME CLUSTER: the state of that alert for that cluster, or "none"
  alerts | python3 -c '
import json, sys
name, cluster = sys.argv[1], sys.argv[2]
found = [a["state"] for a in json.load(sys.stdin)["data"]["alerts"]
         if a["labels"]["alertname"] == name and a["labels"].get("cluster") == cluster]
print(found[0] if found else "none")' "$1" "$2"
}
[ "$(alert_state MeshdnsClusterDisconnected west)" = none ] || fail "MeshdnsClusterDisconnected before any cut"

kill -- "-$proxy"
wait "$proxy" 2>/dev/null || true
proxy=""
west_disconnected() { [ "$(scalar 'meshdns_cluster_state{job="meshdns", cluster="west", state="DISCONNECTED"}')" = 1 ]; }
eventually 30 "west DISCONNECTED in Prometheus after its proxy was killed" west_disconnected
pending() { [ "$(alert_state MeshdnsClusterDisconnected west)" = pending ]; }
eventually 15 "MeshdnsClusterDisconnected{cluster=\"west\"} pending" pending
[ "$(alert_state MeshdnsClusterDisconnected east)" = none ] || fail "MeshdnsClusterDisconnected for east, which is connected"
echo "e2e-prometheus: west cut: MeshdnsClusterDisconnected{cluster=\"west\"} pending in Prometheus, none for east"
