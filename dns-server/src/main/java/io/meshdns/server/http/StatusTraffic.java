package io.meshdns.server.http;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.server.transport.TopNames;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the status page shows moving: the charts ({@link TrafficHistory}) and the most asked names
 * ({@link TopNames}, null when {@code status.topNames.enabled} is false), kept current by one background
 * thread: it drains the name samples every {@link #DRAIN_MILLIS} ms (so a thread's ring does not fill at
 * full query rate) and closes a chart step every {@link TrafficHistory#STEP}.
 */
public final class StatusTraffic implements AutoCloseable {
    /** At 1 sample in 16 and 2,048 slots a ring holds 32,768 queries of one thread: 200 ms at 160,000/s. */
    static final long DRAIN_MILLIS = 200;

    /** {@code /api/traffic}: everything the page polls for its charts and top names, in one response. */
    record View(TrafficHistory.View charts, TopNames.View top) {}

    private final TrafficHistory history;
    private final TopNames names;
    private final ScheduledExecutorService timer;

    public StatusTraffic(
            MeterRegistry registry, Supplier<MeshSnapshot> served, boolean topNames, Supplier<ClusterId> lastQuerier) {
        Clock clock = Clock.systemUTC();
        this.history = new TrafficHistory(registry, served, clock);
        this.names = topNames ? new TopNames(clock, lastQuerier) : null;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meshdns-status-traffic");
            t.setDaemon(true);
            return t;
        });
        if (names != null) {
            timer.scheduleAtFixedRate(names::drain, DRAIN_MILLIS, DRAIN_MILLIS, TimeUnit.MILLISECONDS);
        }
        long step = TrafficHistory.STEP.toMillis();
        timer.scheduleAtFixedRate(history::tick, step, step, TimeUnit.MILLISECONDS);
    }

    /** On the publisher thread, with each snapshot installed: counted in the publications chart. */
    public void published(MeshSnapshot snapshot) {
        history.published(snapshot);
    }

    TrafficHistory history() {
        return history;
    }

    /** The name sampler, or null when it is off. */
    public TopNames names() {
        return names;
    }

    TopNames.View top() {
        return names == null ? TopNames.disabled() : names.view();
    }

    /** The version of {@link #top}: changes when samples arrive or a minute starts. */
    long topVersion() {
        return names == null ? 0 : names.drain();
    }

    View view() {
        return new View(history.view(), top());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
