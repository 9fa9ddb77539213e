#!/usr/bin/env bash
# `meshdns coredns-config` on Corefile files, as GitOps users run it (no cluster): for every real-world
# Corefile of the golden tests, the jar's output must equal the expected patched file, patching that output
# again must change nothing (diff), --remove must give the original back byte for byte (cmp), the --dry-run
# diff must apply with GNU patch, and an unparsable Corefile must exit 2 with the file and line.
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

count=0
for original in "$golden"/*.Corefile; do
  name=$(basename "$original" .Corefile)
  args=(--cluster east --forward-to 10.8.0.10,10.9.0.10 --reverse-zone 10.10.0.0/16)
  [[ $name == nodelocal* ]] && args+=(--node-local)

  meshdns --corefile "$original" "${args[@]}" >"$work/$name.once"
  cmp "$golden/$name.patched" "$work/$name.once" || { echo "e2e-coredns: $name: output differs from $name.patched"; exit 1; }

  meshdns --corefile "$work/$name.once" "${args[@]}" >"$work/$name.twice"
  diff -u "$work/$name.once" "$work/$name.twice" || { echo "e2e-coredns: $name: patching twice changed it"; exit 1; }

  meshdns --corefile "$work/$name.once" --cluster east --remove >"$work/$name.removed"
  cmp "$original" "$work/$name.removed" || { echo "e2e-coredns: $name: --remove did not give the original back"; exit 1; }

  cp "$original" "$work/$name.Corefile"
  meshdns --corefile "$original" "${args[@]}" --dry-run >"$work/$name.diff"
  (cd "$work" && patch --batch -s -p1 <"$name.diff")
  cmp "$work/$name.Corefile" "$work/$name.once" || { echo "e2e-coredns: $name: the --dry-run diff does not apply"; exit 1; }
  count=$((count + 1))
done

printf '.:53 {\n    errors\n    forward . /etc/resolv.conf {\n}\n' >"$work/broken"
set +e
meshdns --corefile "$work/broken" --cluster east --forward-to 10.8.0.10 >"$work/out" 2>"$work/err"
code=$?
set -e
[ "$code" -eq 2 ] || { echo "e2e-coredns: unparsable Corefile exited $code, not 2"; cat "$work/err"; exit 1; }
grep -q "broken, line 1: '{' opened here is never closed" "$work/err" || { echo "e2e-coredns: unclear error:"; cat "$work/err"; exit 1; }
[ ! -s "$work/out" ] || { echo "e2e-coredns: an unparsable Corefile still printed something"; exit 1; }

echo "e2e-coredns: $count Corefiles patched as expected, idempotent, removable, diffs apply; unparsable input exits 2"
