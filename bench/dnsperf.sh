#!/usr/bin/env bash
# meshdns against Knot DNS on the same zone, machine and dnsperf settings (see bench/README.md).
#
# Starts `meshdns demo` on a synthetic mesh, copies its zone by AXFR into a zone file, serves that file with
# Knot DNS on another loopback port, then runs dnsperf against both alternately (A B A B ...): UDP rounds of a
# fixed duration at full speed, a local-first round, latency rounds at half of meshdns's median peak rate,
# and TCP rounds; each kind alternates servers and reports the median of its per-round ratios. Appends the
# results to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

clusters=2 services=1000 pods=3 rounds=3 duration=10 warmup=5 count=100000 clients=64 record=1
usage() {
  echo "usage: bench/dnsperf.sh [--clusters C] [--services N] [--pods-per-cluster K] [--rounds R] [--duration SECONDS]"
  echo "                        [--warmup SECONDS] [--clients N] [--no-record]"
}
fail() { echo "dnsperf.sh: $*" >&2; exit 1; }
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --clusters|--services|--pods-per-cluster|--rounds|--duration|--warmup|--clients)
      [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { usage >&2; fail "$1 needs a whole number above 0"; }
      case "$1" in
        --clusters) clusters=$2 ;; --services) services=$2 ;; --pods-per-cluster) pods=$2 ;;
        --rounds) rounds=$2 ;; --duration) duration=$2 ;; --warmup) warmup=$2 ;; --clients) clients=$2 ;;
      esac
      shift 2 ;;
    --no-record) record=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option '$1'" ;;
  esac
done

# Tools first, each failure one clear line.
command -v java >/dev/null || fail "java not found: a JDK 17 or newer is needed"
command -v python3 >/dev/null || fail "python3 not found (it writes the zone and query files)"
ensure_tool dnsperf dnsperf
ensure_tool kdig knot-dnsutils
ensure_tool knotd knot
clk_tck=$(getconf CLK_TCK)

jar=dns-server/target/meshdns.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml core testkit discovery loadbalancer forwarder-config dns-server -path '*/target' -prune \
    -o -type f -newer "$jar" \( -name '*.java' -o -name 'pom.xml' -o -name '*.properties' \) -print | head -1)" ]; then
  echo "== building $jar"
  ./mvnw -B -q -pl dns-server -am -DskipTests package
fi

mport=$(free_port)
kport=$(free_port)
while [ "$kport" = "$mport" ]; do kport=$(free_port); done

