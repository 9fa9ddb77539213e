#!/usr/bin/env bash
# Server CPU per UDP query of two meshdns builds, side by side (issue 29): two `meshdns demo` on the mesh of
# dnsperf.sh (2 x 1,000 x 3), one from each jar folder, the same query file, a warm-up of each, then rounds
# at a fixed rate (`dnsperf -Q`) alternating the order (A B, B A, ...). Per round: queries answered and the
# process's CPU per query (utime + stime of /proc/PID/stat over the round); the B/A ratio per round and the
# median. A fixed rate makes both do the same work per second, so the ratio is CPU per query, not who got
# more of the two cores. See bench/README.md.
#
#   bench/udp-cpu-ab.sh DIR_A DIR_B [--rounds 6] [--duration 10] [--warmup 15] [--rate 70000] [--java PATH] [--bare] [--together]
#
# --together: A and B are sent to at the same time, each by its own dnsperf at RATE/2, so both see the same
# moment of a shared machine (use it when the load of others moves faster than a round).
# --bare: each jar's bare responder (BareUdpResponder, as dnsperf.sh starts it: the ffm transport answering one
# fixed A record, no zone) instead of meshdns, so the two transports alone are compared.
#
# DIR_A and DIR_B each hold a meshdns.jar and its meshdns-demo.jar (copies of dns-server/target/ built with a
# JDK 22+, so the ffm transport is in them). Prints a markdown table; records nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
source bench/side_by_side.sh

rounds=6 duration=10 warmup=15 rate=70000 clients=64 bare=0 together=0
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java" ] || java=$(command -v java || echo java)
fail() { echo "udp-cpu-ab.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || fail "usage: bench/udp-cpu-ab.sh DIR_A DIR_B [--rounds R] [--duration S] [--warmup S] [--rate Q] [--java PATH]"
declare -A dir_of=([A]=$(cd "$1" && pwd) [B]=$(cd "$2" && pwd))
shift 2
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --java) java=$2; shift 2 ;;
    --bare) bare=1; shift ;;
    --together) together=1; shift ;;
    *) fail "unknown option '$1'" ;;
  esac
done
for v in A B; do
  [ -f "${dir_of[$v]}/meshdns.jar" ] && [ -f "${dir_of[$v]}/meshdns-demo.jar" ] || fail "${dir_of[$v]} lacks meshdns.jar or meshdns-demo.jar"
done
ensure_tool dnsperf dnsperf
ensure_tool kdig knot-dnsutils

side_by_side_workdir udp-cpu-ab

declare -A port_of=() pid_of=()
for v in A B; do
  port_of[$v]=$(free_port)
  while [ "$v" = B ] && [ "${port_of[B]}" = "${port_of[A]}" ]; do port_of[B]=$(free_port); done
  if [ "$bare" = 1 ]; then
    mkdir -p "$work/bare-$v"
    "$(dirname "$java")/javac" -nowarn --release 22 -cp "${dir_of[$v]}/meshdns.jar" -d "$work/bare-$v" \
      bench/src/main/java/io/meshdns/server/transport/BareUdpResponder.java
    "$java" ${MESHDNS_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "${dir_of[$v]}/meshdns.jar:$work/bare-$v" \
      io.meshdns.server.transport.BareUdpResponder "${port_of[$v]}" >"$work/$v.log" 2>&1 &
    started=$!
    pids+=("$started")
  else
    side_by_side_demo "$work/$v.log" "${port_of[$v]}" "$work/kube-$v" -jar "${dir_of[$v]}/meshdns.jar"
  fi
  pid_of[$v]=$started
done
ready="^mesh synced"
[ "$bare" = 1 ] && ready="^bare responder on"
for v in A B; do
  side_by_side_ready "$v" "${pid_of[$v]}" "$work/$v.log" "$ready"
  echo "$v: ${dir_of[$v]}, pid ${pid_of[$v]}, $(grep -o 'UDP x[0-9]* on [a-z-]*' "$work/$v.log" | head -1)"
done
if [ "$bare" = 1 ]; then
  # Any names: the bare responder answers every query alike.
  python3 -c "print('\n'.join('svc-%d.ns-%d.svc.clusterset.local A' % (i, i % 50) for i in range(1000)))" >"$work/queries.txt"
else
  side_by_side_queries "${port_of[A]}"
fi

# run A|B SECONDS OUT: prints "qps completed cpu_us"
run() {
  local before after
  before=$(ticks "${pid_of[$1]}")
  dnsperf -s 127.0.0.1 -p "${port_of[$1]}" -d "$work/queries.txt" -c "$clients" -l "$2" -Q "$rate" >"$3" 2>&1 \
    || { cat "$3" >&2; fail "dnsperf against $1 failed"; }
  after=$(ticks "${pid_of[$1]}")
  python3 - "$before" "$after" "$(getconf CLK_TCK)" "$3" <<'EOF'
import re, sys
before, after, hz, text = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4]).read()
qps = float(re.search(r"Queries per second:\s+([\d.]+)", text).group(1))
done = int(re.search(r"Queries completed:\s+(\d+)", text).group(1))
lost = int(re.search(r"Queries lost:\s+(\d+)", text).group(1))
print("%.0f %d %.3f" % (qps, lost, (after - before) / hz / max(1, done) * 1e6))
EOF
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

echo "== warm-up: $warmup s of each at $rate queries/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
for v in A B; do run "$v" "$warmup" "$work/warm-$v.txt" >/dev/null; done
echo "| round | build | queries/s | lost | CPU/query | load |"
echo "|---|---|---|---|---|---|"
ratios=()
if [ "$together" = 1 ]; then
  rate=$((rate / 2))
  for r in $(seq 1 "$rounds"); do
    run A "$duration" "$work/A-$r.txt" >"$work/A-$r.res" &
    a=$!
    run B "$duration" "$work/B-$r.txt" >"$work/B-$r.res"
    wait "$a"
    declare -A cpu=()
    for v in A B; do
      read -r qps lost us <"$work/$v-$r.res"
      cpu[$v]=$us
      echo "| $r | $v (together) | $qps | $lost | $us µs | $(cut -d' ' -f1 /proc/loadavg) |"
    done
    ratios+=("$(python3 -c "print('%.3f' % (${cpu[B]} / ${cpu[A]}))")")
    unset cpu
  done
  rounds=0
fi
for r in $(seq 1 "$rounds"); do
  order="A B"
  [ $((r % 2)) = 0 ] && order="B A"
  declare -A cpu=()
  for v in $order; do
    read -r qps lost us < <(run "$v" "$duration" "$work/$v-$r.txt")
    cpu[$v]=$us
    echo "| $r | $v | $qps | $lost | $us µs | $(cut -d' ' -f1 /proc/loadavg) |"
  done
  ratios+=("$(python3 -c "print('%.3f' % (${cpu[B]} / ${cpu[A]}))")")
  unset cpu
done
echo
echo "CPU per query B/A per round: ${ratios[*]} (median $(median "${ratios[@]}")); load after $(cut -d' ' -f1-3 /proc/loadavg)"
