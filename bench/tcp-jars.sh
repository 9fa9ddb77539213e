#!/usr/bin/env bash
# Two meshdns jars against each other over TCP (issue 29): `meshdns demo` from each jar side by side on the mesh
# and query mix of dnsperf.sh, a TCP warm-up of both (not counted), then dnsperf -m tcp rounds alternating the
# order (A B, B A, ...). Per round: queries/s and the process's CPU per query (utime + stime from /proc/PID/stat);
# the B/A ratios per round and their medians. Prints only: a speed change is judged on its own machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
source bench/side_by_side.sh

rounds=6 duration=10 warmup=15 clients=64
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java" ] || java=$(command -v java || echo java)
usage() {
  echo "usage: bench/tcp-jars.sh JAR_A JAR_B [--rounds R] [--duration SECONDS] [--warmup SECONDS] [--java PATH]"
  echo "  (each jar's meshdns-demo.jar beside it; build an old commit in a throwaway git worktree)"
}
fail() { echo "tcp-jars.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || { usage >&2; exit 1; }
declare -A jar_of=([a]=$1 [b]=$2)
shift 2
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--duration|--warmup)
      [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { usage >&2; fail "$1 needs a whole number above 0"; }
      case "$1" in --rounds) rounds=$2 ;; --duration) duration=$2 ;; --warmup) warmup=$2 ;; esac
      shift 2 ;;
    --java) [ $# -ge 2 ] && [ -x "$2" ] || { usage >&2; fail "--java needs the path of a java executable"; }
      java=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option '$1'" ;;
  esac
done
for v in a b; do [ -f "${jar_of[$v]}" ] || fail "no jar at ${jar_of[$v]}"; done
command -v python3 >/dev/null || fail "python3 not found (it writes the zone and query files)"
ensure_tool dnsperf dnsperf
ensure_tool kdig knot-dnsutils

side_by_side_workdir tcp-jars

declare -A port_of=() pid_of=()
for v in a b; do
  port_of[$v]=$(free_port)
  while [ "$v" = b ] && [ "${port_of[b]}" = "${port_of[a]}" ]; do port_of[b]=$(free_port); done
  side_by_side_demo "$work/$v.log" "${port_of[$v]}" "$work/kube-$v" -jar "${jar_of[$v]}"
  pid_of[$v]=$started
done
for v in a b; do
  side_by_side_ready "meshdns ($v)" "${pid_of[$v]}" "$work/$v.log" "^mesh synced"
done
side_by_side_queries "${port_of[a]}" >/dev/null

# run A|B OUT SECONDS: one dnsperf round; prints qps=... cpu_us=... (the server's CPU per query).
run() {
  local before after
  before=$(ticks "${pid_of[$1]}")
  dnsperf -s 127.0.0.1 -p "${port_of[$1]}" -d "$work/queries.txt" -c "$clients" -l "$3" -m tcp >"$2" 2>&1 \
    || { cat "$2" >&2; fail "dnsperf against meshdns ($1) failed"; }
  after=$(ticks "${pid_of[$1]}")
  python3 - "$before" "$after" "$(getconf CLK_TCK)" "$2" <<'PY'
import re, sys
before, after, hz, text = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4]).read()
qps = float(re.search(r"Queries per second:\s+([\d.]+)", text).group(1))
done = int(re.search(r"Queries completed:\s+(\d+)", text).group(1))
print("qps=%.0f cpu_us=%.2f" % (qps, (after - before) / hz / max(1, done) * 1e6))
PY
}
value() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

echo "A ${jar_of[a]}, B ${jar_of[b]}, on $("$java" -version 2>&1 | sed -n 2p); dnsperf -m tcp -c $clients -l $duration"
echo "== warm-up over TCP, $warmup s each (not counted); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for v in a b; do run "$v" "$work/warm-$v.txt" "$warmup" >/dev/null; done
qps_r="" cpu_r=""
for r in $(seq 1 "$rounds"); do
  order="a b"
  [ $((r % 2)) = 0 ] && order="b a"
  declare -A res=()
  for v in $order; do
    res[$v]=$(run "$v" "$work/$v-$r.txt" "$duration")
    echo "round $r ${v^^}: ${res[$v]} load $(cut -d' ' -f1 /proc/loadavg)"
  done
  qps_r+=" $(ratio "$(value "${res[b]}" qps)" "$(value "${res[a]}" qps)")"
  cpu_r+=" $(ratio "$(value "${res[b]}" cpu_us)" "$(value "${res[a]}" cpu_us)")"
  unset res
done
echo "B/A per round: queries/s$qps_r (median $(median $qps_r)), CPU per query$cpu_r (median $(median $cpu_r))"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
