package io.meshdns.server.answer;

import io.meshdns.server.zone.ZoneIndex;
import java.net.InetAddress;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.xbill.DNS.Message;

/**
 * What the query path hands on to zone transfers and NOTIFY (RFC 5936, 1995, 1996). Implemented by the
 * transfer package, which builds on the answers; the responder sees only this, so the arrow points down.
 */
public interface Transfers {
    /** Whether {@code parsed} is theirs over UDP: NOTIFY, IXFR, TSIG-signed queries. */
    boolean takes(Message parsed);

    /** Transfers wait for {@code ready}. */
    void openWhen(BooleanSupplier ready);

    /** A new index was published after {@code previous} (null for the first). */
    void published(ZoneIndex previous, ZoneIndex index);

    /** The answer to a query {@link #takes} says is theirs; {@code answer} compiles an ordinary one to sign. */
    byte[] respond(Message query, byte[] packet, InetAddress client, ZoneIndex index, Function<Message, byte[]> answer);

    /** The messages of a transfer over TCP, or {@code null} when {@code packet} is not one. */
    List<byte[]> transferTcp(byte[] packet, InetAddress client, ZoneIndex index);
}
