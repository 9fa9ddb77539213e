#!/usr/bin/env bash
# `meshdns serve` follows its config file: clusters added and removed while it runs change the answers.
# The demo provides two mock API servers (east, west) and their kubeconfigs; serve watches them.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

work=$(mktemp -d)
demo_port=$(free_port)
port=$(free_port)
java -jar dns-server/target/meshdns.jar demo --dns-port "$demo_port" --http-port "$(free_port)" --admin-port "$(free_port)" --kubeconfig-dir "$work" >"$work/demo.log" 2>&1 &
demo=$!
serve=""
trap 'kill $demo $serve 2>/dev/null; wait $demo $serve 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
wait_for_dns "$demo_port" web.shop.svc.clusterset.local || { cat "$work/demo.log"; exit 1; }

config() { # config CLUSTER...: a serve config listing these demo clusters
  { echo "clusters:"; for id in "$@"; do printf '  - id: %s\n    kubeconfig: %s.kubeconfig\n' "$id" "$id"; done; } \
    >"$work/meshdns.yaml.tmp"
  mv "$work/meshdns.yaml.tmp" "$work/meshdns.yaml"
}
answers() { dig @127.0.0.1 -p "$port" web.shop.svc.clusterset.local A +short | sort | tr '\n' ' '; }
expect() { # expect WHAT ANSWER: wait up to 30 s for the answer
  for _ in $(seq 1 60); do
    [ "$(answers)" = "$2" ] && { echo "e2e-live-config: $1: $2"; return 0; }
    sleep 0.5
  done
  echo "e2e-live-config: $1: got '$(answers)', expected '$2'"; cat "$work/serve.log"; exit 1
}

config east
java -jar dns-server/target/meshdns.jar serve --config "$work/meshdns.yaml" --bind 127.0.0.1 --dns-port "$port" --http-port "$(free_port)" --admin-port "$(free_port)" \
  >"$work/serve.log" 2>&1 &
serve=$!
east="10.10.1.1 10.10.1.2 10.10.1.3 "
west="10.20.1.1 10.20.1.2 "
expect "east only" "$east"
config east west
expect "west added" "$east$west"
config west
expect "east removed" "$west"
printf 'clusters:\n  - id: Not_A_Label\n' >"$work/meshdns.yaml"
sleep 3
grep -q "key clusters\[0\].id" "$work/serve.log" || { echo "e2e-live-config: broken config not reported"; cat "$work/serve.log"; exit 1; }
expect "broken config ignored" "$west"
echo "e2e-live-config: clusters followed the config file; a broken one was reported and ignored"
