#!/usr/bin/env bash
# The `meshdns` launcher the build writes beside the jar (dns-server/target/meshdns, the image's
# entrypoint too): run under dash (a plain POSIX sh, Debian's /bin/sh), through a symbolic link on PATH,
# with the default java (JDK 17) and with Temurin 25 when installed; JVM options and the flags it adds
# per Java release checked on the exact command line it executes (a stand-in `java` that prints it).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

fail() { echo "e2e-launcher: $*" >&2; exit 1; }

launcher=$PWD/dns-server/target/meshdns
jar=$PWD/dns-server/target/meshdns.jar
[ -x "$launcher" ] || fail "$launcher is missing or not executable: run ./mvnw -B -q -DskipTests package first"
version=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' \
  "$jar" META-INF/maven/io.meshdns/meshdns-dns-server/pom.properties | sed -n 's/^version=//p' | tr -d '\r')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$launcher" "$work/bin/meshdns"

# 1. Real runtimes: --version and --help, with nothing on stderr (no JVM warning about native access or
# sun.misc.Unsafe on 25). JAVA_HOME unset: the `java` on PATH.
homes=("")
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && homes+=(/usr/lib/jvm/temurin-25-jdk-amd64)
for home in "${homes[@]}"; do
  name=${home:-"java on PATH ($(command -v java))"}
  runtime=(-u JAVA_HOME)
  [ -z "$home" ] || runtime=("JAVA_HOME=$home")
  out=$(cd "$work" && env "${runtime[@]}" PATH="$work/bin:$PATH" \
    dash -c 'exec meshdns --version' 2>"$work/stderr") || { cat "$work/stderr"; fail "$name: meshdns --version failed"; }
  case "$out" in
    "meshdns $version (revision "*", Java "*")") ;;
    *) fail "$name: --version printed '$out', expected 'meshdns $version (revision ..., Java ...)'" ;;
  esac
  [ ! -s "$work/stderr" ] || { cat "$work/stderr"; fail "$name: --version wrote to stderr"; }
  env "${runtime[@]}" "$work/bin/meshdns" --help >"$work/help" 2>"$work/stderr" \
    || { cat "$work/stderr"; fail "$name: meshdns --help failed"; }
  grep -q "^Usage: meshdns" "$work/help" && grep -q "serve" "$work/help" && grep -q "demo" "$work/help" \
    || { cat "$work/help"; fail "$name: --help does not list the commands"; }
  [ ! -s "$work/stderr" ] || { cat "$work/stderr"; fail "$name: --help wrote to stderr"; }
  # JAVA_OPTS then MESHDNS_JAVA_OPTS reach the JVM: the later -Xmx wins.
  env "${runtime[@]}" JAVA_OPTS="-Xmx64m -XshowSettings:vm" MESHDNS_JAVA_OPTS="-Xmx96m" \
    "$work/bin/meshdns" --version >/dev/null 2>"$work/stderr" || { cat "$work/stderr"; fail "$name: with JAVA_OPTS failed"; }
  grep -q "Max. Heap Size: 96.00M" "$work/stderr" || { cat "$work/stderr"; fail "$name: JAVA_OPTS/MESHDNS_JAVA_OPTS not applied in order"; }
  echo "e2e-launcher: $name: --version, --help, JAVA_OPTS and MESHDNS_JAVA_OPTS"
done

# 2. The command line per Java release, through a stand-in JAVA_HOME whose `java` prints its arguments.
# fake_home RELEASE_LINE: a JAVA_HOME with that release file line (none when empty).
fake_home() {
  local home
  home=$(mktemp -d -p "$work" jdk.XXXX)
  mkdir "$home/bin"
  printf '#!/bin/sh\n[ "$1" = -version ] && { echo "openjdk version \\"%s\\" 2030-01-01" >&2; exit 0; }\nfor a in "$@"; do printf "%%s\\n" "$a"; done\n' \
    "${2:-}" >"$home/bin/java"
  chmod +x "$home/bin/java"
  [ -z "$1" ] || printf '%s\n' "$1" >"$home/release"
  echo "$home"
}
expect_args() { # expect_args NAME JAVA_HOME EXPECTED-LINES... : the launcher with args "serve --config 'a b'"
  local name=$1 home=$2
  shift 2
  got=$(env JAVA_HOME="$home" JAVA_OPTS="-Xss1m -Dx=*" MESHDNS_JAVA_OPTS="-Xmx1g" dash "$launcher" serve --config "a b")
  want=$(printf '%s\n' "$@")
  [ "$got" = "$want" ] || fail "$name: the launcher ran java with:
$got
expected:
$want"
}
tail=(-Xss1m "-Dx=*" -Xmx1g -jar "$jar" serve --config "a b")
expect_args "Java 17" "$(fake_home 'JAVA_VERSION="17.0.15"')" "${tail[@]}"
expect_args "Java 21" "$(fake_home 'JAVA_VERSION="21"')" "${tail[@]}"
expect_args "Java 22" "$(fake_home 'JAVA_VERSION="22.0.2"')" --enable-native-access=ALL-UNNAMED "${tail[@]}"
expect_args "Java 25" "$(fake_home 'JAVA_VERSION="25.0.3"')" --enable-native-access=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow "${tail[@]}"
expect_args "Java 25 without a release file" "$(fake_home "" 25.0.1)" --enable-native-access=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow "${tail[@]}"
# Too old: a clear error, java never run.
if out=$(JAVA_HOME=$(fake_home 'JAVA_VERSION="11.0.2"') dash "$launcher" --version 2>&1); then
  fail "Java 11: the launcher ran: $out"
fi
grep -q "is Java 11.0.2; meshdns needs Java 17 or newer" <<<"$out" || fail "Java 11: '$out'"
if out=$(JAVA_HOME=$work/none dash "$launcher" --version 2>&1); then fail "a JAVA_HOME without java: the launcher ran"; fi
grep -q "JAVA_HOME is $work/none, but $work/none/bin/java is not an executable" <<<"$out" || fail "bad JAVA_HOME: '$out'"
echo "e2e-launcher: java's command line on Java 17, 21, 22 and 25; Java 11 and a bad JAVA_HOME refused with a clear error"

# 3. Without meshdns-demo.jar beside meshdns.jar (the server image): `demo` exits 2 at once, naming it.
mkdir "$work/server-only"
cp "$launcher" "$jar" "$work/server-only/"
if out=$("$work/server-only/meshdns" demo 2>&1); then fail "demo ran without meshdns-demo.jar: $out"; fi
grep -q "meshdns demo needs meshdns-demo.jar" <<<"$out" || fail "demo without meshdns-demo.jar: '$out'"
echo "e2e-launcher: without meshdns-demo.jar, demo fails at once naming it"
