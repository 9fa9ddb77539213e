#!/usr/bin/env bash
# The container images, built from the Dockerfile with buildah and started offline: its entrypoint runs
# inside the image's root filesystem, mounted read-only, as the image's user (uid 10001), with what a
# Kubernetes pod adds (/proc, a minimal /dev, /etc/hosts, an empty /tmp, the chart's volumes). First
# `demo` in the demo target, checked with dig and curl; then, in the server image (no mock API server in
# it: `demo` there fails with a clear error), `serve --config` on the ConfigMap the Helm chart renders,
# watching the demo's two clusters through kubeconfig files mounted where the chart mounts them.
# Leaves the server image in buildah's storage as meshdns:<version> (what the chart's defaults name) and in
# target/meshdns-image.tar (OCI archive), the demo image as meshdns-demo:<version>.
#
# Built from the jar of the build directory (JAR_FROM=prebuilt), not from the sources again. The
# runtime base is a stand-in for the Debian slim image users build on: Debian bookworm's essential
# packages and passwd, made by mmdebstrap and cached in $MESHDNS_CI_CACHE (default /var/cache/meshdns-ci)
# and in buildah's storage, keyed by its package list. The JDK the jlink stage runs is this machine's
# Temurin 25 ($MESHDNS_CI_JDK, default /usr/lib/jvm/temurin-25-jdk-amd64) copied onto that base: nothing
# downloads a JDK. MESHDNS_BASE_IMAGE=IMAGE builds on an image already in buildah's storage instead
# (nothing is pulled); MESHDNS_CI_DEBIAN_MIRROR gives mmdebstrap another mirror than deb.debian.org.
#
# Needs root (it mounts and chroots), buildah, a Temurin 25 JDK, and mmdebstrap when the base is not cached.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

fail() { echo "e2e-image: $*" >&2; exit 1; }

jar=dns-server/target/meshdns.jar
[ "$(id -u)" -eq 0 ] || fail "needs root: it mounts the image's root filesystem and chroots into it"
command -v buildah >/dev/null 2>&1 || fail "buildah is not installed (Debian package buildah; .ci/run installs it)"
for f in "$jar" dns-server/target/meshdns-demo.jar dns-server/target/meshdns; do
  [ -f "$f" ] || fail "$f is missing: run ./mvnw -B -q -DskipTests package first"
done
jdk=${MESHDNS_CI_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ -x "$jdk/bin/jlink" ] && grep -q '^JAVA_VERSION="25' "$jdk/release" \
  || fail "no Temurin 25 JDK at $jdk (MESHDNS_CI_JDK): the image's jlink stage runs it, and the build downloads none"
info=$(buildah info 2>&1) \
  || fail "buildah cannot run on this machine: $( (grep -m1 '^Error:' <<<"$info" || tail -1 <<<"$info") | cut -c1-300)"

# What the chart deploys by default: image.repository and image.tag (empty: the chart's appVersion).
repository=$(awk '/^image:/ {i = 1} i && $1 == "repository:" {print $2; exit}' charts/meshdns/values.yaml)
chart_tag=$(awk '/^image:/ {i = 1} i && $1 == "tag:" {gsub(/"/, "", $2); print $2; exit}' charts/meshdns/values.yaml)
app_version=$(awk '$1 == "appVersion:" {gsub(/"/, "", $2); print $2}' charts/meshdns/Chart.yaml)
# The version of the jar being packaged (its Maven project version).
version=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' \
  "$jar" META-INF/maven/io.meshdns/meshdns-dns-server/pom.properties 2>/dev/null | sed -n 's/^version=//p' | tr -d '\r')
[ -n "$version" ] || fail "$jar names no Maven version (META-INF/maven/io.meshdns/meshdns-dns-server/pom.properties)"
tag=${chart_tag:-$app_version}
[ "$tag" = "${version%-SNAPSHOT}" ] \
  || fail "the chart deploys $repository:$tag but the jar is version $version: update charts/meshdns/Chart.yaml appVersion"
image=localhost/$repository:$tag
demo_image=localhost/$repository-demo:$tag
revision=$(git rev-parse HEAD)
git diff --quiet HEAD -- 2>/dev/null || revision="$revision-dirty"

