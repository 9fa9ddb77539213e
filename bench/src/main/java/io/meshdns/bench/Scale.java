package io.meshdns.bench;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.server.cli.DemoMesh;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * meshdns at scale, by default 20 clusters x 2,500 services x 4 pods = 200,000 endpoints, every service in
 * every cluster (2,500 global services of 80 endpoints, one in ten headless):
 *
 * <ol>
 *   <li>time to first full sync: from starting meshdns (informers list and watch all 20 mock API servers
 *       over HTTP) until a published snapshot holds every endpoint;
 *   <li>snapshot publication for one endpoint change, {@code --changes} times: the publisher thread's work
 *       (from the snapshot's creation until every listener, load balancer and zone index, is done) and
 *       end to end (from sending the EndpointSlice PUT until then);
 *   <li>heap after a full GC once the mock API servers are stopped, which leaves meshdns with its informer
 *       caches, snapshot and zone index; with {@code --histogram N}, the top N classes of that heap.
 * </ol>
 *
 * <p>The mock API servers run in a JVM of their own by default ({@code --mock-servers child-jvm}), as a member
 * cluster's API server is not in meshdns's process: its heap, allocations and collections are then meshdns's
 * alone. {@code --mock-servers same-jvm} runs them in this one, as the bench did before. That JVM runs with
 * {@code --mock-jvm-options}, by default {@value #MOCK_JVM_OPTIONS}: a Kubernetes API server is a Go program,
 * whose collector runs beside it and stops it for well under a millisecond; the mock servers' Java, which re-reads
 * every stored object of a cluster for each request, makes ~100 MB of garbage per change at 10,000 objects, and
 * a stop-the-world collector's pauses there (up to 250-550 ms under load) would be timed as meshdns's.
 *
 * <pre>java -Xmx4g -cp bench/target/benchmarks.jar io.meshdns.bench.Scale [--clusters 20] [--services 2500]
 *     [--pods-per-cluster 4] [--changes 20] [--histogram 0] [--mock-servers child-jvm|same-jvm]
 *     [--mock-jvm-options "-Xmx4g -XX:+UseZGC"]</pre>
 */
public final class Scale {
    static final String USAGE =
            "Scale [--clusters C] [--services N] [--pods-per-cluster K] [--changes N] [--histogram N]"
                    + " [--mock-servers child-jvm|same-jvm] [--mock-jvm-options \"OPTIONS\"]";
    /** The mock API servers' JVM options by default: see the class comment. */
    static final String MOCK_JVM_OPTIONS = "-Xmx4g -XX:+UseZGC";

    /** Exits with 0, 1 when the measurement failed, 2 for bad options; never leaves a server running. */
    public static void main(String[] args) {
        Options.runAndExit("scale", () -> run(args));
    }

    private static int run(String[] args) throws Exception {
        Options o;
        DemoMesh.Size size;
        boolean childJvm;
        List<String> mockJvmOptions;
        try {
            o = new Options(
                    args,
                    USAGE,
                    "--clusters",
                    "--services",
                    "--pods-per-cluster",
                    "--changes",
                    "--histogram",
                    "--mock-servers",
                    "--mock-jvm-options");
            childJvm = o.oneOf("--mock-servers", "child-jvm", "same-jvm").equals("child-jvm");
            if (!childJvm && o.given("--mock-jvm-options")) {
                throw new IllegalArgumentException("--mock-jvm-options needs --mock-servers child-jvm");
            }
            // Blank: no options (an empty word would reach java as an argument, the name of a main class).
            String given = o.text("--mock-jvm-options", MOCK_JVM_OPTIONS).strip();
            mockJvmOptions = given.isEmpty() ? List.of() : List.of(given.split("\\s+"));
            size = new DemoMesh.Size(
                    o.integer("--clusters", 20), o.integer("--services", 2500), o.integer("--pods-per-cluster", 4));
            if (size.podsPerCluster() < 1) {
                throw new IllegalArgumentException(
                        "--pods-per-cluster must be at least 1: a pod address is what changes");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("scale: " + e.getMessage());
            return 2;
        }
        int changes = o.integer("--changes", 20);
        System.out.printf(
                "mesh: %d clusters x %d services x %d pods = %d endpoints; %d cores, max heap %d MiB; mock API"
                        + " servers in %s%n",
                size.clusters(),
                size.services(),
                size.podsPerCluster(),
                size.endpoints(),
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20,
                childJvm ? "a JVM of their own (" + String.join(" ", mockJvmOptions) + ")" : "this JVM");
        Duration timeout = Duration.ofMinutes(15);
        try (var bench = childJvm
                ? SyntheticMeshUnderTest.startWithServersInChildJvm(size, mockJvmOptions, timeout)
                : SyntheticMeshUnderTest.start(size, timeout)) {
            System.out.printf("seeded the mock API servers in %.1f s%n", bench.seedSeconds);
            System.out.printf(
                    "first full sync: %.1f s (of which %.1f s until every cluster's client and informers were started)%n",
                    bench.syncSeconds, bench.startSeconds);
            // On 2 shared cores the wall time measures the machine's load as much as the work: the CPU spent is
            // the steadier figure, and the publisher thread's share of it is meshdns's own part beyond the informers.
            System.out.printf(
                    "first full sync, CPU: %.1f s in %s, of which meshdns's publisher thread %.1f s and its clients'"
                            + " task threads (watch events, handlers) %.1f s%s%n",
                    bench.syncCpuSeconds,
                    childJvm
                            ? "meshdns's JVM (clients, JIT, GC included)"
                            : "the whole process (mock API servers, clients, JIT, GC included)",
                    bench.publisherCpuSeconds,
                    bench.clientTaskCpuSeconds,
                    childJvm ? String.format("; %.1f s in the mock API servers' JVM", bench.mockCpuSeconds) : "");
            if (childJvm) {
                // One Vert.x for every member cluster's client (MemberHttpTransport): not one per cluster.
                System.out.printf(
                        "threads in meshdns's JVM after the sync: %d%n",
                        ManagementFactory.getThreadMXBean().getThreadCount());
                // The serial collector keeps the heap it grew to during the sync: the process's RSS follows it.
                var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                System.out.printf(
                        "meshdns's heap after the sync: %d MiB committed, %d MiB in use; collections since the JVM"
                                + " started: %d, %d ms%n",
                        heap.getCommitted() >> 20, heap.getUsed() >> 20, gcCount(), gcMillis());
            }
            publications(bench, changes);
            if (!childJvm) {
                System.out.printf(
                        "heap after full GC, meshdns and the %d mock API servers: %d MiB%n",
                        size.clusters(), heapAfterGc() >> 20);
            }
            bench.mesh.close(); // meshdns keeps its last known state of the clusters it can no longer reach
            long alone = settledHeapAfterGc();
            System.out.printf(
                    "heap after full GC, meshdns alone (mock API servers stopped): %d MiB, %d bytes per endpoint%n",
                    alone >> 20, alone / size.endpoints());
            int top = o.integer("--histogram", 0);
            if (top > 0) {
                System.out.println(histogram(top));
            }
        }
        return 0;
    }

    /** Replaces one pod address of one slice per round; times the publication that carries the change. */
    private static void publications(SyntheticMeshUnderTest bench, int changes) throws Exception {
        // observedAt: the oldest change this snapshot carries, as discovery's event handler saw it.
        record Published(long version, Instant createdAt, Instant observedAt, long doneNanos) {}
        BlockingQueue<Published> published = new ArrayBlockingQueue<>(1024);
        // Added after the load balancer's and the responder's listeners: called when both are done.
        bench.server
                .mesh()
                .addListener((MeshSnapshot s) -> published.offer(new Published(
                        s.version(),
                        s.publishedAt(),
                        s.changes().stream()
                                .map(MeshSnapshot.Change::observedAt)
                                .min(Instant::compareTo)
                                .orElse(s.publishedAt()),
                        System.nanoTime())));
        KubernetesClient client = bench.mesh.client("c0");
        String ns = DemoMesh.namespaceName(0);
        EndpointSlice slice = client.discovery()
                .v1()
                .endpointSlices()
                .inNamespace(ns)
                .withName(DemoMesh.serviceName(0) + "-c0-0")
                .get();
        double[] work = new double[changes];
        double[] endToEnd = new double[changes];
        double[] toObserved = new double[changes];
        double[] toCreated = new double[changes];
        long gcCount = gcCount();
        long gcMillis = gcMillis();
        for (int i = 0; i < changes; i++) {
            Thread.sleep(200); // a quiet mesh: the change is published at once, not coalesced with another
            published.clear();
            var endpoints = new ArrayList<>(slice.getEndpoints());
            endpoints.set(
                    0,
                    new EndpointBuilder(endpoints.get(0))
                            .withAddresses("10.255.0." + (i % 250 + 1))
                            .build());
            slice.setEndpoints(endpoints);
            long start = System.nanoTime();
            Instant startWall = Instant.now();
            slice = client.discovery().v1().endpointSlices().resource(slice).update();
            Published p = published.poll(30, TimeUnit.SECONDS);
            if (p == null) {
                throw new IllegalStateException("no snapshot published within 30 s of change " + i);
            }
            // publishedAt is wall-clock time; the listener's completion is converted to the same clock.
            long doneWallNanos =
                    startWall.getEpochSecond() * 1_000_000_000L + startWall.getNano() + (p.doneNanos - start);
            long createdNanos = p.createdAt.getEpochSecond() * 1_000_000_000L + p.createdAt.getNano();
            long startWallNanos = startWall.getEpochSecond() * 1_000_000_000L + startWall.getNano();
            long observedNanos = p.observedAt.getEpochSecond() * 1_000_000_000L + p.observedAt.getNano();
            work[i] = (doneWallNanos - createdNanos) / 1e6;
            endToEnd[i] = (p.doneNanos - start) / 1e6;
            toObserved[i] = (observedNanos - startWallNanos) / 1e6;
            toCreated[i] = (createdNanos - observedNanos) / 1e6;
        }
        // End to end = PUT -> observed (the mock API server, the watch, the client's decoding and task thread, up
        // to discovery's handler) + observed -> snapshot created (coalescing, the publisher's queue, rebuilding the
        // service) + publisher work (the listeners). Wall-clock instants: microseconds apart at best.
        System.out.printf(
                "one endpoint change, PUT sent -> observed by discovery's event handler: %s%n",
                Percentiles.of(toObserved));
        System.out.printf(
                "one endpoint change, observed -> snapshot created (coalescing, publisher queue, service rebuilt): %s%n",
                Percentiles.of(toCreated));
        System.out.printf(
                "garbage collections during the %d changes: %d, %d ms in all%n",
                changes, gcCount() - gcCount, gcMillis() - gcMillis);
        System.out.printf(
                "one endpoint change, publisher work (snapshot + load balancer + zone index): %s%n",
                Percentiles.of(work));
        System.out.printf(
                "one endpoint change, end to end (PUT sent -> snapshot published and indexed): %s%n",
                Percentiles.of(endToEnd));
    }

    /**
     * Bytes in use after full collections, once the stopped mock servers' threads have let go of their objects:
     * measured each second until it no longer falls by a MiB (at most 10 s).
     */
    private static long settledHeapAfterGc() throws InterruptedException {
        long heap = heapAfterGc();
        for (int i = 0; i < 10; i++) {
            Thread.sleep(1000);
            long next = heapAfterGc();
            if (next > heap - (1 << 20)) {
                return Math.min(heap, next);
            }
            heap = next;
        }
        return heap;
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(b -> Math.max(0, b.getCollectionCount()))
                .sum();
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(b -> Math.max(0, b.getCollectionTime()))
                .sum();
    }

    /** Bytes in use after full collections. */
    private static long heapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc(); // a full collection with G1 and Parallel unless -XX:+ExplicitGCInvokesConcurrent
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /**
     * The first {@code top} classes of the live heap's histogram ({@code jcmd PID GC.class_histogram}, which
     * collects first), from the JVM's DiagnosticCommand MBean: where the bytes per endpoint go.
     */
    private static String histogram(int top) throws Exception {
        var server = ManagementFactory.getPlatformMBeanServer();
        var name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
        String text = (String) server.invoke(
                name, "gcClassHistogram", new Object[] {new String[0]}, new String[] {String[].class.getName()});
        var lines = text.lines().toList();
        // A header of two lines, then one line per class by size, then a total.
        return String.join("\n", lines.subList(0, Math.min(lines.size(), top + 2))) + "\n"
                + lines.get(lines.size() - 1);
    }

    private Scale() {}
}
