package io.meshdns.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A mock API server's watch starts where the client asks it to, as an API server's does. */
class ResumedWatchTest {
    private final MockCluster cluster = MockCluster.start("east");
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @AfterEach
    void close() {
        cluster.close();
    }

    @Test
    void aWatchFromTheListsResourceVersionGetsOnlyLaterChanges() throws Exception {
        MeshObjects.exported(cluster.client(), "shop", "web", "10.96.0.10");
        MeshObjects.exported(cluster.client(), "shop", "cart", "10.96.0.11");
        String listed = cluster.client()
                .services()
                .inNamespace("shop")
                .list()
                .getMetadata()
                .getResourceVersion();

        try (Watch ignored = watch(listed)) {
            MeshObjects.exported(cluster.client(), "shop", "db", "10.96.0.12");

            // The store's watch sent the listed objects first, before any later event.
            assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ADDED db");
        }
    }

    @Test
    void aWatchWithoutResourceVersionStartsWithEveryObject() throws Exception {
        MeshObjects.exported(cluster.client(), "shop", "web", "10.96.0.10");

        try (Watch ignored = watch(null)) {
            assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("ADDED web");
        }
    }

    private Watch watch(String resourceVersion) {
        return cluster.client()
                .services()
                .inNamespace("shop")
                .watch(
                        new ListOptionsBuilder()
                                .withResourceVersion(resourceVersion)
                                .build(),
                        new Watcher<Service>() {
                            @Override
                            public void eventReceived(Action action, Service service) {
                                events.add(action + " " + service.getMetadata().getName());
                            }

                            @Override
                            public void onClose(WatcherException cause) {}
                        });
    }
}
