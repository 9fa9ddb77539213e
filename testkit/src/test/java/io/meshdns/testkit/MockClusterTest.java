package io.meshdns.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One mock cluster's API server, as a long-running demo uses it. */
class MockClusterTest {
    @TempDir
    Path dir;

    @Test
    void apiCallsLeaveNoRecordedRequestBehind() {
        MockCluster cluster = MockCluster.start("east", dir);
        try {
            MeshObjects.exported(cluster.client(), "shop", "web", "10.96.0.10");
            for (int i = 0; i < 300; i++) {
                assertThat(cluster.client()
                                .services()
                                .inNamespace("shop")
                                .list()
                                .getItems())
                        .hasSize(1);
            }

            // fabric8's mock web server records every request for tests' takeRequest(); the demo never takes
            // them, so without draining, this would be 301 and the demo's heap would grow with every call.
            assertThat(cluster.takeRecordedRequests()).isZero();
        } finally {
            cluster.close();
        }
    }
}
