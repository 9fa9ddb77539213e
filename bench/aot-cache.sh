#!/usr/bin/env bash
# `meshdns serve` with the server image's AOT cache against without it, at size (bench/RESULTS.md, "AOT
# cache"). Trains a cache with the Dockerfile's aot-stage script (dns-server/src/main/docker/aot-training.sh:
# serve through the launcher with the image's JVM options against a demo mesh of 4 x 500 services in
# another JVM, until ready, then SIGTERM) on Temurin 25 and the build directory's jar (meshdns-demo.jar
# beside it for training and measuring alike), then runs bench/jvm-flags.sh with the options alone and
# the options plus -XX:AOTCache (AOTMode=on: a cache the JVM cannot use stops it), with and without its
# method profiles, alternating, ROUNDS times each.
#
#   MESHDNS_MESH="--clusters 20 --services 2500 --pods-per-cluster 4" bench/aot-cache.sh 1280m 5000
#   MESHDNS_AOT_ROUNDS=N (default 2); MESHDNS_AOT_OPTS: the options (default: the image's and the chart's)
#
# Needs a build with Temurin 25 (JAVA_HOME=... ./mvnw -B -q -DskipTests package) and what jvm-flags.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64
opts=${MESHDNS_AOT_OPTS:-"-XX:+UseSerialGC -XX:+UseCompactObjectHeaders -XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError"}
rounds=${MESHDNS_AOT_ROUNDS:-2}
work=$(mktemp -d /tmp/meshdns-aot.XXXXXX)
trap 'rm -rf "$work"' EXIT

JAVA_HOME=$jdk25 MESHDNS_JAVA_OPTS=$opts dns-server/src/main/docker/aot-training.sh dns-server/target/meshdns \
  dns-server/target/meshdns "$work/meshdns.aot"

: >"$work/sets"
for _ in $(seq 1 "$rounds"); do
  echo "no cache|$jdk25|$opts" >>"$work/sets"
  echo "AOT cache|$jdk25|$opts -XX:AOTCache=$work/meshdns.aot -XX:AOTMode=on" >>"$work/sets"
  # JEP 483 alone: the cache's classes, not its method profiles (JEP 515) for the JIT.
  echo "AOT cache, no profiles|$jdk25|$opts -XX:AOTCache=$work/meshdns.aot -XX:AOTMode=on -XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining" >>"$work/sets"
done
MESHDNS_FLAG_SETS=$work/sets bench/jvm-flags.sh "$@"