work=$(mktemp -d /tmp/meshdns-dnsperf.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# utime + stime of a process in clock ticks (fields 14 and 15 of /proc/PID/stat; the name may hold spaces).
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") || fail "process $1 is gone"
  stat=${stat##*) }
  set -- $stat
  echo $(( ${12} + ${13} ))
}

echo "== meshdns demo: $clusters clusters x $services services x $pods pods, DNS on 127.0.0.1 port $mport"
java ${MESHDNS_JAVA_OPTS:-} \
  -jar "$jar" demo --clusters "$clusters" --services "$services" --pods-per-cluster "$pods" \
  --dns-port "$mport" --http-port 0 --admin-port 0 --kubeconfig-dir "$work/kube" >"$work/meshdns.log" 2>&1 &
mpid=$!
pids+=("$mpid")
for _ in $(seq 1 1200); do
  grep -q "^mesh synced" "$work/meshdns.log" && break
  grep -q "^mesh NOT synced" "$work/meshdns.log" && { cat "$work/meshdns.log" >&2; fail "meshdns did not sync the mesh"; }
  kill -0 "$mpid" 2>/dev/null || { tail -20 "$work/meshdns.log" >&2; fail "meshdns exited before the mesh synced"; }
  sleep 0.5
done
grep -q "^mesh synced" "$work/meshdns.log" || fail "meshdns did not sync the mesh within 10 minutes"
grep -E "^(Synthetic|mesh synced)" "$work/meshdns.log"

echo "== zone transfer from meshdns"
kdig @127.0.0.1 -p "$mport" clusterset.local AXFR >"$work/axfr.txt" || fail "AXFR from meshdns failed"
records=$(python3 bench/dnsperf_lib.py zone "$work/axfr.txt" "$work/clusterset.local.zone")
echo "$records records"

echo "== Knot DNS on 127.0.0.1 port $kport"
mkdir -p "$work/knot-run" "$work/knot-db"
# Knot answers every query: response rate limiting is a module (rrl) that is only on when configured.
cat >"$work/knot.conf" <<EOF
server:
    rundir: "$work/knot-run"
    listen: 127.0.0.1@$kport
database:
    storage: "$work/knot-db"
log:
  - target: stderr
    any: warning
zone:
  - domain: clusterset.local
    file: "$work/clusterset.local.zone"
    zonefile-sync: -1
    journal-content: none
EOF
knotd -c "$work/knot.conf" >"$work/knot.log" 2>&1 &
kpid=$!
pids+=("$kpid")
for _ in $(seq 1 100); do
  kdig @127.0.0.1 -p "$kport" clusterset.local SOA +short +time=1 +retry=0 2>/dev/null | grep -q . && break
  kill -0 "$kpid" 2>/dev/null || { cat "$work/knot.log" >&2; fail "knotd exited"; }
  sleep 0.1
done
msoa=$(kdig @127.0.0.1 -p "$mport" clusterset.local SOA +short)
ksoa=$(kdig @127.0.0.1 -p "$kport" clusterset.local SOA +short)
[ -n "$ksoa" ] && [ "$msoa" = "$ksoa" ] || fail "Knot serves SOA '$ksoa', meshdns '$msoa'"
# Same answers from both, so both are measured on the same work.
for q in "svc-0.ns-0.svc.clusterset.local A" "sVc-9.Ns-1.svc.clusterset.local A" "pod-0.c0.svc-9.ns-1.svc.clusterset.local A" \
    "_tcp-db._tcp.svc-9.ns-1.svc.clusterset.local SRV" "_http._tcp.svc-1.ns-1.svc.clusterset.local SRV" \
    "svc-0.ns-0.svc.clusterset.local AAAA" "nope-1.ns-1.svc.clusterset.local A"; do
  set -- $q
  m=$(kdig @127.0.0.1 -p "$mport" "$1" "$2" +short | sort || true)
  k=$(kdig @127.0.0.1 -p "$kport" "$1" "$2" +short | sort || true)
  [ "$m" = "$k" ] || fail "meshdns and Knot answer '$q' differently (meshdns caps answers at 8 records: keep clusters x pods <= 8):"$'\n'"$m"$'\n'"---"$'\n'"$k"
  mr=$(kdig @127.0.0.1 -p "$mport" "$1" "$2" | grep -o 'status: [A-Z]*' || true)
  kr=$(kdig @127.0.0.1 -p "$kport" "$1" "$2" | grep -o 'status: [A-Z]*' || true)
  [ "$mr" = "$kr" ] || fail "meshdns gives $mr, Knot $kr for '$q'"
done
echo "both servers give the same answers to the sample questions"

python3 bench/dnsperf_lib.py queries "$work/clusterset.local.zone" "$work/queries.txt" "$count" 8

# run NAME PORT OUTFILE EXTRA-ARGS...: one dnsperf run; prints "summary key=values" plus cpu_us (server CPU per query).
declare -A pid_of=([meshdns]=$mpid [knot]=$kpid)
declare -A port_of=([meshdns]=$mport [knot]=$kport)
run() {
  local name=$1 out=$2
  shift 2
  local pid=${pid_of[$name]} before after
  before=$(cpu_ticks "$pid")
  dnsperf -s 127.0.0.1 -p "${port_of[$name]}" -d "$work/queries.txt" -c "$clients" "$@" >"$out" 2>&1 \
    || { cat "$out" >&2; fail "dnsperf against $name failed"; }
  after=$(cpu_ticks "$pid")
  local summary completed
  summary=$(python3 bench/dnsperf_lib.py summary "$out")
  completed=$(echo "$summary" | sed -n 's/^completed=//p')
  echo "$summary"
  python3 -c "print('cpu_us=%.2f' % (($after - $before) / $clk_tck / max(1, $completed) * 1e6))"
}
value() { echo "$1" | sed -n "s/^$2=//p"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== warm-up, $warmup s each (not counted); load average $load_before"
run meshdns "$work/warm-m.txt" -l "$warmup" >/dev/null
run knot "$work/warm-k.txt" -l "$warmup" >/dev/null

table="| round | server | queries/s | mean latency | lost | server CPU/query | response codes |"$'\n'
table+="|---|---|---|---|---|---|---|"$'\n'
qps_ratios=() cpu_ratios=() mqps=() mcpu=() kqps=() kcpu=()
for r in $(seq 1 "$rounds"); do
  declare -A res=()
  for name in meshdns knot; do
    res[$name]=$(run "$name" "$work/udp-$name-$r.txt" -l "$duration")
    s=${res[$name]}
    table+="| UDP $r | $name | $(value "$s" qps) | $(value "$s" mean_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs | $(value "$s" rcodes) |"$'\n'
    echo "UDP round $r $name: $(echo "$s" | tr '\n' ' ')"
  done
  qps_ratios+=("$(ratio "$(value "${res[meshdns]}" qps)" "$(value "${res[knot]}" qps)")")
  cpu_ratios+=("$(ratio "$(value "${res[meshdns]}" cpu_us)" "$(value "${res[knot]}" cpu_us)")")
  mqps+=("$(value "${res[meshdns]}" qps)"); kqps+=("$(value "${res[knot]}" qps)")
  mcpu+=("$(value "${res[meshdns]}" cpu_us)"); kcpu+=("$(value "${res[knot]}" cpu_us)")
  unset res
done
peak=$(median "${mqps[@]}")
half=$(python3 -c "print(int($peak / 2))")

# Local-first queriers: one dnsperf per cluster, each sending that cluster's EDNS0 option (as the CoreDNS
# stanza's `rewrite edns0 local set 0xff14 <cluster>` does), side by side, so meshdns answers through the
# policy path for every querier cluster; Knot gets the same packets and ignores the option.
run_queriers() {
  local name=$1 out=$2 pid=${pid_of[$1]} before after per=$(( clients / clusters > 0 ? clients / clusters : 1 )) c
  local qpids=()
  before=$(cpu_ticks "$pid")
  for c in $(seq 0 $((clusters - 1))); do
    dnsperf -s 127.0.0.1 -p "${port_of[$name]}" -d "$work/queries.txt" -c "$per" -l "$duration" \
      -E "65300:$(printf 'c%d' "$c" | od -An -tx1 | tr -d ' \n')" >"$out.$c" 2>&1 &
    qpids+=($!)
  done
  for p in "${qpids[@]}"; do wait "$p" || fail "dnsperf (local-first queriers) against $name failed"; done
  after=$(cpu_ticks "$pid")
  python3 bench/dnsperf_lib.py sum "$after" "$before" "$clk_tck" "$out".*
}
echo "== local-first queriers: $clusters dnsperf side by side, one EDNS0 cluster option each"
declare -A lf=()
for name in meshdns knot; do
  lf[$name]=$(run_queriers "$name" "$work/lf-$name.txt")
  s=${lf[$name]}
  table+="| UDP local-first | $name | $(value "$s" qps) | $(value "$s" mean_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs | $(value "$s" rcodes) |"$'\n'
  echo "local-first $name: $(echo "$s" | tr '\n' ' ')"
done
lf_ratio=$(ratio "$(value "${lf[meshdns]}" qps)" "$(value "${lf[knot]}" qps)")

echo "== latency at half of meshdns's median peak: $half queries/s (dnsperf -Q $half -v), $rounds alternating rounds"
latency_rows=""
p99_ratios=() mp99=() kp99=()
for r in $(seq 1 "$rounds"); do
  declare -A p99_of=()
  for name in meshdns knot; do
    s=$(run "$name" "$work/lat-$name-$r.txt" -l "$duration" -Q "$half" -v)
    l=$(python3 bench/dnsperf_lib.py latency "$work/lat-$name-$r.txt")
    p99_of[$name]=$(value "$l" p99_ms)
    latency_rows+="| $r | $name | $(value "$s" qps) | $(value "$l" p50_ms) ms | $(value "$l" p99_ms) ms | $(value "$l" max_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs |"$'\n'
    echo "latency round $r $name: $(echo "$s $l" | tr '\n' ' ')"
  done
  p99_ratios+=("$(ratio "${p99_of[meshdns]}" "${p99_of[knot]}")")
  mp99+=("${p99_of[meshdns]}"); kp99+=("${p99_of[knot]}")
  unset p99_of
done

echo "== TCP (dnsperf -m tcp), $rounds alternating rounds"
tcp_rows=""
tcp_ratios=()
for r in $(seq 1 "$rounds"); do
  declare -A tcp=()
  for name in meshdns knot; do
    tcp[$name]=$(run "$name" "$work/tcp-$name-$r.txt" -l "$duration" -m tcp)
    s=${tcp[$name]}
    tcp_rows+="| TCP $r | $name | $(value "$s" qps) | $(value "$s" mean_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs | $(value "$s" rcodes) |"$'\n'
    echo "TCP round $r $name: $(echo "$s" | tr '\n' ' ')"
  done
  tcp_ratios+=("$(ratio "$(value "${tcp[meshdns]}" qps)" "$(value "${tcp[knot]}" qps)")")
  unset tcp
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

qps_median=$(median "${qps_ratios[@]}")
cpu_median=$(median "${cpu_ratios[@]}")
p99_median=$(median "${p99_ratios[@]}")
tcp_median=$(median "${tcp_ratios[@]}")
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }
report=$(cat <<EOF

## dnsperf: meshdns vs Knot DNS, $(date -u '+%Y-%m-%d %H:%M UTC')

- commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/RESULTS.md' 2>/dev/null || echo " (with uncommitted changes)"), $(java -version 2>&1 | head -1), $(knotd --version | head -1), dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p')
- machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), shared with dnsperf; load average before $load_before, after $load_after
- command: \`bench/dnsperf.sh${args[*]:+ ${args[*]}}\`; mesh $clusters clusters x $services services x $pods pods, zone of $records records;
  queries: $count lines, 80% A, 5% AAAA (NODATA), 5% SRV, 10% NXDOMAIN, half in mixed case;
  \`dnsperf -c $clients -l $duration\` per round, rounds alternate meshdns and Knot after a $warmup s warm-up of each

$table$tcp_rows
Ratios meshdns/Knot per UDP round: queries/s ${qps_ratios[*]} (median $qps_median), server CPU per query ${cpu_ratios[*]} (median $cpu_median).

Latency at $half queries/s (half of meshdns's median peak $peak), from \`dnsperf -Q $half -v\` per-query times;
p99 ratios meshdns/Knot per round ${p99_ratios[*]} (median $p99_median); TCP queries/s ratios ${tcp_ratios[*]} (median $tcp_median):

| round | server | queries/s | p50 | p99 | max | lost | server CPU/query |
|---|---|---|---|---|---|---|---|
$latency_rows
Local-first queriers (one dnsperf per cluster with its EDNS0 option): queries/s meshdns/Knot $lf_ratio.

Goals (issue 14): UDP queries/s >= 1.0x Knot: $(verdict "$qps_median >= 1.0") ($qps_median); server CPU/query <= 1.10x Knot: $(verdict "$cpu_median <= 1.10") ($cpu_median); p99 at half peak <= 1.5x Knot's: $(verdict "$p99_median <= 1.5") ($p99_median; meshdns ${mp99[*]} ms, Knot ${kp99[*]} ms); TCP queries/s >= 1.0x Knot: $(verdict "$tcp_median >= 1.0") ($tcp_median).
EOF
)
echo "$report"
if [ "$record" = 1 ]; then
  echo "$report" >>bench/RESULTS.md
  echo "== appended to bench/RESULTS.md"
fi
