package io.meshdns.server.http;

import io.meshdns.discovery.ClusterHealth;
import io.meshdns.discovery.MeshSnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.xbill.DNS.Rcode;

/**
 * The status page's charts: the last 15 minutes in {@link #POINTS} steps of {@link #STEP}, kept in fixed
 * rings in memory (nothing on disk, no time-series library). Every {@link #tick} (a background thread) reads
 * the query path's counters from the meter registry (queries by transport, responses by rcode) and turns
 * their increase into a rate; the discovery publisher reports each snapshot ({@link #published}) for the
 * propagation delay's p50 and p99 and the publications per step; endpoints per cluster are read from the
 * snapshot served at the tick. Nothing here is on the query path.
 */
final class TrafficHistory {
    static final Duration STEP = Duration.ofSeconds(5);
    static final int POINTS = 180; // 15 minutes
    /** Propagation delays kept per step for its percentiles; beyond, later ones replace earlier ones in turn. */
    private static final int DELAYS_PER_STEP = 256;

    private static final String[] PROTOS = {"udp", "tcp", "dot"};

    /**
     * {@code /api/history} (and the charts part of {@code /api/traffic}): {@code times} are the ends of the
     * steps (ISO-8601), oldest first; every series has one value per time (null where it has none).
     */
    record View(
            long version,
            int stepSeconds,
            List<String> times,
            Map<String, double[]> queriesPerSecond,
            Map<String, double[]> responsesPerSecond,
            Map<String, Double[]> propagationMillis,
            Map<String, int[]> endpoints,
            int[] publications) {}

    private final MeterRegistry registry;
    private final Supplier<MeshSnapshot> served;
    private final Clock clock;
    // All guarded by this.
    private final long[] at = new long[POINTS];
    private final double[][] queries = new double[PROTOS.length][POINTS];
    private final double[][] responses = new double[16][POINTS];
    private final Double[][] propagation = new Double[2][POINTS];
    private final int[] publications = new int[POINTS];
    private final Map<String, int[]> endpoints = new LinkedHashMap<>();
    private final double[] lastQueries = new double[PROTOS.length];
    private final double[] lastResponses = new double[16];
    private final long[] delays = new long[DELAYS_PER_STEP];
    private int delayCount;
    private int publishedInStep;
    private long lastTick;
    /** Ticks taken: the next point goes to {@code ticks % POINTS}. */
    private long ticks;

    TrafficHistory(MeterRegistry registry, Supplier<MeshSnapshot> served, Clock clock) {
        this.registry = registry;
        this.served = served;
        this.clock = clock;
        lastTick = clock.millis();
        read(lastQueries, lastResponses);
    }

    /** On the publisher thread, with each snapshot installed: its propagation delay (as {@link MeshMetrics}). */
    synchronized void published(MeshSnapshot snapshot) {
        publishedInStep++;
        Instant observed = snapshot.oldestChangeObservedAt();
        if (observed != null) {
            long millis =
                    Math.max(0, Duration.between(observed, clock.instant()).toMillis());
            delays[delayCount++ % DELAYS_PER_STEP] = millis;
        }
    }

    /** Closes the current step: one point in every series. */
    synchronized void tick() {
        long now = clock.millis();
        double seconds = Math.max(0.001, (now - lastTick) / 1000.0);
        int i = (int) (ticks % POINTS);
        double[] q = new double[PROTOS.length];
        double[] r = new double[16];
        read(q, r);
        for (int p = 0; p < PROTOS.length; p++) {
            queries[p][i] = Math.max(0, q[p] - lastQueries[p]) / seconds;
        }
        for (int c = 0; c < 16; c++) {
            responses[c][i] = Math.max(0, r[c] - lastResponses[c]) / seconds;
        }
        System.arraycopy(q, 0, lastQueries, 0, q.length);
        System.arraycopy(r, 0, lastResponses, 0, r.length);
        int n = Math.min(delayCount, DELAYS_PER_STEP);
        if (n == 0) {
            propagation[0][i] = null;
            propagation[1][i] = null;
        } else {
            long[] sorted = Arrays.copyOf(delays, n);
            Arrays.sort(sorted);
            propagation[0][i] = (double) sorted[(int) Math.ceil(0.50 * n) - 1];
            propagation[1][i] = (double) sorted[(int) Math.ceil(0.99 * n) - 1];
        }
        delayCount = 0;
        publications[i] = publishedInStep;
        publishedInStep = 0;
        MeshSnapshot s = served.get();
        for (int[] e : endpoints.values()) {
            e[i] = -1; // a cluster no longer in the mesh: no point
        }
        for (ClusterHealth h : s.clusters().values()) {
            int[] e = endpoints.computeIfAbsent(h.cluster().value(), k -> filled(-1));
            e[i] = h.endpoints();
        }
        at[i] = now;
        lastTick = now;
        ticks++;
    }

    private static int[] filled(int value) {
        int[] a = new int[POINTS];
        Arrays.fill(a, value);
        return a;
    }

    /** The counters' totals now: queries by transport, responses by rcode. */
    private void read(double[] q, double[] r) {
        for (int p = 0; p < PROTOS.length; p++) {
            q[p] = registry.find("meshdns.dns.requests").tag("proto", PROTOS[p]).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum();
        }
        for (Counter c : registry.find("meshdns.dns.responses").counters()) {
            int code = Rcode.value(c.getId().getTag("rcode"));
            if (code >= 0 && code < 16) {
                r[code] = c.count();
            }
        }
    }

    /** The steps taken so far (at most 15 minutes), oldest first; its version changes with every tick. */
    synchronized View view() {
        int n = (int) Math.min(ticks, POINTS);
        int first = (int) ((ticks - n) % POINTS);
        List<String> times = new java.util.ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            times.add(Instant.ofEpochMilli(at[(first + k) % POINTS]).toString());
        }
        Map<String, double[]> q = new LinkedHashMap<>();
        for (int p = 0; p < PROTOS.length; p++) {
            q.put(PROTOS[p], ordered(queries[p], first, n));
        }
        Map<String, double[]> r = new LinkedHashMap<>();
        for (int c = 0; c < 16; c++) {
            double[] values = ordered(responses[c], first, n);
            if (Arrays.stream(values).anyMatch(v -> v > 0)) { // only the rcodes seen in the window
                r.put(Rcode.string(c), values);
            }
        }
        Map<String, Double[]> d = new LinkedHashMap<>();
        d.put("p50", ordered(propagation[0], first, n));
        d.put("p99", ordered(propagation[1], first, n));
        Map<String, int[]> e = new LinkedHashMap<>();
        endpoints.forEach((cluster, values) -> e.put(cluster, ordered(values, first, n)));
        return new View(ticks, (int) STEP.toSeconds(), times, q, r, d, e, ordered(publications, first, n));
    }

    synchronized long version() {
        return ticks;
    }

    private static double[] ordered(double[] ring, int first, int n) {
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = ring[(first + k) % POINTS];
        }
        return out;
    }

    private static Double[] ordered(Double[] ring, int first, int n) {
        Double[] out = new Double[n];
        for (int k = 0; k < n; k++) {
            out[k] = ring[(first + k) % POINTS];
        }
        return out;
    }

    private static int[] ordered(int[] ring, int first, int n) {
        int[] out = new int[n];
        for (int k = 0; k < n; k++) {
            out[k] = ring[(first + k) % POINTS];
        }
        return out;
    }
}
