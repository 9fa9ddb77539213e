# The meshdns container image: a JRE and the runnable jar, run as a non-root user.
#
#   ./mvnw -B -DskipTests package          # builds dns-server/target/meshdns.jar
#   docker build -t meshdns:0.1.0 .        # or: buildah bud -t meshdns:0.1.0 .
#
# The image holds no build tools: the jar is built beforehand, so the image is the same whichever JDK
# built it (the jar targets Java 17).

# Any image with a Java 17+ `java` on PATH and /bin/sh, groupadd and useradd. CI builds on a Debian
# bookworm base with openjdk-17-jre-headless (.ci/e2e-image.sh), users get the public Temurin JRE.
ARG BASE_IMAGE=eclipse-temurin:17-jre
FROM ${BASE_IMAGE}

# OCI labels. VERSION is the meshdns release, REVISION the git commit built, SOURCE the URL of the
# repository it was built from (empty unless the builder says where that is).
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
      --shell /usr/sbin/nologin meshdns \
 && printf '#!/bin/sh\nexec java -jar /opt/meshdns/meshdns.jar "$@"\n' > /usr/local/bin/meshdns \
 && chmod 0755 /usr/local/bin/meshdns

# Owned by root and read-only for the runtime user: the process cannot modify its own code.
COPY dns-server/target/meshdns.jar /opt/meshdns/meshdns.jar

USER 10001:10001

# DNS (UDP and TCP) on an unprivileged port, and HTTP (/metrics, /healthz, /readyz).
EXPOSE 5353/udp 5353/tcp 9153/tcp

# The heap follows the container's memory limit; an out-of-memory JVM exits so it gets restarted. The
# root filesystem may be read-only (the chart makes it so): the JVM writes only to /tmp.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"

ENTRYPOINT ["java", "-jar", "/opt/meshdns/meshdns.jar"]
CMD ["serve", "--config", "/etc/meshdns/config/config.yaml"]
