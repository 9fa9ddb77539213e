# Shared by the scripts that run two servers side by side and compare them (top-names-cost.sh, tcp-jars.sh,
# udp-cpu-ab.sh): a work directory removed at exit with every process started, the wait until each is ready,
# the query mix of dnsperf.sh, and a process's CPU ticks. Sourced after .ci/lib.sh; the script defines fail.

# side_by_side_workdir NAME: sets work (a fresh directory) and pids (the processes to stop at exit).
side_by_side_workdir() {
  work=$(mktemp -d "/tmp/meshdns-$1.XXXXXX")
  pids=()
  trap side_by_side_cleanup EXIT
  trap 'exit 130' INT TERM
}

side_by_side_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

# side_by_side_demo LOG PORT KUBECONFIG_DIR JAVA_ARGS...: starts `meshdns demo` on dnsperf.sh's mesh
# (2 x 1,000 x 3) in the background, its DNS on PORT, the JVM given JAVA_ARGS (options, then -jar JAR); sets
# started to its pid and adds it to pids.
side_by_side_demo() {
  local log=$1 port=$2 kube=$3
  shift 3
  "$java" ${MESHDNS_JAVA_OPTS:-} "$@" demo --clusters 2 --services 1000 --pods-per-cluster 3 \
    --dns-port "$port" --http-port 0 --admin-port 0 --kubeconfig-dir "$kube" >"$log" 2>&1 &
  started=$!
  pids+=("$started")
}

# side_by_side_ready WHAT PID LOG PATTERN: waits up to 10 minutes for PATTERN in LOG; fails if PID exits.
side_by_side_ready() {
  for _ in $(seq 1 1200); do
    grep -q "$4" "$3" && return 0
    kill -0 "$2" 2>/dev/null || { tail -20 "$3" >&2; fail "$1 exited"; }
    sleep 0.5
  done
  fail "$1 was not ready within 10 minutes (no '$4' in its log)"
}

# side_by_side_queries PORT: $work/queries.txt, dnsperf.sh's query mix over the zone meshdns at PORT serves.
side_by_side_queries() {
  kdig @127.0.0.1 -p "$1" clusterset.local AXFR >"$work/axfr.txt" || fail "AXFR from meshdns failed"
  python3 bench/dnsperf_lib.py zone "$work/axfr.txt" "$work/zone" >/dev/null
  python3 bench/dnsperf_lib.py queries "$work/zone" "$work/queries.txt" 100000 8
}

# ticks PID: the process's CPU so far, utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat).
ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") || fail "process $1 is gone"
  stat=${stat##*) }
  set -- $stat
  echo $(( ${12} + ${13} ))
}
