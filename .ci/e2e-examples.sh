#!/usr/bin/env bash
# examples/*.yaml as a new user runs them: copied unchanged next to the demo's kubeconfigs (the demo started
# once with --kubeconfig-dir <copy>/demo-kubeconfigs), each served in turn (only the ports moved to free
# ones through the command line), until /readyz says ready and dig gets the answer its comments promise.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool dig dnsutils
ensure_tool curl curl

jar=dns-server/target/meshdns.jar
work=$(mktemp -d)
cp -r examples "$work/examples"
rm -rf "$work/examples/demo-kubeconfigs"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "e2e-examples: $*"; for f in "$work"/*.log; do echo "== $f"; tail -30 "$f"; done; exit 1; }

demo_port=$(free_port)
java -jar "$jar" demo --kubeconfig-dir "$work/examples/demo-kubeconfigs" --dns-port "$demo_port" \
  --http-port 0 --admin-port 0 >"$work/demo.log" 2>&1 &
pids+=($!)
wait_for_answers "$demo_port" web.shop.svc.clusterset.local 5 || fail "the demo did not start"

# expect NAME COMMAND...: COMMAND's output, sorted and joined, must be NAME's expected text ($want).
expect() {
  local what="$1" want="$2"; shift 2
  local got
  got=$("$@" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || fail "$example: $what: '$*' gave '$got', expected '$want'"
}

Z=clusterset.local
# All examples side by side (each on its own free ports): one start-up's wait instead of four.
declare -A dns_of http_of pid_of
for file in "$work"/examples/*.yaml; do
  example=$(basename "$file")
  dns_of[$example]=$(free_port); http_of[$example]=$(free_port)
  java -jar "$jar" serve --config "$file" --dns-port "${dns_of[$example]}" --http-port "${http_of[$example]}" \
    --admin-port 0 >"$work/$example.log" 2>&1 &
  pid_of[$example]=$!
  pids+=("${pid_of[$example]}")
done
count=0
for file in "$work"/examples/*.yaml; do
  example=$(basename "$file")
  dns=${dns_of[$example]}; http=${http_of[$example]}; pid=${pid_of[$example]}
  ready=""
  for _ in $(seq 1 240); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/readyz")" = 200 ]; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || fail "$example: serve exited"
    sleep 0.25
  done
  [ -n "$ready" ] || fail "$example: /readyz not 200 within 60 s"
  d=(dig @127.0.0.1 -p "$dns" +short +time=2 +tries=1)
  case "$example" in
    two-clusters.yaml)
      expect "both clusters' ready pods" "10.10.1.1 10.10.1.2 10.10.1.3 10.20.1.1 10.20.1.2" "${d[@]}" "web.shop.svc.$Z" A ;;
    local-first-with-zones.yaml)
      expect "a querier from loopback is in east: east's pods only" "10.10.1.1 10.10.1.2 10.10.1.3" "${d[@]}" "web.shop.svc.$Z" A ;;
    headless-statefulset.yaml)
      expect "every pod of the headless service" "10.10.3.1 10.10.3.2 10.20.3.1" "${d[@]}" "db.shop.svc.$Z" A
      expect "a pod's own name" "10.10.3.1" "${d[@]}" "db-0.east.db.shop.svc.$Z" A
      expect "a pod's PTR" "db-0.east.db.shop.svc.$Z." "${d[@]}" -x 10.10.3.1 ;;
    with-secondaries.yaml)
      secret=$(cat "$work/examples/DEMO-ONLY-tsig.secret")
      records=$(dig @127.0.0.1 -p "$dns" "$Z" AXFR -y "hmac-sha256:meshdns-xfr:$secret" +noall +answer | grep -c "IN" || true)
      [ "$records" -ge 20 ] || fail "$example: the signed AXFR gave $records records"
      unsigned=$(dig @127.0.0.1 -p "$dns" "$Z" AXFR +noall +answer | grep -c "IN" || true)
      [ "$unsigned" -eq 0 ] || fail "$example: an unsigned AXFR was answered ($unsigned records)" ;;
    *)
      expect "an answer" "10.10.1.1 10.10.1.2 10.10.1.3 10.20.1.1 10.20.1.2" "${d[@]}" "web.shop.svc.$Z" A ;;
  esac
  count=$((count + 1))
done
[ "$count" -ge 4 ] || fail "only $count examples found"
echo "e2e-examples: $count examples started against the demo, turned ready and answered as their comments say"
