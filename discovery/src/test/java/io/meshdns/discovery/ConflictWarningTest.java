package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.clusterId;
import static io.meshdns.discovery.TestMesh.has;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.headless;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A cluster left out for a conflict with the oldest export is one warning, not one per change of the service. */
class ConflictWarningTest extends WatchedClusters {
    private static final ServiceKey WEB = ServiceKey.of("shop", "web");
    private static final String WARNING = "service shop/web: cluster west left out of answers,"
            + " conflict: headless here, ClusterIP in east (exported first, so it decides)";

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private PrintStream stderr;

    ConflictWarningTest() {
        super(2);
    }

    @BeforeEach
    void captureLog() {
        stderr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        // east first (creation times have whole seconds; a tie goes to the smaller cluster id, east too)
        east.create(service("shop", "web", "10.96.0.10", true));
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
    }

    @AfterEach
    void restoreLog() {
        System.setErr(stderr);
    }

    private Predicate<MeshSnapshot> westLeftOut() {
        return s -> has(west, "shop", "web").test(s) && s.service(WEB).leftOut().containsKey(clusterId(west));
    }

    private int warnings() {
        return Pattern.compile(Pattern.quote(WARNING)).split(log.toString(StandardCharsets.UTF_8), -1).length - 1;
    }

    @Test
    void aConflictIsWarnedOnceWhileItLasts() {
        west.create(headless(service("shop", "web", "None", true), "http", 80));
        west.create(readySlice("shop", "web", "web-1", "10.20.1.1"));
        mesh = TestMesh.start(TestMesh.fast(), spec(east), spec(west));
        await(mesh, "west left out", westLeftOut());

        west.create(readySlice("shop", "web", "web-2", "10.20.1.2"));
        await(
                mesh,
                "west's second pod",
                s -> part(s, west, "shop", "web").endpoints().size() == 2);

        assertThat(warnings()).as(log.toString(StandardCharsets.UTF_8)).isEqualTo(1);
    }

    @Test
    void aConflictArrivingWithAChangeOfTheOldestExportIsWarnedOnce() {
        mesh = TestMesh.start(TestMesh.fast().withCoalesce(Duration.ofSeconds(2)), spec(east), spec(west));
        List<MeshSnapshot> published = new CopyOnWriteArrayList<>();
        mesh.addListener(published::add);
        // Just published: the next publication waits the whole coalescing interval, so both changes below go in it.
        await(
                mesh,
                "both synced, east's web",
                s -> has(east, "shop", "web").test(s)
                        && s.clusters().values().stream().allMatch(h -> h.state() == ClusterState.SYNCED));

        west.create(headless(service("shop", "web", "None", true), "http", 80));
        east.create(readySlice("shop", "web", "web-2", "10.10.1.2"));
        MeshSnapshot both = await(
                mesh,
                "west left out, east's second pod",
                westLeftOut().and(s -> part(s, east, "shop", "web").endpoints().size() == 2));

        assertThat(published)
                .filteredOn(westLeftOut())
                .first()
                .satisfies(s -> assertThat(s.changes())
                        .extracting(MeshSnapshot.Change::cluster)
                        .as("one publication carries both clusters' changes of web")
                        .contains(clusterId(east), clusterId(west)));
        assertThat(both.service(WEB).endpoints()).hasSize(2);
        assertThat(warnings()).as(log.toString(StandardCharsets.UTF_8)).isEqualTo(1);
    }
}
