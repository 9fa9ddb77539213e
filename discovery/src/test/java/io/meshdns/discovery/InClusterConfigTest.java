package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.has;

import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster without kubeconfig uses fabric8's auto-configuration, as a pod does with its service account.
 * The pod's environment is stood in for by fabric8's own system properties (the API server URL and token),
 * with the service-account files and ~/.kube/config turned off.
 */
class InClusterConfigTest {
    private static final Map<String, String> POD_ENVIRONMENT = Map.of(
            "kubernetes.auth.tryServiceAccount", "false",
            "kubernetes.auth.tryKubeConfig", "false",
            "kubernetes.auth.token", "service-account-token");

    @TempDir
    Path dir;

    final Map<String, String> saved = new HashMap<>();
    MockCluster local;
    MeshWatcher mesh;

    @AfterEach
    void restore() {
        if (mesh != null) {
            mesh.close();
        }
        if (local != null) {
            local.close();
        }
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    private void set(String key, String value) {
        saved.putIfAbsent(key, System.getProperty(key));
        System.setProperty(key, value);
    }

    @Test
    void clusterWithoutKubeconfigIsReachedThroughAutoConfiguration() {
        local = MockCluster.start("local", dir);
        local.namespace("shop");
        local.create(MeshObjects.service("shop", "web", "10.96.0.10", true));
        POD_ENVIRONMENT.forEach(this::set);
        set("kubernetes.master", "http://127.0.0.1:" + local.port());

        mesh = TestMesh.start(TestMesh.fast(), new ClusterSpec(ClusterId.of("local"), null, null, Reachability.POD));

        await(mesh, "the local cluster's web", has(local, "shop", "web"));
    }
}
