#!/usr/bin/env bash
# meshdns against Knot DNS and NSD on the same zone, machine and dnsperf settings (see bench/README.md).
#
# Starts `meshdns demo` on a synthetic mesh (JDK 25 by default, --java to choose; --udp-transport), copies its
# zone by AXFR into a zone file, serves that file with Knot DNS and NSD on other loopback ports, starts the bare
# UDP responder of meshdns's ffm transport (no zone, one fixed answer: the transport's ceiling), then runs
# dnsperf against them in turn (A B C D A B C D ...): UDP rounds of a fixed duration at full speed, a
# local-first round, latency rounds at half of meshdns's median peak rate, and TCP rounds; each kind
# alternates servers and reports the median of its per-round ratios. Appends the results to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

clusters=2 services=1000 pods=3 rounds=3 duration=10 warmup=5 count=100000 clients=64 record=1
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java transport=auto
[ -x "$java" ] || java=$(command -v java || echo java)
usage() {
  echo "usage: bench/dnsperf.sh [--clusters C] [--services N] [--pods-per-cluster K] [--rounds R] [--duration SECONDS]"
  echo "                        [--warmup SECONDS] [--clients N] [--java PATH] [--udp-transport auto|netty|ffm] [--no-record]"
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
    --java) [ $# -ge 2 ] && [ -x "$2" ] || { usage >&2; fail "--java needs the path of a java executable"; }
      java=$2; shift 2 ;;
    --udp-transport) [ $# -ge 2 ] && [[ "$2" =~ ^(auto|netty|ffm)$ ]] || { usage >&2; fail "--udp-transport is auto, netty or ffm"; }
      transport=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option '$1'" ;;
  esac
done

# Tools first, each failure one clear line.
command -v "$java" >/dev/null || fail "java not found ($java): a JDK 17 or newer is needed"
feature=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ -n "$feature" ] || fail "$java does not run"
command -v python3 >/dev/null || fail "python3 not found (it writes the zone and query files)"
ensure_tool dnsperf dnsperf
ensure_tool kdig knot-dnsutils
ensure_tool knotd knot
ensure_tool nsd nsd
clk_tck=$(getconf CLK_TCK)

# The jar's ffm transport (META-INF/versions/22) is compiled only by a JDK 22+: build with the java measured.
jar=dns-server/target/meshdns.jar
java_home=$(cd "$(dirname "$(readlink -f "$(command -v "$java")")")/.." && pwd)
has_ffm() { python3 -c "import sys, zipfile; sys.exit(0 if any(n.startswith('META-INF/versions/22/') for n in zipfile.ZipFile('$jar').namelist()) else 1)"; }
if [ ! -f "$jar" ] || [ -n "$(find pom.xml core testkit discovery loadbalancer forwarder-config dns-server -path '*/target' -prune \
    -o -type f -newer "$jar" \( -name '*.java' -o -name 'pom.xml' -o -name '*.properties' \) -print | head -1)" ] \
    || { [ "$feature" -ge 22 ] && ! has_ffm; }; then
  echo "== building $jar with $java_home"
  JAVA_HOME=$java_home ./mvnw -B -q -pl dns-server -am -DskipTests package
fi

mport=$(free_port)
kport=$(free_port)
while [ "$kport" = "$mport" ]; do kport=$(free_port); done
nport=$(free_port)
while [ "$nport" = "$mport" ] || [ "$nport" = "$kport" ]; do nport=$(free_port); done
bport=$(free_port)
while [ "$bport" = "$mport" ] || [ "$bport" = "$kport" ] || [ "$bport" = "$nport" ]; do bport=$(free_port); done

