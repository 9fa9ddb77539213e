package io.meshdns.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.server.transport.ResponseRateLimiter.Decision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The limiter's arithmetic, on a clock the test controls (nanoseconds). */
class ResponseRateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    private static List<Decision> burst(ResponseRateLimiter rrl, String address, int n, long at) throws Exception {
        List<Decision> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(rrl.check(InetAddress.getByName(address), at));
        }
        return out;
    }

    @Test
    void aPrefixGetsTheRateTimesTheWindowAtOnceThenTheRate() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(5, 0, Duration.ofSeconds(2));
        long t = 1_000 * SECOND;

        assertThat(burst(rrl, "192.0.2.1", 12, t))
                .containsExactly(
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.ANSWER,
                        Decision.DROP,
                        Decision.DROP);
        assertThat(burst(rrl, "192.0.2.1", 2, t + SECOND / 5))
                .as("one more per 1/5 s")
                .containsExactly(Decision.ANSWER, Decision.DROP);
    }

    @Test
    void ipv4SharesOneAllowancePer24AndIpv6Per56() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(2, 0, Duration.ofSeconds(1));
        long t = 1_000 * SECOND;

        assertThat(burst(rrl, "192.0.2.1", 2, t)).containsOnly(Decision.ANSWER);
        assertThat(burst(rrl, "192.0.2.200", 1, t)).as("same /24").containsOnly(Decision.DROP);
        assertThat(burst(rrl, "192.0.3.1", 1, t)).as("another /24").containsOnly(Decision.ANSWER);

        assertThat(burst(rrl, "2001:db8:0:100::1", 2, t)).containsOnly(Decision.ANSWER);
        assertThat(burst(rrl, "2001:db8:0:1ff::9", 1, t)).as("same /56").containsOnly(Decision.DROP);
        assertThat(burst(rrl, "2001:db8:0:200::1", 1, t)).as("another /56").containsOnly(Decision.ANSWER);
    }

    @Test
    void everySlipThLimitedAnswerSlipsAndTheOthersDrop() throws Exception {
        ResponseRateLimiter rrl = new ResponseRateLimiter(1, 3, Duration.ofSeconds(1));
        long t = 1_000 * SECOND;

        assertThat(burst(rrl, "198.51.100.7", 7, t))
                .containsExactly(
                        Decision.ANSWER,
                        Decision.DROP,
                        Decision.DROP,
                        Decision.SLIP,
                        Decision.DROP,
                        Decision.DROP,
                        Decision.SLIP);
    }

    @Test
    void aSlippedAnswerIsTheHeaderAndQuestionWithTcAndNoRecords() throws Exception {
        Message answer = Message.newQuery(
                Record.newRecord(Name.fromString("web.shop.svc.clusterset.local."), Type.A, DClass.IN));
        answer.getHeader().setFlag(Flags.QR);
        answer.getHeader().setID(4242);
        answer.addRecord(
                Record.fromString(
                        Name.fromString("web.shop.svc.clusterset.local."),
                        Type.A,
                        DClass.IN,
                        5,
                        "10.10.1.1",
                        Name.root),
                Section.ANSWER);
        answer.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        ByteBuf wire = Unpooled.wrappedBuffer(answer.toWire());

        Message slipped = new Message(io.netty.buffer.ByteBufUtil.getBytes(ResponseRateLimiter.truncate(wire)));

        assertThat(slipped.getHeader().getID()).isEqualTo(4242);
        assertThat(slipped.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(slipped.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(slipped.getQuestion().getName()).isEqualTo(Name.fromString("web.shop.svc.clusterset.local."));
        assertThat(slipped.getSection(Section.ANSWER)).isEmpty();
        assertThat(slipped.getSection(Section.ADDITIONAL)).isEmpty();
    }
}
