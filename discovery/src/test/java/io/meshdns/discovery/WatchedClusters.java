package io.meshdns.discovery;

import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture of the tests that watch mock clusters: {@code east} (and {@code west} when a test asks for two),
 * each with namespace {@code shop} and its kubeconfig in a temporary folder, and the {@link MeshWatcher} a test
 * starts over them in {@code mesh}; all closed after each test. A subclass's own {@code @BeforeEach} runs after
 * the clusters started.
 */
abstract class WatchedClusters {
    @TempDir
    Path dir;

    MockCluster east;
    MockCluster west;
    MeshWatcher mesh;

    private final boolean withWest;

    /** {@code 1}: east only; {@code 2}: east and west. */
    WatchedClusters(int clusters) {
        if (clusters != 1 && clusters != 2) {
            throw new IllegalArgumentException("east, or east and west: 1 or 2 clusters, not " + clusters);
        }
        this.withWest = clusters == 2;
    }

    @BeforeEach
    final void startMockClusters() {
        east = MockCluster.start("east", dir);
        east.namespace("shop");
        if (withWest) {
            west = MockCluster.start("west", dir);
            west.namespace("shop");
        }
    }

    /** Service shop/web (10.96.0.10, exported) in east and west, one ready pod each: 10.10.1.1 and 10.20.1.1. */
    final void webInBoth() {
        for (MockCluster c : new MockCluster[] {east, west}) {
            c.create(MeshObjects.service("shop", "web", "10.96.0.10", true));
        }
        east.create(TestMesh.readySlice("shop", "web", "web-1", "10.10.1.1"));
        west.create(TestMesh.readySlice("shop", "web", "web-1", "10.20.1.1"));
    }

    @AfterEach
    final void closeMockClusters() {
        if (mesh != null) {
            mesh.close();
        }
        east.close();
        if (west != null) {
            west.close();
        }
    }
}