work=$(mktemp -d /tmp/meshdns-dnsperf.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# utime + stime in clock ticks of a process and all its descendants (fields 14 and 15 of /proc/PID/stat; the
# name may hold spaces): NSD answers from forked server processes (grandchildren of
# the one started), the others from threads of one.
descendants() {
  local c
  for c in $(pgrep -P "$1" || true); do
    echo "$c"
    descendants "$c"
  done
}
cpu_ticks() {
  local stat total=0 p root=$1
  for p in "$root" $(descendants "$root"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || { [ "$p" != "$root" ] && continue; fail "process $p is gone"; }
    stat=${stat##*) }
    set -- $stat
    total=$(( total + ${12} + ${13} ))
  done
  echo "$total"
}

jvm=$("$java" -version 2>&1 | sed -n 2p)
echo "== meshdns demo on $jvm: $clusters clusters x $services services x $pods pods, DNS on 127.0.0.1 port $mport"
"$java" ${MESHDNS_JAVA_OPTS:-} \
  -jar "$jar" demo --clusters "$clusters" --services "$services" --pods-per-cluster "$pods" --udp-transport "$transport" \
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
running=$(sed -n 's/.*DNS listening on .* (UDP x[0-9]* on \([a-z-]*\),.*/\1/p' "$work/meshdns.log" | head -1)
echo "meshdns UDP transport: ${running:-unknown} (asked: $transport)"

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
echo "== NSD on 127.0.0.1 port $nport"
mkdir -p "$work/nsd"
cp "$work/clusterset.local.zone" "$work/nsd/"
# Debian's NSD turns response rate limiting on by default: off here (rrl-ratelimit: 0), or it measures the limiter.
cat >"$work/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$nport
    server-count: $(nproc)
    reuseport: yes
    username: ""
    chroot: ""
    zonesdir: "$work/nsd"
    pidfile: "$work/nsd/nsd.pid"
    database: ""
    zonelistfile: "$work/nsd/zone.list"
    xfrdfile: "$work/nsd/xfrd.state"
    xfrdir: "$work/nsd"
    logfile: "$work/nsd.log"
    verbosity: 0
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: clusterset.local
    zonefile: clusterset.local.zone
EOF
nsd -d -c "$work/nsd.conf" >>"$work/nsd.log" 2>&1 &
npid=$!
pids+=("$npid")
for _ in $(seq 1 100); do
  kdig @127.0.0.1 -p "$nport" clusterset.local SOA +short +time=1 +retry=0 2>/dev/null | grep -q . && break
  kill -0 "$npid" 2>/dev/null || { cat "$work/nsd.log" >&2; fail "nsd exited"; }
  sleep 0.1
done

echo "== the bare UDP responder (ffm transport, one fixed answer, no zone) on 127.0.0.1 port $bport"
bare=0
if [ "$feature" -ge 22 ] && has_ffm; then
  mkdir -p "$work/bare"
  "$java_home/bin/javac" -nowarn --release 22 -cp "$jar" -d "$work/bare" bench/src/main/java/io/meshdns/server/transport/BareUdpResponder.java
  "$java" ${MESHDNS_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$jar:$work/bare" io.meshdns.server.transport.BareUdpResponder \
    "$bport" >"$work/bare.log" 2>&1 &
  bpid=$!
  pids+=("$bpid")
  for _ in $(seq 1 100); do
    kdig @127.0.0.1 -p "$bport" x.clusterset.local A +short +time=1 +retry=0 2>/dev/null | grep -q . && break
    kill -0 "$bpid" 2>/dev/null || { cat "$work/bare.log" >&2; fail "the bare responder exited"; }
    sleep 0.1
  done
  bare=1
else
  echo "(skipped: the ffm transport needs a JDK 22+ and a jar built by one)"
fi

msoa=$(kdig @127.0.0.1 -p "$mport" clusterset.local SOA +short)
for peer in "$kport" "$nport"; do
  psoa=$(kdig @127.0.0.1 -p "$peer" clusterset.local SOA +short)
  [ -n "$psoa" ] && [ "$msoa" = "$psoa" ] || fail "the server on port $peer serves SOA '$psoa', meshdns '$msoa'"
done
# Same answers from all, so all are measured on the same work.
for q in "svc-0.ns-0.svc.clusterset.local A" "sVc-9.Ns-1.svc.clusterset.local A" "pod-0.c0.svc-9.ns-1.svc.clusterset.local A" \
    "_tcp-db._tcp.svc-9.ns-1.svc.clusterset.local SRV" "_http._tcp.svc-1.ns-1.svc.clusterset.local SRV" \
    "svc-0.ns-0.svc.clusterset.local AAAA" "nope-1.ns-1.svc.clusterset.local A"; do
  set -- $q
  m=$(kdig @127.0.0.1 -p "$mport" "$1" "$2" +short | sort || true)
  mr=$(kdig @127.0.0.1 -p "$mport" "$1" "$2" | grep -o 'status: [A-Z]*' || true)
  for peer in "$kport" "$nport"; do
    k=$(kdig @127.0.0.1 -p "$peer" "$1" "$2" +short | sort || true)
    [ "$m" = "$k" ] || fail "meshdns and the server on port $peer answer '$q' differently (meshdns caps answers at 8 records: keep clusters x pods <= 8):"$'\n'"$m"$'\n'"---"$'\n'"$k"
    kr=$(kdig @127.0.0.1 -p "$peer" "$1" "$2" | grep -o 'status: [A-Z]*' || true)
    [ "$mr" = "$kr" ] || fail "meshdns gives $mr, the server on port $peer $kr for '$q'"
  done
done
echo "meshdns, Knot and NSD give the same answers to the sample questions"

python3 bench/dnsperf_lib.py queries "$work/clusterset.local.zone" "$work/queries.txt" "$count" 8

# run NAME OUTFILE EXTRA-ARGS...: one dnsperf run; prints "summary key=values" plus cpu_us (server CPU per query).
declare -A pid_of=([meshdns]=$mpid [knot]=$kpid [nsd]=$npid)
declare -A port_of=([meshdns]=$mport [knot]=$kport [nsd]=$nport)
servers=(meshdns knot nsd)
udp_servers=(meshdns knot nsd)
if [ "$bare" = 1 ]; then
  pid_of[bare]=$bpid
  port_of[bare]=$bport
  udp_servers+=(bare)
fi
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
echo "== warm-up, $warmup s each over UDP and over TCP (not counted); load average $load_before"
for name in "${udp_servers[@]}"; do
  run "$name" "$work/warm-$name.txt" -l "$warmup" >/dev/null
done
# Over TCP too: otherwise the first TCP round measures meshdns's JIT compiling the TCP path.
for name in "${servers[@]}"; do
  run "$name" "$work/warm-tcp-$name.txt" -l "$warmup" -m tcp >/dev/null
done

table="| round | server | queries/s | mean latency | lost | server CPU/query | response codes |"$'\n'
table+="|---|---|---|---|---|---|---|"$'\n'
# Per peer (knot, nsd, bare): the ratios meshdns/peer of each UDP round, of queries/s and of CPU per query.
declare -A qps_r=() cpu_r=()
mqps=()
for r in $(seq 1 "$rounds"); do
  declare -A res=()
  for name in "${udp_servers[@]}"; do
    res[$name]=$(run "$name" "$work/udp-$name-$r.txt" -l "$duration")
    s=${res[$name]}
    table+="| UDP $r | $name | $(value "$s" qps) | $(value "$s" mean_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs | $(value "$s" rcodes) |"$'\n'
    echo "UDP round $r $name: $(echo "$s" | tr '\n' ' ')"
  done
  for peer in "${udp_servers[@]:1}"; do
    qps_r[$peer]+=" $(ratio "$(value "${res[meshdns]}" qps)" "$(value "${res[$peer]}" qps)")"
    cpu_r[$peer]+=" $(ratio "$(value "${res[meshdns]}" cpu_us)" "$(value "${res[$peer]}" cpu_us)")"
  done
  mqps+=("$(value "${res[meshdns]}" qps)")
  unset res
done
peak=$(median "${mqps[@]}")
half=$(python3 -c "print(int($peak / 2))")

# Local-first queriers: one dnsperf per cluster, each sending that cluster's EDNS0 option (as the CoreDNS
# stanza's `rewrite edns0 local set 0xff14 <cluster>` does), side by side, so meshdns answers through the
# policy path for every querier cluster; Knot and NSD get the same packets and ignore the option.
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
for name in "${servers[@]}"; do
  lf[$name]=$(run_queriers "$name" "$work/lf-$name.txt")
  s=${lf[$name]}
  table+="| UDP local-first | $name | $(value "$s" qps) | $(value "$s" mean_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs | $(value "$s" rcodes) |"$'\n'
  echo "local-first $name: $(echo "$s" | tr '\n' ' ')"
done
lf_ratio=$(ratio "$(value "${lf[meshdns]}" qps)" "$(value "${lf[knot]}" qps)")
lf_nsd_ratio=$(ratio "$(value "${lf[meshdns]}" qps)" "$(value "${lf[nsd]}" qps)")

echo "== latency at half of meshdns's median peak: $half queries/s (dnsperf -Q $half -v), $rounds alternating rounds"
latency_rows=""
declare -A p99_r=() p99_ms=()
for r in $(seq 1 "$rounds"); do
  declare -A p99_of=()
  for name in "${servers[@]}"; do
    s=$(run "$name" "$work/lat-$name-$r.txt" -l "$duration" -Q "$half" -v)
    l=$(python3 bench/dnsperf_lib.py latency "$work/lat-$name-$r.txt")
    p99_of[$name]=$(value "$l" p99_ms)
    p99_ms[$name]+=" ${p99_of[$name]}"
    latency_rows+="| $r | $name | $(value "$s" qps) | $(value "$l" p50_ms) ms | $(value "$l" p99_ms) ms | $(value "$l" max_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs |"$'\n'
    echo "latency round $r $name: $(echo "$s $l" | tr '\n' ' ')"
  done
  for peer in knot nsd; do
    p99_r[$peer]+=" $(ratio "${p99_of[meshdns]}" "${p99_of[$peer]}")"
  done
  unset p99_of
done

echo "== TCP (dnsperf -m tcp), $rounds alternating rounds"
tcp_rows=""
declare -A tcp_r=()
for r in $(seq 1 "$rounds"); do
  declare -A tcp=()
  for name in "${servers[@]}"; do
    tcp[$name]=$(run "$name" "$work/tcp-$name-$r.txt" -l "$duration" -m tcp)
    s=${tcp[$name]}
    tcp_rows+="| TCP $r | $name | $(value "$s" qps) | $(value "$s" mean_ms) ms | $(value "$s" lost) | $(value "$s" cpu_us) µs | $(value "$s" rcodes) |"$'\n'
    echo "TCP round $r $name: $(echo "$s" | tr '\n' ' ')"
  done
  for peer in knot nsd; do
    tcp_r[$peer]+=" $(ratio "$(value "${tcp[meshdns]}" qps)" "$(value "${tcp[$peer]}" qps)")"
  done
  unset tcp
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A qps_m=() cpu_m=()
ratios=""
for peer in "${udp_servers[@]:1}"; do
  qps_m[$peer]=$(median ${qps_r[$peer]})
  cpu_m[$peer]=$(median ${cpu_r[$peer]})
  ratios+="- meshdns/$peer per UDP round: queries/s${qps_r[$peer]} (median ${qps_m[$peer]}), server CPU per query${cpu_r[$peer]} (median ${cpu_m[$peer]})"$'\n'
done
p99_knot=$(median ${p99_r[knot]})
p99_nsd=$(median ${p99_r[nsd]})
tcp_knot=$(median ${tcp_r[knot]})
tcp_nsd=$(median ${tcp_r[nsd]})
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }
if [ "$bare" = 1 ]; then
  bare_goal="; UDP queries/s >= 0.90 of the bare responder's: $(verdict "${qps_m[bare]} >= 0.90") (${qps_m[bare]})"
else
  bare_goal="; no bare responder (it needs a JDK 22+)"
fi
if [ "$bare" = 1 ]; then
  bare_what="the bare responder: the ffm transport answering one fixed A record with no zone, on the same JVM"
else
  bare_what="no bare responder (the ffm transport needs a JDK 22+ and a jar built by one)"
fi
report=$(cat <<EOF

## dnsperf: meshdns vs Knot DNS and NSD, $(date -u '+%Y-%m-%d %H:%M UTC')

- commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/RESULTS.md' 2>/dev/null || echo " (with uncommitted changes)"), $(knotd --version | head -1), NSD $(nsd -v 2>&1 | sed -n 's/^NSD version //p' | head -1), dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p')
- meshdns on $jvm (\`$java\`), UDP transport ${running:-unknown} (\`--udp-transport $transport\`); $bare_what
- machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), shared with dnsperf; load average before $load_before, after $load_after
- command: \`bench/dnsperf.sh${args[*]:+ ${args[*]}}\`; mesh $clusters clusters x $services services x $pods pods, zone of $records records;
  queries: $count lines, 80% A, 5% AAAA (NODATA), 5% SRV, 10% NXDOMAIN, half in mixed case;
  \`dnsperf -c $clients -l $duration\` per round, rounds alternate ${udp_servers[*]} after a $warmup s warm-up of each over UDP and over TCP

$table$tcp_rows
$ratios
Latency at $half queries/s (half of meshdns's median peak $peak), from \`dnsperf -Q $half -v\` per-query times;
p99 ratios meshdns/Knot per round${p99_r[knot]} (median $p99_knot), meshdns/NSD${p99_r[nsd]} (median $p99_nsd);
TCP queries/s ratios meshdns/Knot${tcp_r[knot]} (median $tcp_knot), meshdns/NSD${tcp_r[nsd]} (median $tcp_nsd):

| round | server | queries/s | p50 | p99 | max | lost | server CPU/query |
|---|---|---|---|---|---|---|---|
$latency_rows
Local-first queriers (one dnsperf per cluster with its EDNS0 option): queries/s meshdns/Knot $lf_ratio, meshdns/NSD $lf_nsd_ratio.

Goals (issue 29): server CPU/query <= 0.85x Knot's: $(verdict "${cpu_m[knot]} <= 0.85") (${cpu_m[knot]}) and NSD's: $(verdict "${cpu_m[nsd]} <= 0.85") (${cpu_m[nsd]}); UDP queries/s >= 1.10x Knot: $(verdict "${qps_m[knot]} >= 1.10") (${qps_m[knot]}) and NSD: $(verdict "${qps_m[nsd]} >= 1.10") (${qps_m[nsd]})$bare_goal; p99 at half peak <= 1.0x Knot's: $(verdict "$p99_knot <= 1.0") ($p99_knot; meshdns${p99_ms[meshdns]} ms, Knot${p99_ms[knot]} ms); local-first >= 1.0x Knot: $(verdict "$lf_ratio >= 1.0") ($lf_ratio); TCP queries/s >= 1.3x Knot: $(verdict "$tcp_knot >= 1.3") ($tcp_knot).
EOF
)
echo "$report"
if [ "$record" = 1 ]; then
  echo "$report" >>bench/RESULTS.md
  echo "== appended to bench/RESULTS.md"
fi
