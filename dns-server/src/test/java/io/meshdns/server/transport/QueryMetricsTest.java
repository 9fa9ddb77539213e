package io.meshdns.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** The query type is read from the query's wire bytes without parsing the message; recording allocates nothing. */
class QueryMetricsTest {
    private static byte[] query(String name, int type) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), type, org.xbill.DNS.DClass.IN))
                .toWire();
    }

    private static int qtype(byte[] wire) {
        return QueryMetrics.qtype(Unpooled.wrappedBuffer(wire));
    }

    @Test
    void typeOfAWellFormedQueryIsRead() throws Exception {
        assertThat(qtype(query("web.shop.svc.clusterset.local.", Type.AAAA))).isEqualTo(Type.AAAA);
        assertThat(qtype(query("_http._tcp.web.shop.svc.clusterset.local.", Type.SRV)))
                .isEqualTo(Type.SRV);
        assertThat(qtype(query(".", Type.NS))).isEqualTo(Type.NS);
    }

    @Test
    void truncatedOrQuestionlessPacketsHaveNoType() throws Exception {
        byte[] q = query("web.shop.svc.clusterset.local.", Type.A);

        assertThat(qtype(Arrays.copyOf(q, q.length - 2))).isEqualTo(Type.A); // class cut off
        assertThat(qtype(Arrays.copyOf(q, q.length - 3))).isEqualTo(-1); // type cut in half
        assertThat(qtype(Arrays.copyOf(q, 20))).isEqualTo(-1);
        assertThat(qtype(Arrays.copyOf(q, 11))).isEqualTo(-1);
        byte[] noQuestion = Arrays.copyOf(q, 12);
        noQuestion[5] = 0;
        assertThat(qtype(noQuestion)).isEqualTo(-1);
    }

    @Test
    void reservedLabelTypeHasNoType() throws Exception {
        byte[] q = query("web.example.", Type.A);
        q[12] = (byte) 0x43; // 01xxxxxx: an extended label type, not a length

        assertThat(qtype(q)).isEqualTo(-1);
    }

    @Test
    void recordingAQueryAllocatesNothing() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        var metrics = new QueryMetrics(new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT));
        byte[] wire = query("web.shop.svc.clusterset.local.", Type.A);
        ByteBuf query = Unpooled.wrappedBuffer(wire);
        byte[] nxdomain = Arrays.copyOf(wire, wire.length);
        nxdomain[3] = 3;
        ByteBuf response = Unpooled.wrappedBuffer(nxdomain);
        for (int i = 0; i < 50_000; i++) {
            metrics.record((i & 1) == 0 ? QueryMetrics.Proto.TCP : QueryMetrics.Proto.UDP, query, response, i);
        }
        long tid = Thread.currentThread().getId();

        long before = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100_000; i++) {
            metrics.record((i & 1) == 0 ? QueryMetrics.Proto.TCP : QueryMetrics.Proto.UDP, query, response, i);
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;

        // Under one byte per recording: nothing per query (about a kilobyte once, from Micrometer's bookkeeping).
        assertThat(allocated).as("bytes allocated by 100,000 recordings").isLessThan(100_000);
    }
}
