#!/usr/bin/env bash
# What the status page's name sampling (status.topNames.enabled) costs the query path: two `meshdns demo`
# side by side on the same mesh, one with the sampling on and one with it off, and dnsperf rounds that
# alternate between them (on off, off on, ...) per transport, after a warm-up of every transport on both
# (so no round measures the JIT compiling a path for the first time). Per round: queries/s, the process's
# CPU per query, and where that CPU went by thread (event loops, the drain, GC, JIT), from
# /proc/PID/task/*/stat. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
source bench/side_by_side.sh

rounds=4 duration=10 warmup=10 clients=64 modes="tcp udp" record=1
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java" ] || java=$(command -v java || echo java)
usage() {
  echo "usage: bench/top-names-cost.sh [--rounds R] [--duration SECONDS] [--warmup SECONDS] [--modes 'tcp udp'] [--java PATH] [--no-record]"
}
fail() { echo "top-names-cost.sh: $*" >&2; exit 1; }
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--duration|--warmup)
      [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { usage >&2; fail "$1 needs a whole number above 0"; }
      case "$1" in --rounds) rounds=$2 ;; --duration) duration=$2 ;; --warmup) warmup=$2 ;; esac
      shift 2 ;;
    --modes) [ $# -ge 2 ] && [[ "$2" =~ ^(tcp|udp)( (tcp|udp))?$ ]] || { usage >&2; fail "--modes is 'tcp', 'udp' or both"; }
      modes=$2; shift 2 ;;
    --java) [ $# -ge 2 ] && [ -x "$2" ] || { usage >&2; fail "--java needs the path of a java executable"; }
      java=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option '$1'" ;;
  esac
done
command -v python3 >/dev/null || fail "python3 not found (it writes the zone and query files)"
ensure_tool dnsperf dnsperf
ensure_tool kdig knot-dnsutils
jar=dns-server/target/meshdns.jar
[ -f "$jar" ] && [ -f dns-server/target/meshdns-demo.jar ] \
  || fail "$jar and meshdns-demo.jar are missing: ./mvnw -B -q -pl dns-server -am -DskipTests package"

side_by_side_workdir top-names-cost

declare -A port_of=() pid_of=()
for v in on off; do
  port_of[$v]=$(free_port)
  while [ "$v" = off ] && [ "${port_of[off]}" = "${port_of[on]}" ]; do port_of[off]=$(free_port); done
  # ${MESHDNS_JAVA_OPTS} first: the sampling's own switch comes last and wins.
  side_by_side_demo "$work/$v.log" "${port_of[$v]}" "$work/kube-$v" \
    "-Dmeshdns.topNames=$([ "$v" = on ] && echo true || echo false)" -jar "$jar"
  pid_of[$v]=$started
done
for v in on off; do
  side_by_side_ready "meshdns ($v)" "${pid_of[$v]}" "$work/$v.log" "^mesh synced"
  echo "sampling $v: $(grep -o 'status page top names: .*' "$work/$v.log" | head -1), DNS on port ${port_of[$v]}"
done
side_by_side_queries "${port_of[on]}"

# CPU ticks by thread group of a process, as JSON: the JVM names its threads (15 characters in comm).
threads() {
  python3 - "$1" <<'EOF'
import collections, json, os, sys
pid = sys.argv[1]
groups = collections.Counter()
for t in os.listdir('/proc/%s/task' % pid):
    try:
        comm = open('/proc/%s/task/%s/comm' % (pid, t)).read().strip()
        stat = open('/proc/%s/task/%s/stat' % (pid, t)).read().rsplit(')', 1)[1].split()
    except OSError:
        continue
    group = ('event loops' if comm.startswith(('epollEventLoop', 'nioEventLoop', 'meshdns-udp'))
             else 'drain' if comm.startswith('meshdns-status')
             else 'GC' if comm.startswith(('GC Thread', 'VM Thread', 'G1 '))
             else 'JIT' if 'CompilerThre' in comm else 'other')
    groups[group] += int(stat[11]) + int(stat[12])
# The process's own total also counts threads that have exited: "other" is the rest of it.
stat = open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()
groups['other'] += int(stat[11]) + int(stat[12]) - sum(groups.values())
print(json.dumps(groups))
EOF
}
# run SAMPLING MODE OUT: one dnsperf round; prints qps, cpu_us (per query) and the ticks by thread group.
run() {
  local before after
  before=$(threads "${pid_of[$1]}")
  dnsperf -s 127.0.0.1 -p "${port_of[$1]}" -d "$work/queries.txt" -c "$clients" -l "$4" -m "$2" >"$3" 2>&1 \
    || { cat "$3" >&2; fail "dnsperf ($2) against meshdns ($1) failed"; }
  after=$(threads "${pid_of[$1]}")
  python3 - "$before" "$after" "$(getconf CLK_TCK)" "$3" <<'EOF'
import json, re, sys
before, after, hz, text = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4]).read()
qps = float(re.search(r"Queries per second:\s+([\d.]+)", text).group(1))
done = int(re.search(r"Queries completed:\s+(\d+)", text).group(1))
ticks = {k: after.get(k, 0) - before.get(k, 0) for k in after}
us = lambda t: t / hz / max(1, done) * 1e6
print("qps=%.0f cpu_us=%.2f %s" % (qps, us(sum(ticks.values())),
      " ".join("%s=%.2f" % (k.replace(' ', '_'), us(ticks.get(k, 0))) for k in ('event loops', 'drain', 'GC', 'JIT', 'other'))))
