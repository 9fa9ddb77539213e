package io.meshdns.bench;

import io.meshdns.discovery.ClusterState;
import io.meshdns.server.MeshdnsServer;
import io.meshdns.server.cli.DemoMesh;
import io.meshdns.server.config.ConfigLoader;
import io.meshdns.server.config.ServerConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A synthetic mesh (the one {@code meshdns demo --clusters --services --pods-per-cluster} serves) and the
 * real meshdns server watching it over HTTP, DNS on a free loopback port. Times each phase.
 */
final class SyntheticMeshUnderTest implements AutoCloseable {
    static {
        // The mock API servers log through java.util.logging; route it to slf4j, whose config mutes them.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
    }

    final MockApiServers mesh;
    final MeshdnsServer server;
    final double seedSeconds;
    final double startSeconds;
    final double syncSeconds;
    /**
     * CPU time of this process during the sync: meshdns, JIT compilers, GC, and the mock API servers when
     * they run in this JVM.
     */
    final double syncCpuSeconds;
    /** CPU time of the mock API servers' own JVM during the sync, or -1 when they run in this one. */
    final double mockCpuSeconds;
    /** CPU time of meshdns's snapshot publisher thread during the sync (snapshots, load balancer, zone). */
    final double publisherCpuSeconds;
    /**
     * CPU time of the member clients' task threads during the sync: watch events and discovery's event
     * handlers. Not the clients' Vert.x event loops (where fabric8 decodes the lists and fills the stores),
     * whose threads share their names with the mock API servers'.
     */
    final double clientTaskCpuSeconds;

    private SyntheticMeshUnderTest(
            MockApiServers mesh,
            MeshdnsServer server,
            double startSeconds,
            double syncSeconds,
            double syncCpuSeconds,
            double mockCpuSeconds,
            double publisherCpuSeconds,
            double clientTaskCpuSeconds) {
        this.mesh = mesh;
        this.server = server;
        this.seedSeconds = mesh.seedSeconds;
        this.startSeconds = startSeconds;
        this.syncSeconds = syncSeconds;
        this.syncCpuSeconds = syncCpuSeconds;
        this.mockCpuSeconds = mockCpuSeconds;
        this.publisherCpuSeconds = publisherCpuSeconds;
        this.clientTaskCpuSeconds = clientTaskCpuSeconds;
    }

    /**
     * Seeds the mesh, starts meshdns and waits until every endpoint is in a published snapshot.
     *
     * <p>{@code syncSeconds} runs from starting meshdns (its informers list and watch every cluster) until the
     * first snapshot holding every endpoint is published and indexed; {@code startSeconds} is the part until
     * meshdns has started every cluster's client and informers.
     */
    static SyntheticMeshUnderTest start(DemoMesh.Size size, Duration syncTimeout) throws Exception {
        Path dir = Files.createTempDirectory("meshdns-bench-");
        return start(MockApiServers.inThisJvm(dir, size), dir, syncTimeout);
    }

    /** The same, with the mock API servers in a JVM of their own ({@link MockApiServers#inChildJvm}). */
    static SyntheticMeshUnderTest startWithServersInChildJvm(
            DemoMesh.Size size, List<String> jvmOptions, Duration syncTimeout) throws Exception {
        Path dir = Files.createTempDirectory("meshdns-bench-");
        return start(MockApiServers.inChildJvm(dir, size, jvmOptions, syncTimeout), dir, syncTimeout);
    }

    private static SyntheticMeshUnderTest start(MockApiServers mesh, Path dir, Duration syncTimeout) throws Exception {
        DemoMesh.Size size = mesh.size;
        long t1 = System.nanoTime();
        long cpu1 = processCpuNanos();
        long mockCpu1 = mesh.cpuNanos();
        Path config = dir.resolve(MockApiServers.CONFIG);
        ServerConfig cfg = ConfigLoader.load(config)
                .withDns("127.0.0.1", 0)
                .withHttp("127.0.0.1", 0)
                .withAdmin("127.0.0.1", 0);
        MeshdnsServer server;
        try {
            server = MeshdnsServer.start(cfg, mesh.specs());
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
        long started = System.nanoTime();
        boolean synced = server.awaitServed(
                s -> s.clusters().size() == size.clusters()
                        && s.clusters().values().stream().allMatch(h -> h.state() == ClusterState.SYNCED)
                        && s.clusters().values().stream()
                                        .mapToLong(h -> h.endpoints())
                                        .sum()
                                == size.endpoints(),
                syncTimeout);
        long t2 = System.nanoTime();
        long cpu2 = processCpuNanos();
        long mockCpu2 = mesh.cpuNanos();
        long publisherCpu = threadCpuNanos(name -> name.equals(PUBLISHER_THREAD));
        long clientTaskCpu = threadCpuNanos(name -> name.startsWith(CLIENT_TASK_THREADS));
        if (!synced) {
            server.close();
            mesh.close();
            throw new IllegalStateException(
                    "meshdns did not see all " + size.endpoints() + " endpoints within " + syncTimeout);
        }
        return new SyntheticMeshUnderTest(
                mesh,
                server,
                (started - t1) / 1e9,
                (t2 - t1) / 1e9,
                (cpu2 - cpu1) / 1e9,
                mockCpu1 < 0 ? -1 : (mockCpu2 - mockCpu1) / 1e9,
                publisherCpu / 1e9,
                clientTaskCpu / 1e9);
    }

    /** The name of discovery's publisher thread (MeshWatcher), which starts with meshdns. */
    static final String PUBLISHER_THREAD = "meshdns-discovery";
    /** How the names of the member clients' task threads begin (discovery's KubernetesClients). */
    static final String CLIENT_TASK_THREADS = "meshdns-cluster-";

    /** CPU time of every thread of this process so far. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU time so far of the live threads whose names {@code named} accepts. */
    static long threadCpuNanos(Predicate<String> named) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && named.test(info.getThreadName())) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    /** The DNS name of synthetic service {@code s}. */
    static String serviceName(int s) {
        return DemoMesh.serviceName(s) + "." + DemoMesh.namespaceName(s) + ".svc." + ServerConfig.DEFAULT_ZONE + ".";
    }

    @Override
    public void close() {
        server.close();
        mesh.close();
    }
}
