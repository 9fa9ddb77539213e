package io.meshdns.bench;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterSpec;
import io.meshdns.discovery.Reachability;
import io.meshdns.server.cli.DemoMesh;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The mock API servers of a synthetic mesh ({@link DemoMesh#startSynthetic}), seeded and serving over HTTP on
 * loopback: in meshdns's own JVM, or in a child JVM ({@link MockMeshProcess}) so that their heap, their
 * allocations and their collections are not meshdns's, as a member cluster's API server is not in production.
 */
abstract class MockApiServers implements AutoCloseable {
    /** The file, in the kubeconfig folder, of the config meshdns serves the mesh with. */
    static final String CONFIG = "meshdns.yaml";

    final DemoMesh.Size size;
    final double seedSeconds;

    private MockApiServers(DemoMesh.Size size, double seedSeconds) {
        this.size = size;
        this.seedSeconds = seedSeconds;
    }

    /** A client of cluster {@code id} ({@code c0..}), for the bench's own changes. */
    abstract KubernetesClient client(String id);

    /** The clusters as meshdns watches them. */
    abstract List<ClusterSpec> specs();

    /** The CPU time the mock API servers' JVM has used so far, or -1 when they share meshdns's. */
    abstract long cpuNanos();

    /** Stops the servers; meshdns keeps its last known state of the clusters it can no longer reach. */
    @Override
    public abstract void close();

    static MockApiServers inThisJvm(Path dir, DemoMesh.Size size) throws IOException {
        long start = System.nanoTime();
        DemoMesh mesh = DemoMesh.startSynthetic(dir, size);
        Files.writeString(dir.resolve(CONFIG), mesh.config());
        return new MockApiServers(size, (System.nanoTime() - start) / 1e9) {
            @Override
            KubernetesClient client(String id) {
                return mesh.cluster(id).client();
            }

            @Override
            List<ClusterSpec> specs() {
                return mesh.specs();
            }

            @Override
            long cpuNanos() {
                return -1;
            }

            @Override
            public void close() {
                mesh.close();
            }
        };
    }

    /**
     * Starts {@link MockMeshProcess} with this JVM's {@code java} and class path, and {@code jvmOptions}, and
     * waits until it has seeded the mesh. Its standard error is this process's.
     */
    static MockApiServers inChildJvm(Path dir, DemoMesh.Size size, List<String> jvmOptions, Duration timeout)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                MockMeshProcess.class.getName(),
                dir.toString(),
                Integer.toString(size.clusters()),
                Integer.toString(size.services()),
                Integer.toString(size.podsPerCluster())));
        Process child = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<KubernetesClient> clients = new ArrayList<>();
        try {
            double seeded = awaitSeeded(child, timeout);
            return new MockApiServers(size, seeded) {
                @Override
                KubernetesClient client(String id) {
                    try {
                        KubernetesClient client = new KubernetesClientBuilder()
                                .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig(dir, id))))
                                .build();
                        clients.add(client);
                        return client;
                    } catch (IOException e) {
                        throw new IllegalStateException("cannot read the kubeconfig of " + id, e);
                    }
                }

                @Override
                List<ClusterSpec> specs() {
                    List<ClusterSpec> specs = new ArrayList<>();
                    for (int c = 0; c < size.clusters(); c++) {
                        String id = "c" + c;
                        specs.add(
                                new ClusterSpec(ClusterId.of(id), kubeconfig(dir, id), id, List.of(Reachability.POD)));
                    }
                    return specs;
                }

                @Override
                long cpuNanos() {
                    return child.info()
                            .totalCpuDuration()
                            .map(Duration::toNanos)
                            .orElse(-1L);
                }

                @Override
                public void close() {
                    clients.forEach(KubernetesClient::close);
                    stop(child);
                }
            };
        } catch (IOException | RuntimeException e) {
            stop(child);
            throw e;
        }
    }

    private static Path kubeconfig(Path dir, String id) {
        return dir.resolve(id + ".kubeconfig");
    }

    /** Reads the child's output until its {@value MockMeshProcess#SEEDED} line; fails when it exits first. */
    private static double awaitSeeded(Process child, Duration timeout) throws IOException {
        var watchdog = new Thread(
                () -> {
                    try {
                        if (!child.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                            child.destroyForcibly(); // ends the read below
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "mock-mesh-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith(MockMeshProcess.SEEDED + " ")) {
                watchdog.interrupt();
                // Anything it prints later goes to standard error, so a full pipe never stops it.
                var drain = new Thread(() -> out.lines().forEach(System.err::println), "mock-mesh-output");
                drain.setDaemon(true);
                drain.start();
                return Double.parseDouble(line.substring(MockMeshProcess.SEEDED.length() + 1));
            }
        }
        throw new IllegalStateException("the mock API servers' JVM stopped before it had seeded the mesh (or took"
                + " longer than " + timeout + "); its errors are above");
    }

    private static void stop(Process child) {
        try {
            child.getOutputStream().close(); // the child stops at the end of its input
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (IOException e) {
            child.destroyForcibly();
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
