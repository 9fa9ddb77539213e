#!/usr/bin/env bash
# Every curl and dig command of docs/runbook.md (fenced or inline) runs against the demo as written: only the
# runbook's own variables METRICS and ADMIN are set (to the demo's free ports), and its placeholders <ns> and
# <svc> name a demo service (shop/checkout). A command fails on a non-2xx answer (curl runs with -f), a jq
# error (a filter that does not fit the JSON's shape, e.g. .[] over {items: [...]}) or no output at all (a
# select(...) may match nothing on a healthy demo). Commands only an operator inside a cluster can run
# (<pod IP>, <meshdns address>) are listed as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool curl curl
ensure_tool jq jq
ensure_tool dig dnsutils
runbook=${1:-docs/runbook.md}

dns_port=$(free_port); http_port=$(free_port); admin_port=$(free_port)
log=$(mktemp)
java -jar dns-server/target/meshdns.jar demo --dns-port "$dns_port" --http-port "$http_port" --admin-port "$admin_port" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
fail() { echo "e2e-runbook: $*"; exit 1; }
wait_for_answers "$dns_port" web.shop.svc.clusterset.local 5 || { cat "$log"; fail "the demo did not start"; }
for _ in $(seq 1 120); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/readyz")" = 200 ] && break
  sleep 0.5
done

# The commands: lines of fenced blocks, and inline code spans, that start with curl or dig.
mapfile -t commands < <(python3 - "$runbook" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
found = []
for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
    found += [l.strip() for l in block.splitlines() if re.match(r"\s*(curl|dig) ", l)]
prose = re.sub(r"```.*?```", "", text, flags=re.S)
found += [c for c in re.findall(r"`([^`\n]+)`", prose) if re.match(r"(curl|dig) ", c)]
print("\n".join(dict.fromkeys(found)))
PY
)
[ "${#commands[@]}" -ge 5 ] || fail "found only ${#commands[@]} commands in $runbook"

ran=0; skipped=()
for cmd in "${commands[@]}"; do
  if [[ "$cmd" == *"<pod IP>"* || "$cmd" == *"<meshdns address>"* ]]; then
    skipped+=("$cmd"); continue
  fi
  run=${cmd//<ns>/shop}; run=${run//<svc>/checkout}
  if ! out=$(METRICS="127.0.0.1:$http_port" ADMIN="127.0.0.1:$admin_port" \
      bash -c 'set -o pipefail; curl() { command curl -f "$@"; }; eval "$1"' _ "$run" 2>&1); then
    fail "'$cmd' failed: $out"
  fi
  if [ -z "$out" ] && [[ "$cmd" != *"select("* ]]; then
    fail "'$cmd' printed nothing"
  fi
  ran=$((ran + 1))
done
# The alerts' default runbook_url: the admin listener serves this runbook with an anchor per alert.
page=$(curl -sf "http://127.0.0.1:$admin_port/runbook") || fail "/runbook did not answer"
for anchor in $(sed -n 's|.*runbook_url: http://localhost:9154/runbook#||p' deploy/prometheus/meshdns-rules.yaml); do
  [[ "$page" == *"id=\"$anchor\""* ]] || fail "/runbook has no section #$anchor"
done
for s in "${skipped[@]}"; do echo "e2e-runbook: skipped (needs a cluster): $s"; done
echo "e2e-runbook: $ran commands of $runbook ran against the demo as written"
