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

# 4. The AOT cache (Java 25+): meshdns.aot beside the jar is used unless MESHDNS_AOT_CACHE says otherwise;
# on the exact command line first (the stand-in java), then with Temurin 25 and a real cache.
mkdir "$work/cached"
cp "$launcher" "$work/cached/"
ln -s "$jar" "$work/cached/meshdns.jar"
: >"$work/cached/meshdns.aot"
cached() { # cached NAME JAVA_HOME [VAR=VALUE...] -- EXPECTED-LINES...: the launcher in $work/cached
  local name=$1 home=$2 vars=()
  shift 2
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  got=$(env JAVA_HOME="$home" JAVA_OPTS="-Xss1m" "${vars[@]}" dash "$work/cached/meshdns" serve)
  want=$(printf '%s\n' "$@")
  [ "$got" = "$want" ] || fail "$name: the launcher ran java with:
$got
expected:
$want"
}
java25=$(fake_home 'JAVA_VERSION="25.0.3"')
access=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
cached_tail=(-Xss1m -jar "$work/cached/meshdns.jar" serve)
cached "Java 25, cache beside the jar" "$java25" -- "${access[@]}" "-XX:AOTCache=$work/cached/meshdns.aot" \
  -Xlog:aot=off "${cached_tail[@]}"
cached "Java 25, MESHDNS_AOT_CACHE=auto" "$java25" MESHDNS_AOT_CACHE=auto -- "${access[@]}" \
  "-XX:AOTCache=$work/cached/meshdns.aot" -Xlog:aot=off "${cached_tail[@]}"
cached "Java 25, MESHDNS_AOT_CACHE=off" "$java25" MESHDNS_AOT_CACHE=off -- "${access[@]}" "${cached_tail[@]}"
: >"$work/other cache.aot"
cached "Java 25, MESHDNS_AOT_CACHE=FILE" "$java25" "MESHDNS_AOT_CACHE=$work/other cache.aot" -- "${access[@]}" \
  "-XX:AOTCache=$work/other cache.aot" -Xlog:aot=off "${cached_tail[@]}"
cached "Java 21, cache beside the jar" "$(fake_home 'JAVA_VERSION="21"')" -- "${cached_tail[@]}"
expect_args "Java 25, no cache beside the jar" "$java25" "${access[@]}" "${tail[@]}"
# A cache named but missing, or named on a Java without AOT caches: a clear error, java never run.
if out=$(JAVA_HOME=$java25 MESHDNS_AOT_CACHE=$work/none.aot dash "$work/cached/meshdns" --version 2>&1); then
  fail "MESHDNS_AOT_CACHE naming a missing file: the launcher ran: $out"
fi
grep -q "MESHDNS_AOT_CACHE is $work/none.aot, but that is not a readable file" <<<"$out" \
  || fail "MESHDNS_AOT_CACHE naming a missing file: '$out'"
if out=$(JAVA_HOME=$(fake_home 'JAVA_VERSION="21"') MESHDNS_AOT_CACHE=$work/cached/meshdns.aot \
  dash "$work/cached/meshdns" --version 2>&1); then
  fail "MESHDNS_AOT_CACHE on Java 21: the launcher ran: $out"
fi
grep -q "AOT caches need Java 25 or newer" <<<"$out" || fail "MESHDNS_AOT_CACHE on Java 21: '$out'"
echo "e2e-launcher: AOT cache on the command line: beside the jar on Java 25 (auto), off, a file; none on Java 21" \
  "or without meshdns.aot; a missing file or Java 21 with MESHDNS_AOT_CACHE refused with a clear error"

# With Temurin 25: a cache trained by `--version` through the launcher (AOTCacheOutput, a few seconds) is
# used (-XX:AOTMode=on would stop the JVM otherwise); with options it was not trained with (compact
# object headers), or a cache that is not one, the JVM starts without it and says nothing.
temurin=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -x "$temurin/bin/java" ]; then
  rm "$work/cached/meshdns.aot"
  JAVA_HOME=$temurin MESHDNS_AOT_CACHE=off MESHDNS_JAVA_OPTS="-XX:AOTCacheOutput=$work/cached/meshdns.aot -Xlog:aot=error" \
    "$work/cached/meshdns" --version >"$work/train.log" 2>&1 || { cat "$work/train.log"; fail "training a cache failed"; }
  [ -s "$work/cached/meshdns.aot" ] || { cat "$work/train.log"; fail "--version with -XX:AOTCacheOutput wrote no cache"; }
  run25() { # run25 MESHDNS_JAVA_OPTS: --version through the launcher with the cache beside the jar; stderr to $work/stderr
    JAVA_HOME=$temurin MESHDNS_JAVA_OPTS=$1 "$work/cached/meshdns" --version 2>"$work/stderr"
  }
  out=$(run25 "-XX:AOTMode=on -Xlog:aot") || { cat "$work/stderr"; fail "Temurin 25: the matching cache was not used"; }
  grep -q "Opened AOT cache $work/cached/meshdns.aot" <<<"$out" || fail "Temurin 25: -Xlog:aot says no cache was opened: $out"
  for opts in "-XX:+UseCompactObjectHeaders" ""; do
    [ -n "$opts" ] || head -c 4096 /dev/urandom >"$work/cached/meshdns.aot"
    case $(run25 "$opts") in "meshdns $version "*) ;; *) cat "$work/stderr"; fail "Temurin 25 '$opts' with a cache it cannot use: --version failed" ;; esac
    [ ! -s "$work/stderr" ] || { cat "$work/stderr"; fail "Temurin 25 '$opts' with a cache it cannot use wrote to stderr"; }
    ! run25 "$opts -XX:AOTMode=on" >/dev/null || fail "Temurin 25 '$opts': -XX:AOTMode=on used a cache that does not match"
  done
  echo "e2e-launcher: Temurin 25 uses a matching cache beside the jar; one trained with other options, or not a" \
    "cache, is passed over in silence"
fi
