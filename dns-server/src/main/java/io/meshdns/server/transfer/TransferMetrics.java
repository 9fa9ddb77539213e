package io.meshdns.server.transfer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;

/**
 * Zone transfer metrics: transfers by type and result, TSIG failures by error, NOTIFYs sent and
 * acknowledged, and each zone's journal depth. Recorded off the query path (transfers,
 * NOTIFYs and signed queries only), so counters are looked up by tag when used.
 */
public final class TransferMetrics {
    private final MeterRegistry registry;
    private final Counter notifiesSent;
    private final Counter notifiesAcknowledged;

    public TransferMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.notifiesSent = Counter.builder("meshdns.notifies.sent")
                .description("NOTIFY messages sent to secondaries, retries included")
                .register(registry);
        this.notifiesAcknowledged = Counter.builder("meshdns.notifies.acknowledged")
                .description("NOTIFY messages a secondary acknowledged")
                .register(registry);
    }

    /**
     * One zone transfer request answered.
     *
     * @param type {@code axfr} or {@code ixfr}
     * @param result {@code full} (every record), {@code incremental}, {@code up-to-date} (the SOA only),
     *     {@code refused}, {@code notauth}, {@code formerr} or {@code bad-tsig}
     */
    void transfer(String type, String result) {
        Counter.builder("meshdns.zone.transfers")
                .description("Zone transfer requests by type and result")
                .tag("type", type)
                .tag("result", result)
                .register(registry)
                .increment();
    }

    /** A request whose TSIG signature failed (BADSIG, BADKEY, BADTIME). */
    void tsigError(int error) {
        Counter.builder("meshdns.tsig.errors")
                .description("Requests whose TSIG signature failed, by TSIG error")
                .tag("error", Rcode.TSIGstring(error).toLowerCase(Locale.ROOT))
                .register(registry)
                .increment();
    }

    void notifySent() {
        notifiesSent.increment();
    }

    void notifyAcknowledged() {
        notifiesAcknowledged.increment();
    }

    /**
     * A secondary's reply that did not acknowledge the NOTIFY, which stays pending.
     *
     * @param reason the reply's rcode ({@code refused}, {@code notauth}, ...), {@code unsigned} or
     *     {@code bad-tsig} (NOTIFYs are signed), {@code wrong-id}, {@code wrong-question},
     *     {@code not-a-notify-response} or {@code malformed}
     */
    void notifyRejected(String reason) {
        Counter.builder("meshdns.notifies.rejected")
                .description("Replies from secondaries that did not acknowledge a NOTIFY (it is sent again), by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** The journal depth (diffs held) of {@code zone}, read when scraped. */
    <T> void journal(Name zone, T source, ToDoubleFunction<T> depth) {
        Gauge.builder("meshdns.transfer.journal.depth", source, depth)
                .description("Changes held in the IXFR journal of the zone")
                .tag("zone", zone.toString())
                .register(registry);
    }
}
