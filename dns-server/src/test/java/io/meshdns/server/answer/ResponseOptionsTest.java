package io.meshdns.server.answer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Padding (RFC 7830, RFC 8467) of real dnsjava messages by {@link ResponseOptions}: block sizes, the 64 KiB
 * limit of a TCP message, and which queries are padded.
 */
class ResponseOptionsTest {
    private static final InetAddress CLIENT = InetAddress.getLoopbackAddress();
    private static final int TCP_MAX = 65535;

    /** A response of exactly {@code length} bytes that ends with an empty OPT record, as compiled answers do. */
    private static ByteBuf response(int length) throws Exception {
        Name owner = Name.fromString("x.");
        Message m = new Message(7);
        m.getHeader().setFlag(org.xbill.DNS.Flags.QR);
        m.addRecord(Record.newRecord(owner, Type.TXT, DClass.IN), Section.QUESTION);
        // Header 12, question 7, the TXT record's owner (a pointer), type, class, TTL, length 12, OPT 11.
        int rdata = length - 12 - 7 - 12 - 11;
        List<String> strings = new ArrayList<>();
        for (; rdata >= 256; rdata -= 256) {
            strings.add("a".repeat(255));
        }
        if (rdata > 0) {
            strings.add("a".repeat(rdata - 1));
        }
        m.addRecord(new TXTRecord(owner, DClass.IN, 5, strings), Section.ANSWER);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        byte[] wire = m.toWire();
        assertThat(wire).hasSize(length);
        return Unpooled.buffer(length).writeBytes(wire);
    }

    private static WireQuery query(EDNSOption... options) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString("x."), Type.TXT, DClass.IN));
        q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(options)), Section.ADDITIONAL);
        byte[] wire = q.toWire();
        WireQuery read = new WireQuery();
        assertThat(read.read(wire, wire.length, 65300)).isTrue();
        return read;
    }

    private static ResponseOptions padding(boolean everyEdnsAnswer, EDNSOption... queryOptions) throws Exception {
        ResponseOptions options = new ResponseOptions(null, everyEdnsAnswer, Clock.systemUTC());
        assertThat(options.read(query(queryOptions), null, CLIENT, true)).isTrue();
        return options;
    }

    /** The length after padding a {@code length}-byte response, checking it still parses with one Padding option. */
    private static int padded(ResponseOptions options, int length, int limit) throws Exception {
        byte[] out = ByteBufUtil.getBytes(options.write(response(length), true, limit));
        Message m = new Message(out);
        assertThat(m.getSection(Section.ANSWER)).hasSize(1);
        assertThat(m.getOPT().getOptions(EDNSOption.Code.PADDING)).hasSizeLessThanOrEqualTo(1);
        return out.length;
    }

    @Test
    void aResponseIsPaddedToTheNextMultipleOf468Bytes() throws Exception {
        ResponseOptions options = padding(true);

        assertThat(padded(options, 100, TCP_MAX)).isEqualTo(468);
        assertThat(padded(options, 464, TCP_MAX))
                .as("the option's 4-byte header just fits")
                .isEqualTo(468);
        assertThat(padded(options, 465, TCP_MAX)).isEqualTo(936);
        assertThat(padded(options, 468, TCP_MAX)).isEqualTo(936);
        assertThat(padded(options, 5000, TCP_MAX)).isEqualTo(11 * 468);
    }

    @Test
    void aResponseWhoseNextBlockPassesTheTcpLimitIsPaddedToTheLimit() throws Exception {
        // 140 blocks are 65,520 bytes; the 141st would pass the 65,535 a TCP message can hold.
        assertThat(padded(padding(true), 65_520, TCP_MAX)).isEqualTo(TCP_MAX);
    }

    @Test
    void aResponseWithNoRoomForThePaddingOptionGoesOutUnpadded() throws Exception {
        byte[] out = ByteBufUtil.getBytes(padding(true).write(response(65_532), true, TCP_MAX));

        assertThat(out).hasSize(65_532);
        assertThat(new Message(out).getOPT().getOptions(EDNSOption.Code.PADDING))
                .isEmpty();
    }

    @Test
    void withPaddingOnRequestOnlyAQueryWithThePaddingOptionIsPadded() throws Exception {
        assertThat(padded(padding(false), 100, TCP_MAX)).as("not asked").isEqualTo(100);
        assertThat(padded(padding(false, new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[30])), 100, TCP_MAX))
                .as("asked")
                .isEqualTo(468);
    }

    @Test
    void nothingIsPaddedOverAnUnencryptedTransport() throws Exception {
        ResponseOptions options = new ResponseOptions(null, true, Clock.systemUTC());
        assertThat(options.read(
                        query(new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[30])), null, CLIENT, false))
                .isTrue();

        assertThat(padded(options, 100, TCP_MAX)).isEqualTo(100);
    }
}