EOF
}
value() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== warm-up: $warmup s of each transport on each server (not counted); load average $load_before"
for m in $modes; do for v in on off; do run "$v" "$m" "$work/warm-$v-$m.txt" "$warmup" >/dev/null; done; done

table="| round | sampling | queries/s | CPU/query | event loops | drain | GC | JIT | load |"$'\n'
table+="|---|---|---|---|---|---|---|---|---|"$'\n'
declare -A qps_r=() cpu_r=()
for r in $(seq 1 "$rounds"); do
  order="on off"
  [ $((r % 2)) = 0 ] && order="off on"
  for m in $modes; do
    declare -A res=()
    for v in $order; do
      res[$v]=$(run "$v" "$m" "$work/$m-$v-$r.txt" "$duration")
      s=${res[$v]}
      load=$(cut -d' ' -f1 /proc/loadavg)
      table+="| ${m^^} $r | $v | $(value "$s" qps) | $(value "$s" cpu_us) µs | $(value "$s" event_loops) µs | $(value "$s" drain) µs | $(value "$s" GC) µs | $(value "$s" JIT) µs | $load |"$'\n'
      echo "${m^^} round $r sampling $v: $s load $load"
    done
    qps_r[$m]+=" $(ratio "$(value "${res[on]}" qps)" "$(value "${res[off]}" qps)")"
    cpu_r[$m]+=" $(ratio "$(value "${res[on]}" cpu_us)" "$(value "${res[off]}" cpu_us)")"
    unset res
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
ratios=""
for m in $modes; do
  ratios+="- ${m^^} on/off per round: queries/s${qps_r[$m]} (median $(median ${qps_r[$m]})), CPU per query${cpu_r[$m]} (median $(median ${cpu_r[$m]}))"$'\n'
done
report=$(cat <<EOF

## Top-names sampling on vs off: bench/top-names-cost.sh, $(date -u '+%Y-%m-%d %H:%M UTC')

- commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/RESULTS.md' 2>/dev/null || echo " (with uncommitted changes)"), $("$java" -version 2>&1 | sed -n 2p), JVM options \`${MESHDNS_JAVA_OPTS:-}\`, dnsperf -c $clients -l $duration
- machine: $(nproc) cores, shared with dnsperf; load average before $load_before, after $load_after
- command: \`bench/top-names-cost.sh${args[*]:+ ${args[*]}}\`; the same mesh and query mix as dnsperf.sh; CPU per query by thread group

$table
$ratios
EOF
)
echo "$report"
if [ "$record" = 1 ]; then
  echo "$report" >>bench/RESULTS.md
  echo "== appended to bench/RESULTS.md"
fi
