package io.meshdns.bench;

import io.meshdns.server.cli.DemoMesh;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The mock API servers of a synthetic mesh in a JVM of their own, started by {@link MockApiServers#inChildJvm}:
 * seeds the mesh, writes each cluster's kubeconfig and meshdns's config into the folder given, prints {@value #SEEDED} and the
 * seconds it took, and stops when its standard input closes (the parent closed it, or died).
 *
 * <pre>java -cp benchmarks.jar io.meshdns.bench.MockMeshProcess DIR CLUSTERS SERVICES PODS_PER_CLUSTER</pre>
 */
public final class MockMeshProcess {
    /** The line's first word once every mock API server is seeded. */
    static final String SEEDED = "seeded";

    static {
        // The mock API servers log through java.util.logging; route it to slf4j, whose config mutes them.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
    }

    public static void main(String[] args) {
        Options.runAndExit("mock-mesh", () -> {
            if (args.length != 4) {
                System.err.println("usage: MockMeshProcess DIR CLUSTERS SERVICES PODS_PER_CLUSTER");
                return 2;
            }
            Path dir = Files.createDirectories(Path.of(args[0]));
            var size =
                    new DemoMesh.Size(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            long start = System.nanoTime();
            try (DemoMesh mesh = DemoMesh.startSynthetic(dir, size)) {
                Files.writeString(dir.resolve(MockApiServers.CONFIG), mesh.config());
                System.out.println(SEEDED + " " + (System.nanoTime() - start) / 1e9);
                System.out.flush();
                while (System.in.read() >= 0) {
                    // nothing is sent: the end of the input is the signal to stop
                }
            }
            return 0;
        });
    }

    private MockMeshProcess() {}
}
