package io.meshdns.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.MeshWatcher;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.WatchOptions;
import io.meshdns.testkit.MeshObjects;
import io.meshdns.testkit.MockCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster list of a running server follows its config file. */
class ConfigFileWatcherTest {
    static final ServiceKey WEB = ServiceKey.of("shop", "web");
    static final Duration POLL = Duration.ofMillis(100);

    @TempDir
    Path dir;

    MockCluster east;
    MockCluster west;
    MeshWatcher mesh;
    ConfigFileWatcher watcher;

    @BeforeEach
    void startClusters() {
        east = MockCluster.start("east", dir);
        west = MockCluster.start("west", dir);
        for (MockCluster c : List.of(east, west)) {
            c.client()
                    .namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName("shop")
                            .endMetadata()
                            .build())
                    .create();
            MeshObjects.exported(c.client(), "shop", "web", "10.96.0.10");
        }
        MeshObjects.slice(east.client(), "shop", "web", "web-1", MeshObjects.pods("10.10.1.", 1, 2, true));
        MeshObjects.slice(west.client(), "shop", "web", "web-1", MeshObjects.pods("10.20.1.", 1, 2, true));
        mesh = new MeshWatcher(WatchOptions.defaults()
                .withHealthInterval(Duration.ofMillis(100))
                .withRetryInterval(Duration.ofMillis(100)));
    }

    @AfterEach
    void stop() {
        if (watcher != null) {
            watcher.close();
        }
        mesh.close();
        closeInBackground(east);
        closeInBackground(west);
    }

    /**
     * fabric8's mock server (7.9) can stall its event loop for 30 s when a watch is closed while it is still
     * writing events to it, and its shutdown then fails after 10 s; not waiting keeps that out of the tests.
     */
    private static void closeInBackground(MockCluster cluster) {
        Thread t = new Thread(
                () -> {
                    try {
                        cluster.close();
                    } catch (IllegalStateException slowShutdown) {
                        System.err.println("mock API server shutdown was slow: " + slowShutdown.getMessage());
                    }
                },
                "close-" + cluster.id());
        t.setDaemon(true);
        t.start();
    }

    private static String config(String... clusters) {
        StringBuilder yaml = new StringBuilder("zone: clusterset.local\nclusters:\n");
        for (String id : clusters) {
            yaml.append("  - id: ")
                    .append(id)
                    .append("\n    kubeconfig: ")
                    .append(id)
                    .append(".kubeconfig\n");
        }
        return yaml.toString();
    }

    /** Loads {@code file} as serve does and starts watching it. */
    private void serve(Path file) {
        ServerConfig loaded = ConfigLoader.load(file);
        mesh.setClusters(loaded.clusterSpecs(file.toAbsolutePath().getParent())).join();
        watcher = ConfigFileWatcher.start(file, loaded, mesh, POLL);
    }

    private MeshSnapshot await(String what, Predicate<MeshSnapshot> condition) throws InterruptedException {
        if (!mesh.await(condition, Duration.ofSeconds(30))) {
            fail("timed out waiting for " + what + "; last snapshot " + mesh.snapshot());
        }
        return mesh.snapshot();
    }

    private static Predicate<MeshSnapshot> webFrom(String... clusters) {
        List<ClusterId> ids =
                java.util.Arrays.stream(clusters).map(ClusterId::of).toList();
        return s -> s.service(WEB) != null
                && List.copyOf(s.service(WEB).byCluster().keySet()).equals(ids);
    }

    private static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void clusterAddedToTheFileIsWatchedWithoutDisturbingTheOthers() throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, config("east"));
        serve(file);
        MeshSnapshot before = await("east's web", webFrom("east"));
        ClusterService eastWeb = before.service(WEB).byCluster().get(ClusterId.of("east"));
        List<MeshSnapshot> published = new CopyOnWriteArrayList<>();
        mesh.addListener(published::add);

        replace(file, config("east", "west"));

        await("web from both", webFrom("east", "west"));
        assertThat(published).isNotEmpty().allSatisfy(s -> {
            GlobalService web = s.service(WEB);
            assertThat(web.byCluster().get(ClusterId.of("east")))
                    .as("east's part untouched")
                    .isSameAs(eastWeb);
        });
    }

    @Test
    void clusterRemovedFromTheFileLeavesTheMesh() throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, config("east", "west"));
        serve(file);
        await("web from both", webFrom("east", "west"));

        Files.writeString(file, config("east")); // an in-place edit, as an editor without rename does

        MeshSnapshot after = await("west gone", webFrom("east"));
        assertThat(after.clusters().keySet()).containsExactly(ClusterId.of("east"));
    }

    @Test
    void brokenConfigIsLoggedWithTheLoadersMessageAndTheRunningClustersKept() throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, config("east"));
        serve(file);
        await("east's web", webFrom("east"));
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            replace(file, config("east") + "  - id: West_2\n");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!log.toString(StandardCharsets.UTF_8).contains("keeping the running configuration")
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            System.setErr(stderr);
        }
        assertThat(log.toString(StandardCharsets.UTF_8))
                .contains("config " + file.toAbsolutePath() + ", line ")
                .contains("key clusters[1].id")
                .contains("keeping the running configuration");
        assertThat(mesh.clusters()).extracting(c -> c.id().value()).containsExactly("east");

        replace(file, config("east", "west")); // fixed: applied
        await("web from both", webFrom("east", "west"));
    }

    /** What the watcher logs (to standard error) while {@code during} runs. */
    private static String logDuring(ThrowingRunnable during) throws Exception {
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            during.run(() -> log.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(stderr);
        }
        return log.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run(java.util.function.Supplier<String> logSoFar) throws Exception;
    }

    private static void awaitLog(java.util.function.Supplier<String> log, Predicate<String> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.test(log.get()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** Waits until the watcher has looked at the file {@code n} more times. */
    private void awaitPolls(int n) throws InterruptedException {
        long target = watcher.polls() + n;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (watcher.polls() < target && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(watcher.polls()).isGreaterThanOrEqualTo(target);
    }

    private static long count(String log, String text) {
        return log.lines().filter(l -> l.contains(text)).count();
    }

    @Test
    void aBrokenConfigIsLoggedOncePerContentNotOnEveryPoll() throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, config("east"));
        serve(file);
        String kept = "keeping the running configuration";

        String log = logDuring(logSoFar -> {
            Files.write(file, new byte[] {'z', 'o', 'n', 'e', ':', ' ', (byte) 0xFF, '\n'}); // not UTF-8
            awaitLog(logSoFar, l -> count(l, kept) == 1);
            awaitPolls(3); // the same broken content, looked at again
            assertThat(count(logSoFar.get(), kept)).as(logSoFar.get()).isEqualTo(1);

            replace(file, config("east") + "  - id: West_2\n"); // broken differently: logged again, once
            awaitLog(logSoFar, l -> count(l, kept) == 2);
            awaitPolls(3);
        });

        assertThat(count(log, kept)).as(log).isEqualTo(2);
        assertThat(log).contains("config " + file.toAbsolutePath() + ", line 1: not a text file: byte 0xff");
        assertThat(mesh.clusters()).extracting(c -> c.id().value()).containsExactly("east");
    }

    @Test
    void aReloadWithoutClustersIsRefusedAndTheRunningOnesKept() throws Exception {
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, config("east"));
        serve(file);
        await("east's web", webFrom("east"));

        String log = logDuring(logSoFar -> {
            replace(file, "zone: clusterset.local\n"); // the cluster list deleted by mistake
            awaitLog(logSoFar, l -> l.contains("keeping the running configuration"));
        });

        assertThat(log).contains("config " + file.toAbsolutePath() + ", key clusters: no cluster to watch");
        assertThat(mesh.clusters()).extracting(c -> c.id().value()).containsExactly("east");
    }

    @Test
    void configMapVolumeSymlinkSwapIsFollowed() throws Exception {
        // The layout kubelet writes for a ConfigMap volume: the file is a symlink through ..data to a
        // timestamped folder, and an update swaps ..data atomically.
        Path v1 = Files.createDirectory(dir.resolve("..2026_11_25_10_00_00.1"));
        Files.writeString(v1.resolve("meshdns.yaml"), config("east"));
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = dir.resolve("meshdns.yaml");
        Files.createSymbolicLink(file, Path.of("..data", "meshdns.yaml"));
        serve(file);
        await("east's web", webFrom("east"));

        Path v2 = Files.createDirectory(dir.resolve("..2026_11_25_10_05_00.2"));
        Files.writeString(v2.resolve("meshdns.yaml"), config("east", "west"));
        Path tmpLink = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(tmpLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        await("web from both after the swap", webFrom("east", "west"));
    }

    @Test
    void clustersGetTheirKubeconfigFromTheKubeconfigDirectoryByTheirId() throws Exception {
        // As the Helm chart mounts one Secret key per cluster: <kubeconfigDir>/<cluster id>.
        Path kubeconfigs = Files.createDirectory(dir.resolve("kubeconfigs"));
        Files.copy(east.kubeconfig(), kubeconfigs.resolve("east"));
        Files.copy(west.kubeconfig(), kubeconfigs.resolve("west"));
        Path file = dir.resolve("meshdns.yaml");
        Files.writeString(file, "kubeconfigDir: kubeconfigs\nclusters:\n  - id: east\n");
        serve(file);
        await("east's web", webFrom("east"));

        replace(file, "kubeconfigDir: kubeconfigs\nclusters:\n  - id: east\n  - id: west\n");

        await("web from both", webFrom("east", "west"));
    }

    @Test
    void keysThatNeedARestartAreNamed() {
        ServerConfig before = ConfigLoader.parse("a.yaml", config("east"));
        ServerConfig after = ConfigLoader.parse(
                "a.yaml",
                "zone: example.org\nttl: 9\n" + config("west").substring("zone: clusterset.local\n".length()));
        assertThat(ConfigFileWatcher.changedKeys(before, after)).containsExactly("zone", "ttl");
    }

    @Test
    void clusterKeysDiscoveryDoesNotUseAreNamedTooButItsOwnAreNot() {
        ServerConfig before = ConfigLoader.parse("a.yaml", config("east"));
        ServerConfig after =
                ConfigLoader.parse("a.yaml", config("east") + "    weight: 3\n    reachability: clusterIP\n");
        assertThat(ConfigFileWatcher.changedKeys(before, after)).containsExactly("clusters[east].weight");
    }

    @Test
    void anAddedOrRemovedClustersKeysThatWaitForARestartAreNamedUnlessTheyAreTheDefaults() {
        ServerConfig before = ConfigLoader.parse("a.yaml", config("east"));
        ServerConfig after = ConfigLoader.parse(
                "a.yaml",
                config("east") + "  - id: west\n    weight: 3\n" + "    sourceCidrs: [10.20.0.0/16]\n  - id: south\n");
        assertThat(ConfigFileWatcher.changedKeys(before, after))
                .containsExactly("clusters[west].weight", "clusters[west].sourceCidrs");
        assertThat(ConfigFileWatcher.changedKeys(after, before))
                .containsExactly("clusters[west].weight", "clusters[west].sourceCidrs");
    }
}
