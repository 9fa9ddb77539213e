package io.meshdns.server.transport;

import io.meshdns.discovery.ClusterId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * What recording one query costs on the query path with the status page's name sampling on and off
 * ({@code status.topNames.enabled}): {@link QueryMetrics#record} as the DNS listeners call it after each
 * answer, with the samples drained every 200 ms on another thread as in the server. Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per query, which must be 0 both ways.
 *
 * <pre>java -jar bench/target/benchmarks.jar TopNamesBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TopNamesBenchmark {
    @Param({"on", "off"})
    public String topNames;

    private QueryMetrics metrics;
    private TopNames names;
    private ScheduledExecutorService drainer;
    private final ByteBuf[] queries = new ByteBuf[64];
    private final ByteBuf[] responses = new ByteBuf[64];
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        metrics = new QueryMetrics(new SimpleMeterRegistry());
        ClusterId east = ClusterId.of("east");
        if (topNames.equals("on")) {
            names = new TopNames(Clock.systemUTC(), () -> east);
            metrics.sampleNames(names);
            drainer = Executors.newSingleThreadScheduledExecutor();
            drainer.scheduleAtFixedRate(names::drain, 200, 200, TimeUnit.MILLISECONDS);
        }
        for (int i = 0; i < queries.length; i++) {
            // 64 names, one in eight missing, in mixed case as resolvers send them (0x20 encoding).
            String name = (i % 8 == 7 ? "Gone-" : "Svc-") + i + ".Shop.svc.clusterset.local.";
            Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
            Message r = new Message(q.getHeader().getID());
            r.getHeader().setRcode(i % 8 == 7 ? Rcode.NXDOMAIN : Rcode.NOERROR);
            queries[i] = Unpooled.directBuffer().writeBytes(q.toWire());
            responses[i] = Unpooled.directBuffer().writeBytes(r.toWire());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (drainer != null) {
            drainer.shutdownNow();
        }
    }

    @Benchmark
    public void record() {
        int i = next++ & 63;
        metrics.record(QueryMetrics.Proto.UDP, queries[i], responses[i], 20_000);
    }
}
