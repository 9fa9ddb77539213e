# The meshdns container image, built from a clean clone:
#
#   docker build -t meshdns:0.1.0 .                       # the server (default target)
#   docker build -t meshdns-demo:0.1.0 --target demo .    # the server plus the demo's mock API servers
#
# Stages: `build` compiles meshdns with the Maven Wrapper on a JDK 25 (the jar still targets Java 17);
# `jre` makes a Java 25 runtime with jlink holding only the modules the jar needs (found with jdeps);
# `server` is that runtime, the jar and the `meshdns` launcher on a small Debian, run as uid 10001, plus
# the AOT cache (/opt/meshdns/meshdns.aot) that `aot` trains on them.
#
# Build arguments (all optional):
#   BUILD_IMAGE   a JDK 25 image with jdeps and jlink at $JAVA_HOME (default Temurin 25, by digest)
#   RUNTIME_BASE  the runtime's base: /bin/sh, groupadd and useradd, and bash and dd for the AOT training
#                 (default Debian bookworm slim, by digest)
#   JAR_FROM      build (default: compile in the image) or prebuilt (take dns-server/target/meshdns.jar,
#                 meshdns-demo.jar and meshdns from the build context, after ./mvnw -B -DskipTests package;
#                 what .ci/e2e-image.sh does, on an mmdebstrap base and the machine's own Temurin 25)
#   VERSION, REVISION, SOURCE   the OCI labels below
#
# The digests pin the multi-arch index of the tags eclipse-temurin:25-jdk and debian:bookworm-slim; to
# move to newer patch releases, resolve the tags again (docker buildx imagetools inspect TAG) and update them.
ARG BUILD_IMAGE=eclipse-temurin:25-jdk@sha256:68868d04fa9cfd5f5c6abec0b5cef86d8de2bf9c62c37c7d3e4f0f80f5cfd7ff
ARG RUNTIME_BASE=debian:bookworm-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c
ARG JAR_FROM=build

# --- build: the jar, the demo jar and the launcher, from the sources --------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# The wrapper and the poms first, so that the dependencies are a layer of their own.
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY core/pom.xml core/
COPY discovery/pom.xml discovery/
COPY loadbalancer/pom.xml loadbalancer/
COPY forwarder-config/pom.xml forwarder-config/
COPY testkit/pom.xml testkit/
COPY dns-server/pom.xml dns-server/
COPY bench/pom.xml bench/
COPY charts/pom.xml charts/
RUN ./mvnw -B -q -pl dns-server -am dependency:go-offline -DexcludeReactor=true
COPY . .
RUN ./mvnw -B -q -o -pl dns-server -am -DskipTests package \
 && mkdir -p /out && cp dns-server/target/meshdns.jar dns-server/target/meshdns-demo.jar dns-server/target/meshdns /out/

# --- prebuilt: the same three files, built beforehand --------------------------------------------------
FROM scratch AS prebuilt
COPY dns-server/target/meshdns.jar dns-server/target/meshdns-demo.jar dns-server/target/meshdns /out/

FROM ${JAR_FROM} AS jar

# --- jre: a Java 25 runtime with only the modules meshdns.jar uses ---------------------------------------
FROM ${BUILD_IMAGE} AS jre
COPY --from=jar /out/meshdns.jar /tmp/meshdns.jar
# jdeps lists the JDK modules the classes name (java.base, java.management, jdk.unsupported for Netty...);
# --ignore-missing-deps: optional dependencies of the bundled libraries that meshdns does not ship.
# --strip-java-debug-attributes, not --strip-debug: on Linux the latter also strips the native libraries
# with objcopy, which a slim JDK image lacks (Temurin's libraries ship stripped already).
RUN "$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps /tmp/meshdns.jar \
      > /tmp/modules \
 && echo "jlink: $(cat /tmp/modules)" \
 && "$JAVA_HOME/bin/jlink" --add-modules "$(cat /tmp/modules)" --strip-java-debug-attributes --no-man-pages \
      --no-header-files --compress=zip-6 --output /jre \
 && /jre/bin/java -version

# --- runtime: what the server and the demo images share ----------------------------------------------
FROM ${RUNTIME_BASE} AS runtime
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="meshdns" \
      org.opencontainers.image.description="Authoritative DNS for a mesh of Kubernetes clusters" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

# A fixed numeric uid/gid, so Kubernetes can check runAsNonRoot without resolving a user name; the
# chart's podSecurityContext uses the same ids.
RUN groupadd --system --gid 10001 meshdns \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin meshdns

# Owned by root and read-only for the runtime user: the process cannot modify its own code.
COPY --from=jre /jre /opt/java
COPY --from=jar /out/meshdns /out/meshdns.jar /opt/meshdns/
RUN ln -s /opt/meshdns/meshdns /usr/local/bin/meshdns
ENV JAVA_HOME=/opt/java \
    PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

USER 10001:10001

# DNS (UDP and TCP) and DNS over TLS on unprivileged ports, and HTTP (/metrics, /healthz, /readyz).
EXPOSE 5353/udp 5353/tcp 8853/tcp 9153/tcp

# JVM options for a 1-2 CPU pod on Java 25, measured in bench/RESULTS.md ("JVM flags on JDK 25"): the heap
# follows the container's memory limit, an out-of-memory JVM exits so it gets restarted. The launcher
# reads MESHDNS_JAVA_OPTS; the chart sets it from its javaOptions value (which replaces this default).
# The root filesystem may be read-only (the chart makes it so): the JVM writes only to /tmp.
ENV MESHDNS_JAVA_OPTS="-XX:+UseSerialGC -XX:+UseCompactObjectHeaders -XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError"

ENTRYPOINT ["/opt/meshdns/meshdns"]

# --- aot: the AOT cache of `serve` (JEPs 483, 514, 515), trained on the runtime stage as it is ---------
# The image's runtime, jar, path, user and MESHDNS_JAVA_OPTS: the JVM uses a cache only where the class
# path and the options that shape it match the training run (see the launcher). The demo mesh it trains
# against runs from a copy in /tmp with meshdns-demo.jar; /opt/meshdns has none, as in the server image.
# Loopback only; nothing is downloaded. The launcher picks the cache up beside meshdns.jar on Java 25+
# (MESHDNS_AOT_CACHE=off to do without). In bench/RESULTS.md ("AOT cache"): sync CPU and ready time.
FROM runtime AS aot
COPY --from=jar /out/meshdns /out/meshdns.jar /out/meshdns-demo.jar /tmp/demo/
COPY dns-server/src/main/docker/aot-training.sh /tmp/
RUN sh /tmp/aot-training.sh /opt/meshdns/meshdns /tmp/demo/meshdns /tmp/meshdns.aot

# --- demo: the server image plus the demo's mock Kubernetes API servers (meshdns-demo.jar) ---------------
FROM runtime AS demo
COPY --from=jar /out/meshdns-demo.jar /opt/meshdns/
CMD ["demo", "--bind", "0.0.0.0", "--kubeconfig-dir", "/tmp"]

# --- server (the default target) ---------------------------------------------------------------------
# The demo image has no cache: meshdns.jar's manifest Class-Path names meshdns-demo.jar, and the JVM
# refuses a cache trained without that file where it exists.
FROM runtime AS server
COPY --from=aot --chown=0:0 /tmp/meshdns.aot /opt/meshdns/
CMD ["serve", "--config", "/etc/meshdns/config/config.yaml"]
