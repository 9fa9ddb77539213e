package io.meshdns.server.transport;

import io.meshdns.discovery.ClusterId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The bytes the query path's thread allocates to record a query ({@link QueryMetrics#record}, which samples
 * names for {@link TopNames}), read from the thread's own allocation counter (HotSpot's
 * {@code ThreadMXBean.getCurrentThreadAllocatedBytes}) around 20 million calls after a warm-up, with the
 * sampling on and off. The drain runs every 200 ms on another thread, as in the server, whose allocations
 * (the names' text, the summaries) are not the query path's and are not counted. JMH's {@code -prof gc}
 * ({@link TopNamesBenchmark}) counts every thread's, the drain's too.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.meshdns.server.transport.TopNamesAllocation</pre>
 */
public final class TopNamesAllocation {
    static final int WARMUP = 5_000_000;
    static final int MEASURED = 20_000_000;

    private TopNamesAllocation() {}

    public static void main(String[] args) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ByteBuf[] queries = new ByteBuf[64];
        ByteBuf[] responses = new ByteBuf[64];
        for (int i = 0; i < queries.length; i++) {
            String name = (i % 8 == 7 ? "Gone-" : "Svc-") + i + ".Shop.svc.clusterset.local.";
            Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
            Message r = new Message(q.getHeader().getID());
            r.getHeader().setRcode(i % 8 == 7 ? Rcode.NXDOMAIN : Rcode.NOERROR);
            queries[i] = Unpooled.directBuffer().writeBytes(q.toWire());
            responses[i] = Unpooled.directBuffer().writeBytes(r.toWire());
        }
        int failures = 0;
        for (boolean on : new boolean[] {true, false}) {
            QueryMetrics metrics = new QueryMetrics(new SimpleMeterRegistry());
            ScheduledExecutorService drainer = Executors.newSingleThreadScheduledExecutor();
            TopNames names = null;
            if (on) {
                ClusterId east = ClusterId.of("east");
                names = new TopNames(Clock.systemUTC(), () -> east);
                metrics.sampleNames(names);
                drainer.scheduleAtFixedRate(names::drain, 200, 200, TimeUnit.MILLISECONDS);
            }
            for (int i = 0; i < WARMUP; i++) {
                metrics.record(QueryMetrics.Proto.UDP, queries[i & 63], responses[i & 63], 20_000);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            for (int i = 0; i < MEASURED; i++) {
                metrics.record(QueryMetrics.Proto.UDP, queries[i & 63], responses[i & 63], 20_000);
            }
            long nanos = System.nanoTime() - start;
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            drainer.shutdownNow();
            String sampled = names == null
                    ? ""
                    : ", " + names.view().sampled() + " samples in the window, "
                            + names.view().dropped() + " dropped";
            System.out.printf(
                    "topNames %-3s: %d bytes allocated by the recording thread over %,d queries (%.4f per query),"
                            + " %.0f ns per query%s%n",
                    on ? "on" : "off",
                    allocated,
                    MEASURED,
                    allocated / (double) MEASURED,
                    nanos / (double) MEASURED,
                    sampled);
            // The counter itself may report a few hundred bytes of its own bookkeeping; a per-query allocation
            // would show as at least MEASURED bytes.
            if (allocated >= MEASURED / 16) {
                failures++;
            }
        }
        System.exit(failures == 0 ? 0 : 1);
    }
}
