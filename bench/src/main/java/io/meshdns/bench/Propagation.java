package io.meshdns.bench;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshdns.server.cli.DemoMesh;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Random;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Change-to-answer propagation: replaces one pod address of one EndpointSlice through the mock API server
 * (an HTTP PUT, which the API server turns into a watch event) {@code --changes} times, and after each
 * change asks meshdns over UDP every millisecond until the answer holds the new address.
 *
 * <p>The time of one change runs from just before the PUT is sent until the first answer with the new
 * address: it includes the API call, the watch event, the informer, the coalesced snapshot publication (at
 * most one per 50 ms; the first change after a quiet period at once), the zone index rebuild, and up to
 * 1 ms of polling. Changes are spaced by a random 0-100 ms pause, as real changes do not wait for the
 * previous one's publication. The first {@code --warmup} changes are not counted.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.meshdns.bench.Propagation [--changes 500] [--warmup 20]
 *     [--clusters 2] [--services 100] [--pods-per-cluster 3]</pre>
 */
public final class Propagation {
    static final String USAGE =
            "Propagation [--changes N] [--warmup N] [--clusters C] [--services N] [--pods-per-cluster K]";

    /** Exits with 0, 1 when the measurement failed, 2 for bad options; never leaves a server running. */
    public static void main(String[] args) {
        Options.runAndExit("propagation", () -> run(args));
    }

    private static int run(String[] args) throws Exception {
        Options o;
        DemoMesh.Size size;
        try {
            o = new Options(args, USAGE, "--changes", "--warmup", "--clusters", "--services", "--pods-per-cluster");
            size = new DemoMesh.Size(
                    o.integer("--clusters", 2), o.integer("--services", 100), o.integer("--pods-per-cluster", 3));
            if (size.podsPerCluster() < 1) {
                throw new IllegalArgumentException(
                        "--pods-per-cluster must be at least 1: a pod address is what changes");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("propagation: " + e.getMessage());
            return 2;
        }
        int changes = o.integer("--changes", 500);
        int warmup = o.integer("--warmup", 20);
        try (var bench = SyntheticMeshUnderTest.start(size, Duration.ofMinutes(10))) {
            System.out.printf(
                    "mesh: %d clusters x %d services x %d pods; seeded in %.1f s, synced in %.1f s%n",
                    size.clusters(), size.services(), size.podsPerCluster(), bench.seedSeconds, bench.syncSeconds);
            measure(bench, changes, warmup);
        }
        return 0;
    }

    private static void measure(SyntheticMeshUnderTest bench, int changes, int warmup) throws Exception {
        KubernetesClient client = bench.mesh.client("c0");
        String ns = DemoMesh.namespaceName(0);
        EndpointSlice slice = client.discovery()
                .v1()
                .endpointSlices()
                .inNamespace(ns)
                .withName(DemoMesh.serviceName(0) + "-c0-0")
                .get();
        Name name = Name.fromString(SyntheticMeshUnderTest.serviceName(0));
        Random random = new Random(8);
        double[] millis = new double[changes];
        double[] putMillis = new double[changes];
        int lost = 0;
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(bench.server.dnsAddress());
            socket.setSoTimeout(1000);
            for (int i = -warmup; i < changes; i++) {
                int n = i + warmup;
                String address = "10.255." + (n >> 8 & 0xFF) + "." + (n & 0xFF);
                var endpoints = new ArrayList<>(slice.getEndpoints());
                endpoints.set(
                        0,
                        new EndpointBuilder(endpoints.get(0))
                                .withAddresses(address)
                                .build());
                slice.setEndpoints(endpoints);
                long start = System.nanoTime();
                slice = client.discovery().v1().endpointSlices().resource(slice).update();
                long put = System.nanoTime();
                long deadline = start + Duration.ofSeconds(5).toNanos();
                boolean seen = false;
                while (!seen && System.nanoTime() < deadline) {
                    seen = answers(socket, name, address);
                    if (!seen) {
                        Thread.sleep(1);
                    }
                }
                long end = System.nanoTime();
                if (i >= 0) {
                    millis[i] = (end - start) / 1e6;
                    putMillis[i] = (put - start) / 1e6;
                    if (!seen) {
                        lost++;
                    }
                }
                Thread.sleep(random.nextInt(101));
            }
        }
        System.out.printf(
                "propagation over %d changes (after %d warm-up): %s%n", changes, warmup, Percentiles.of(millis));
        System.out.printf("  of which the PUT round trip: %s%n", Percentiles.of(putMillis));
        System.out.printf("  changes not answered within 5 s: %d%n", lost);
    }

    /** One UDP query; whether the answer lists {@code address}. */
    private static boolean answers(DatagramSocket socket, Name name, String address) throws IOException {
        Message q = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        byte[] query = q.toWire();
        socket.send(new DatagramPacket(query, query.length));
        byte[] buffer = new byte[1232];
        Message answer;
        do { // a late reply to an earlier query that timed out is not this one's
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                return false;
            }
            answer = new Message(Arrays.copyOf(buffer, reply.getLength()));
        } while (answer.getHeader().getID() != q.getHeader().getID());
        for (Record r : answer.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a && a.getAddress().getHostAddress().equals(address)) {
                return true;
            }
        }
        return false;
    }

    private Propagation() {}
}
