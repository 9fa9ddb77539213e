#!/usr/bin/env bash
# `meshdns coredns-config` on Corefile files, as GitOps users run it (no cluster): for every real-world
# Corefile of the golden tests, the jar's output must equal the expected patched file, patching that output
# again must change nothing (diff), --remove must give the original back byte for byte (cmp), the --dry-run
# diff must apply with GNU patch, and an unparsable Corefile must exit 2 with the file and line. With a
# config: each cluster's block delegates the other clusters' reverse zones, never its own; the weighted
# policy's blocks do not shuffle; what a pod will observe goes to stderr and stdout stays the block; a cache
# longer than meshdns's ttl, overlapping reverse networks of two clusters and a forward address CoreDNS would
# not read as written (refused when the config loads, even with --forward-to) exit 2.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh
ensure_tool patch patch

jar=dns-server/target/meshdns.jar
golden=forwarder-config/src/test/resources/corefiles
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# a one-shot JVM: C1 only and the serial GC start faster
meshdns() { java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$jar" coredns-config "$@"; }

expect_bad_input() { # NAME EXPECTED-STDERR-TEXT ARGS...
  local name=$1 text=$2 code
  shift 2
  set +e
  meshdns "$@" >"$work/out" 2>"$work/err"
  code=$?
  set -e
  [ "$code" -eq 2 ] || { echo "e2e-coredns: $name exited $code, not 2"; cat "$work/err"; exit 1; }
  grep -qF -- "$text" "$work/err" || { echo "e2e-coredns: $name: unclear error:"; cat "$work/err"; exit 1; }
  [ ! -s "$work/out" ] || { echo "e2e-coredns: $name still printed something"; exit 1; }
}

count=0
for original in "$golden"/*.Corefile; do
  name=$(basename "$original" .Corefile)
  args=(--cluster east --forward-to 10.8.0.10,10.9.0.10 --reverse-zone 10.10.0.0/16)
  [[ $name == nodelocal* ]] && args+=(--node-local)

  meshdns --corefile "$original" "${args[@]}" >"$work/$name.once" 2>/dev/null
  cmp "$golden/$name.patched" "$work/$name.once" || { echo "e2e-coredns: $name: output differs from $name.patched"; exit 1; }

  meshdns --corefile "$work/$name.once" "${args[@]}" >"$work/$name.twice" 2>/dev/null
  diff -u "$work/$name.once" "$work/$name.twice" || { echo "e2e-coredns: $name: patching twice changed it"; exit 1; }

  meshdns --corefile "$work/$name.once" --cluster east --remove >"$work/$name.removed"
  cmp "$original" "$work/$name.removed" || { echo "e2e-coredns: $name: --remove did not give the original back"; exit 1; }

  cp "$original" "$work/$name.Corefile"
  meshdns --corefile "$original" "${args[@]}" --dry-run >"$work/$name.diff" 2>/dev/null
  (cd "$work" && patch --batch -s -p1 <"$name.diff")
  cmp "$work/$name.Corefile" "$work/$name.once" || { echo "e2e-coredns: $name: the --dry-run diff does not apply"; exit 1; }
  count=$((count + 1))
done

printf '.:53 {\n    errors\n    forward . /etc/resolv.conf {\n}\n' >"$work/broken"
expect_bad_input "unparsable Corefile" "broken, line 1: '{' opened here is never closed" \
  --corefile "$work/broken" --cluster east --forward-to 10.8.0.10

configs=dns-server/src/test/resources/coredns-config
for name in mesh weighted; do
  meshdns --config "$configs/$name.yaml" --print >"$work/$name.print" 2>"$work/$name.err"
  cmp "$configs/$name.print" "$work/$name.print" || { echo "e2e-coredns: --config $name.yaml: blocks differ from $name.print"; exit 1; }
  grep -q "^coredns-config: what a pod will observe (policy " "$work/$name.err" \
    || { echo "e2e-coredns: $name: no pod view on stderr:"; cat "$work/$name.err"; exit 1; }
done
# east's block delegates west's pod network, not its own
grep -A1 "cluster=east" "$work/mesh.print" | grep -q " 20.10.in-addr.arpa:53 " || { echo "e2e-coredns: east does not delegate west's PTRs"; exit 1; }
grep -A1 "cluster=east" "$work/mesh.print" | grep -q "10.10.in-addr.arpa" && { echo "e2e-coredns: east delegates its own PTRs"; exit 1; }
grep -q "^ *loadbalance" "$work/weighted.print" && { echo "e2e-coredns: the weighted policy's blocks shuffle"; exit 1; }
grep -q "^    loadbalance round_robin$" "$work/mesh.print" || { echo "e2e-coredns: the local-first blocks do not shuffle"; exit 1; }

expect_bad_input "a cache longer than meshdns's ttl" "--cache 30: a cache TTL of 30 s is longer than meshdns's record TTL (5 s" \
  --config "$configs/mesh.yaml" --print --cache 30
printf 'clusters:\n  - id: east\n    reverseZones: [10.0.0.0/8]\n  - id: west\n    reverseZones: [10.20.0.0/16]\n' >"$work/overlap.yaml"
expect_bad_input "overlapping reverse networks" "overlap.yaml, line 5, key clusters[1].reverseZones: 10.20.0.0/16 overlaps 10.0.0.0/8 of cluster east" \
  --config "$work/overlap.yaml" --print
printf 'clusters: [{id: east}]\ncoredns:\n  forwardTo:\n    east: ["[10.8.0.10]:53"]\n' >"$work/brackets.yaml"
expect_bad_input "an IPv4 forward address in brackets" "brackets.yaml, line 3, key coredns.forwardTo: '[10.8.0.10]:53' puts an IPv4 address in brackets" \
  --config "$work/brackets.yaml" --print --forward-to 10.8.0.10

echo "e2e-coredns: $count Corefiles patched as expected, idempotent, removable, diffs apply; unparsable input exits 2;" \
  "per-cluster reverse zones and per-policy blocks as expected, pod view on stderr; bad cache, overlaps and forward address exit 2"