work=$(mktemp -d)
pids=()
render_pid=""
containers=()
cleanup() {
  [ -z "$render_pid" ] || kill "$render_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do stop_in_image "$pid" || true; done
  for c in "${containers[@]}"; do buildah umount "$c" >/dev/null 2>&1 || true; buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The chart's ConfigMap for step 2 below, rendered by Helm in the charts tests (DemoMeshConfigMapTest)
# while the image is built.
rm -rf charts/target/demo-mesh-config
./mvnw -B -q -pl charts -am -Dtest=DemoMeshConfigMapTest -Dsurefire.failIfNoSpecifiedTests=false test \
  >"$work/render.log" 2>&1 &
render_pid=$!

# --- The base image ---------------------------------------------------------------------------------
started=$SECONDS
if [ -n "${MESHDNS_BASE_IMAGE:-}" ]; then
  base=$MESHDNS_BASE_IMAGE
  buildah inspect --type image "$base" >/dev/null 2>&1 \
    || fail "base image $base is not in buildah's storage; the build pulls nothing (buildah pull $base first)"
else
  suite=bookworm
  # passwd: the Dockerfile's groupadd and useradd, as in Debian's slim image. No Java and no CA bundle:
  # the jlinked runtime brings its own (lib/security/cacerts). Documentation is of no use in a runtime image.
  recipe=(--variant=essential --include=passwd
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*')
  mirror=${MESHDNS_CI_DEBIAN_MIRROR:-}
  key=$(printf '%s\n' "$suite" "${recipe[@]}" "$mirror" | sha256sum | cut -c1-12)
  base=localhost/meshdns-ci-base:$key
  cache=${MESHDNS_CI_CACHE:-/var/cache/meshdns-ci}
  tarball=$cache/base-$key.tar
  if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    if [ ! -s "$tarball" ]; then
      command -v mmdebstrap >/dev/null 2>&1 \
        || fail "mmdebstrap is not installed (Debian package mmdebstrap; .ci/run installs it) and no cached base $tarball"
      mkdir -p "$cache"
      echo "e2e-image: building the base (Debian $suite: ${recipe[*]}) with mmdebstrap"
      partial=$cache/partial-$$.tar
      mmdebstrap --quiet "${recipe[@]}" "$suite" "$partial" ${mirror:+"$mirror"} >"$work/mmdebstrap.log" 2>&1 \
        || { tail -30 "$work/mmdebstrap.log" >&2; rm -rf "$partial"; fail "mmdebstrap could not build the base (log above)"; }
      mv "$partial" "$tarball"
      find "$cache" -maxdepth 1 -name 'base-*.tar' ! -name "base-$key.tar" -delete
    fi
    c=$(buildah from scratch)
    buildah add --quiet "$c" "$tarball" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
    buildah commit --quiet --rm "$c" "$base" >/dev/null
  fi
fi
echo "e2e-image: base $base ready in $((SECONDS - started)) s"

# --- The JDK of the build stages: this machine's Temurin 25 on the same base ------------------------
# At $JAVA_HOME=/opt/java/openjdk, where the Temurin images have it. Keyed by the base and the JDK's release.
started=$SECONDS
# Symbolic links are followed (Debian's Temurin package links lib/security/cacerts to /etc/ssl/certs).
jdk_key=$(cat <(echo "$base dereferenced") "$jdk/release" | sha256sum | cut -c1-12)
jdk_image=localhost/meshdns-ci-jdk:$jdk_key
if ! buildah inspect --type image "$jdk_image" >/dev/null 2>&1; then
  c=$(buildah from --pull=never "$base")
  tar -C "$jdk" --dereference -cf "$work/jdk.tar" .
  buildah add --quiet "$c" "$work/jdk.tar" /opt/java/openjdk >/dev/null
  rm -f "$work/jdk.tar"
  buildah config --env JAVA_HOME=/opt/java/openjdk \
    --env PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
  buildah commit --quiet --rm "$c" "$jdk_image" >/dev/null
  for old in $(buildah images --noheading --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep '^localhost/meshdns-ci-jdk:' || true); do
    [ "$old" = "$jdk_image" ] || buildah rmi "$old" >/dev/null 2>&1 || true
  done
fi
echo "e2e-image: JDK image $jdk_image ($(sed -n 's/^JAVA_RUNTIME_VERSION=//p' "$jdk/release")) ready in $((SECONDS - started)) s"

# --- The image ---------------------------------------------------------------------------------------
started=$SECONDS
annotations=()
for a in "version=$version" "revision=$revision" ${MESHDNS_IMAGE_SOURCE:+"source=$MESHDNS_IMAGE_SOURCE"}; do
  annotations+=(--annotation "org.opencontainers.image.$a")
done
previous=$(buildah inspect --type image --format '{{.FromImageID}}' "$image" 2>/dev/null || true)
previous_demo=$(buildah inspect --type image --format '{{.FromImageID}}' "$demo_image" 2>/dev/null || true)
build_args=(--build-arg JAR_FROM=prebuilt --build-arg "BUILD_IMAGE=$jdk_image" --build-arg "RUNTIME_BASE=$base"
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=${MESHDNS_IMAGE_SOURCE:-}")
# The demo target first: the server target reuses its stages (the layers up to `runtime` are cached).
for target in demo server; do
  tagged=$image
  [ "$target" = server ] || tagged=$demo_image
  buildah bud --isolation chroot --pull=never --format oci --layers --target "$target" \
      "${build_args[@]}" "${annotations[@]}" -t "$tagged" . >"$work/build-$target.log" 2>&1 \
    || { cat "$work/build-$target.log" >&2; fail "buildah bud --isolation chroot --target $target failed on base $base (log above)"; }
done
sed -n 's/^jlink: /e2e-image: jlink modules (jdeps): /p' "$work/build-demo.log" | head -1
# The previous builds of these tags, now untagged, are of no further use.
for pair in "$previous:$image" "$previous_demo:$demo_image"; do
  old=${pair%%:*}
  if [ -n "$old" ] && [ "$old" != "$(buildah inspect --type image --format '{{.FromImageID}}' "${pair#*:}")" ]; then
    buildah rmi "$old" >/dev/null 2>&1 || true
  fi
done
mkdir -p target
rm -f target/meshdns-image.tar
# Named as Kubernetes names the chart's image (meshdns:0.1.0 is docker.io/library/meshdns:0.1.0), so an
# import into a cluster's containerd (kind load image-archive, k3s ctr images import) is found by the pods.
buildah push --quiet "$image" "oci-archive:target/meshdns-image.tar:docker.io/library/$repository:$tag" >/dev/null
echo "e2e-image: built $image ($(buildah images --noheading --format '{{.Size}}' "$image"), $version, $revision)," \
  "$demo_image ($(buildah images --noheading --format '{{.Size}}' "$demo_image")) and target/meshdns-image.tar" \
  "($(du -m target/meshdns-image.tar | cut -f1) MB) in $((SECONDS - started)) s"

python3 - target/meshdns-image.tar "docker.io/library/$repository:$tag" "$version" "$revision" <<'PY' \
  || fail "target/meshdns-image.tar is not the OCI archive of $image named docker.io/library/$repository:$tag"
import json, sys, tarfile
archive, name, version, revision = sys.argv[1:]
with tarfile.open(archive) as tar:
    [entry] = json.load(tar.extractfile("index.json"))["manifests"]
    manifest = json.load(tar.extractfile("blobs/sha256/" + entry["digest"].split(":")[1]))
annotations = manifest.get("annotations", {})
assert entry["annotations"]["org.opencontainers.image.ref.name"] == name, entry
assert annotations.get("org.opencontainers.image.version") == version, annotations
assert annotations.get("org.opencontainers.image.revision") == revision, annotations
PY
labels=$(buildah inspect --type image --format \
  '{{index .OCIv1.Config.Labels "org.opencontainers.image.version"}} {{index .OCIv1.Config.Labels "org.opencontainers.image.revision"}}' "$image")
[ "$labels" = "$version $revision" ] || fail "image labels say '$labels', expected '$version $revision'"
[ "$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$image")" = "10001:10001" ] \
  || fail "the image does not run as 10001:10001, the uid the chart's securityContext sets"

# --- Running it as a pod would ------------------------------------------------------------------------
ctr=$(buildah from --pull=never "$image")
containers+=("$ctr")
rootfs=$(buildah mount "$ctr")
server_rootfs=$rootfs
ctr=$(buildah from --pull=never "$demo_image")
containers+=("$ctr")
demo_rootfs=$(buildah mount "$ctr")
# The demo image adds meshdns-demo.jar and nothing else the pod would see (same entrypoint, user, env).
for field in '{{.OCIv1.Config.Entrypoint}}' '{{.OCIv1.Config.User}}' '{{.OCIv1.Config.Env}}'; do
  [ "$(buildah inspect --type image --format "$field" "$image")" = "$(buildah inspect --type image --format "$field" "$demo_image")" ] \
    || fail "the demo image's $field differs from the server image's"
done
[ ! -e "$server_rootfs/opt/meshdns/meshdns-demo.jar" ] && [ -f "$demo_rootfs/opt/meshdns/meshdns-demo.jar" ] \
  || fail "meshdns-demo.jar (the mock API servers) must be in the demo image only"
if unzip -l "$server_rootfs/opt/meshdns/meshdns.jar" | grep 'io/fabric8/mockwebserver/\|io/meshdns/testkit/' >/dev/null; then
  fail "the server image's meshdns.jar holds the demo's mock API server"
fi
user=$(buildah inspect --format '{{.OCIv1.Config.User}}' "$ctr")
mapfile -t entrypoint < <(buildah inspect --format '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}' "$ctr")
mapfile -t env < <(buildah inspect --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$ctr")
workdir=$(buildah inspect --format '{{.OCIv1.Config.WorkingDir}}' "$ctr")
printf '127.0.0.1\tlocalhost %s\n::1\tlocalhost\n' "$(hostname)" >"$work/hosts"

# The runtime creates volume mount points in the container's own writable layer, not in the image.
for r in "$server_rootfs" "$demo_rootfs"; do
  mkdir -p "$r/etc/meshdns/config" "$r/etc/meshdns/kubeconfigs" "$r/run/meshdns-demo"
done

# Run in new mount and pid namespaces (torn down with the process): the image's root bound read-only on
# $1, the pod's mounts on top, then chroot as the image's user. Arguments: root dir, volumes
# (SRC:DST:ro|rw ...), then the command.
in_pod='set -e
root=$1 volumes=$2; shift 2
mount --bind "$IMAGE_ROOTFS" "$root"
mount -o remount,bind,ro "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,mode=0755,size=1m dev "$root/dev"
for d in null zero full random urandom; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
mkdir "$root/dev/shm"; mount -t tmpfs -o nosuid,nodev,mode=1777,size=16m shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=64m tmp "$root/tmp"
mount --bind "$POD_HOSTS" "$root/etc/hosts"; mount -o remount,bind,ro "$root/etc/hosts"
for v in $volumes; do
  IFS=: read -r src dst mode <<<"$v"
  mount --bind "$src" "$root$dst"
  [ "$mode" = rw ] || mount -o remount,bind,ro "$root$dst"
done
exec chroot --userspec="$POD_USER" --groups=10001 "$root" "$@"'

# start_in_image LOG VOLUMES COMMAND...: COMMAND in the image as above, in the background (pid in $!).
start_in_image() {
  local log=$1 volumes=$2
  shift 2
  local root
  root=$(mktemp -d -p "$work" root.XXXX)
  IMAGE_ROOTFS=$rootfs POD_HOSTS=$work/hosts POD_USER=$user \
    unshare --mount --propagation private --pid --kill-child \
    bash -c "$in_pod" in-pod "$root" "$volumes" env -i -C "${workdir:-/}" "${env[@]}" HOSTNAME="$(hostname)" "$@" \
    >"$log" 2>&1 &
}

# stop_in_image PID (a start_in_image $!): SIGTERM to the process in the image, as the kubelet stops a
# container; SIGKILL and status 1 when it is still running 20 s later. The signal goes to the process
# itself: unshare passes none on, and the process, having changed its uid, gets no parent-death signal.
stop_in_image() {
  local pid=$1 child
  child=$(pgrep -P "$pid" || true)
  [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.5
  done
  [ -z "$child" ] || kill -KILL "$child" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

# The harness itself: uid 10001, and a root filesystem nothing can write to (except /tmp).
start_in_image "$work/probe.log" "" sh -c 'id -u; id -g; touch /opt/probe 2>&1 || true; touch /tmp/probe && echo tmp-writable'
probe_pid=$!
wait "$probe_pid" || { cat "$work/probe.log"; fail "could not start a process in the image's root filesystem"; }
grep -q "^10001$" "$work/probe.log" && grep -q "Read-only file system" "$work/probe.log" && grep -q tmp-writable "$work/probe.log" \
  || { cat "$work/probe.log"; fail "the process in the image is not uid 10001 on a read-only root with a writable /tmp"; }

# The entrypoint is the `meshdns` launcher on the jlinked Java 25, and says nothing on stderr; `demo` in
# the server image fails at once, naming the demo target.
start_in_image "$work/version.log" "" sh -c '"$0" --version 2>/tmp/err; cat /tmp/err; java -version 2>&1 | head -1; java --list-modules' "${entrypoint[@]}"
wait $! || { cat "$work/version.log"; fail "the entrypoint ${entrypoint[*]} --version failed"; }
[ "${entrypoint[*]}" = /opt/meshdns/meshdns ] && head -1 "$work/version.log" | grep -q "^meshdns $version (revision .*, Java 25" \
  && grep -q '^openjdk version "25' "$work/version.log" && ! grep -q WARNING "$work/version.log" \
  || { cat "$work/version.log"; fail "the entrypoint is not the meshdns launcher on Java 25, or it warned"; }
# A jlinked runtime, not a whole JDK: no compiler, no jshell.
! grep -q '^jdk.compiler@\|^jdk.jshell@' "$work/version.log" \
  || { cat "$work/version.log"; fail "the image holds a whole JDK, not the jlinked runtime"; }
echo "e2e-image: entrypoint ${entrypoint[*]} on $(sed -n 2p "$work/version.log"), $(grep -c '@' "$work/version.log") modules"

# The server image's AOT cache (the Dockerfile's aot stage): root's, and used by the image's JVM with the
# image's options under the chart's default memory limit (-XX:MaxRAM=768m): -XX:AOTMode=on stops the JVM
# when it cannot use the cache. The demo image has none (its meshdns-demo.jar would make the JVM refuse it).
cache=$server_rootfs/opt/meshdns/meshdns.aot
[ -f "$cache" ] && [ "$(stat -c %u:%a "$cache")" = 0:644 ] \
  || fail "the server image has no /opt/meshdns/meshdns.aot owned by root, mode 644 ($(stat -c %u:%a "$cache" 2>&1))"
[ ! -e "$demo_rootfs/opt/meshdns/meshdns.aot" ] || fail "the demo image holds an AOT cache its class path does not match"
start_in_image "$work/aot.log" "" sh -c \
  'MESHDNS_JAVA_OPTS="$MESHDNS_JAVA_OPTS -XX:MaxRAM=768m -XX:AOTMode=on -Xlog:aot" exec "$0" --version' "${entrypoint[@]}"
wait $! || { cat "$work/aot.log"; fail "the image's JVM cannot use /opt/meshdns/meshdns.aot with the image's options"; }
grep -q "Opened AOT cache /opt/meshdns/meshdns.aot" "$work/aot.log" && grep -q "Using AOT-linked classes: true" "$work/aot.log" \
  || { cat "$work/aot.log"; fail "the image's JVM did not open /opt/meshdns/meshdns.aot with its AOT-linked classes"; }
# The training's own report (none when buildah took the aot stage from its layer cache).
trained=$(sed -n 's/^.*aot-training: [^,]*, //p' "$work/build-demo.log" "$work/build-server.log" | head -1)
echo "e2e-image: the server image's JVM uses its AOT cache /opt/meshdns/meshdns.aot ($(du -m "$cache" | cut -f1) MB)${trained:+; trained: $trained}"
start_in_image "$work/nodemo.log" "" "${entrypoint[@]}" demo
wait $! && fail "demo ran in the server image"
grep -q "meshdns demo needs meshdns-demo.jar" "$work/nodemo.log" || { cat "$work/nodemo.log"; fail "demo in the server image: no clear error"; }

want=$(printf '%s\n' 10.10.1.1 10.10.1.2 10.10.1.3 10.20.1.1 10.20.1.2 | sort)
# check_serving NAME PID DNS_PORT HTTP_PORT LOG: the process in the image (start_in_image PID) answers
# the 5 ready IPs of web.shop over UDP and TCP, and /readyz with 200.
check_serving() {
  local name=$1 pid=$2 port=$3 http_port=$4 log=$5 got code=""
  # Both demo clusters synced: the first answers may hold one cluster's pods.
  wait_for_answers "$port" web.shop.svc.clusterset.local 5 || { cat "$log"; fail "$name: not all 5 ready IPs answered"; }
  # Not some other process on a port that was free a moment ago: the one in the image listens there.
  kill -0 "$pid" 2>/dev/null && grep -q "DNS listening on 127.0.0.1 port $port " "$log" \
    || { cat "$log"; fail "$name: the process in the image is not the one answering on port $port"; }
  for proto in +notcp +tcp; do
    got=$(dig @127.0.0.1 -p "$port" web.shop.svc.clusterset.local A +short "$proto" | sort)
    [ "$got" = "$want" ] || { cat "$log"; fail "$name: dig $proto answered '$got', expected the 5 ready IPs"; }
  done
  for _ in $(seq 1 60); do
    code=$(curl -s -o "$work/readyz" -w '%{http_code}' "http://127.0.0.1:$http_port/readyz" || true)
    [ "$code" = 200 ] && break
    sleep 0.5
  done
  [ "$code" = 200 ] || { cat "$work/readyz" "$log"; fail "$name: /readyz answered $code, expected 200"; }
}

# 1. `demo` through the image's entrypoint. Its kubeconfigs go to a host directory, for step 2.
started=$SECONDS
mkdir -p "$work/demo-kubeconfigs"
chown 10001:10001 "$work/demo-kubeconfigs"
demo_port=$(free_port)
demo_http=$(free_port)
demo_admin=$(free_port)
rootfs=$demo_rootfs
start_in_image "$work/demo.log" "$work/demo-kubeconfigs:/run/meshdns-demo:rw" \
  "${entrypoint[@]}" demo --dns-port "$demo_port" --http-port "$demo_http" --admin-port "$demo_admin" \
  --kubeconfig-dir /run/meshdns-demo
pids+=($!)
rootfs=$server_rootfs
check_serving demo "${pids[-1]}" "$demo_port" "$demo_http" "$work/demo.log"
echo "e2e-image: demo in the image (uid 10001, read-only root) answered web.shop with the 5 ready IPs over UDP and TCP, /readyz 200 ($((SECONDS - started)) s)"

# 2. `serve --config` with the chart's ConfigMap (values-demo-mesh.yaml: the demo's east and west as
# remote clusters, loopback only), rendered by Helm in the charts tests. Each kubeconfig is mounted
# where the chart's projected Secret volume puts it: /etc/meshdns/kubeconfigs/<cluster id>.
started=$SECONDS
wait "$render_pid" || { cat "$work/render.log"; fail "rendering the chart's ConfigMap (mvn -pl charts -Dtest=DemoMeshConfigMapTest) failed"; }
render_pid=""
mkdir -p "$work/config" "$work/kubeconfigs"
cp charts/target/demo-mesh-config/* "$work/config/"
for cluster in east west; do
  install -m 0440 -g 10001 "$work/demo-kubeconfigs/$cluster.kubeconfig" "$work/kubeconfigs/$cluster"
done
serve_port=$(free_port)
serve_http=$(free_port)
serve_admin=$(free_port)
# The chart's container args, plus the ports: the config's 5353, 9153 and 9154 may be taken on a shared machine.
start_in_image "$work/serve.log" "$work/config:/etc/meshdns/config:ro $work/kubeconfigs:/etc/meshdns/kubeconfigs:ro" \
  "${entrypoint[@]}" serve --config /etc/meshdns/config/config.yaml --dns-port "$serve_port" --http-port "$serve_http" \
  --admin-port "$serve_admin"
pids+=($!)
check_serving serve "${pids[-1]}" "$serve_port" "$serve_http" "$work/serve.log"
serve_pid=${pids[-1]}
unset 'pids[-1]'
stop_in_image "$serve_pid" || { cat "$work/serve.log"; fail "serve did not stop within 20 s of SIGTERM"; }
echo "e2e-image: serve --config with the chart's rendered ConfigMap in the image answered web.shop from both clusters, /readyz 200 ($((SECONDS - started)) s)"
