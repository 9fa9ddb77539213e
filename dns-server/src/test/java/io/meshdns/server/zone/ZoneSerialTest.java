package io.meshdns.server.zone;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.discovery.ServicePort;
import io.meshdns.server.config.ServerConfig;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SOA serials: publication time in seconds, always forward, compared as RFC 1982 says. */
class ZoneSerialTest {
    static final Instant T = Instant.parse("2026-11-29T12:00:00Z");

    @Test
    void aChangedZoneTakesThePublicationTimeInSeconds() {
        assertThat(ZoneSerial.next(T.getEpochSecond() - 30, T)).isEqualTo(T.getEpochSecond());
    }

    @Test
    void twoPublicationsInOneSecondGetIncreasingSerials() {
        long first = ZoneSerial.next(T.getEpochSecond() - 1, T);
        long second = ZoneSerial.next(first, T.plusMillis(300));
        long third = ZoneSerial.next(second, T.plusMillis(600));

        assertThat(List.of(first, second, third))
                .containsExactly(T.getEpochSecond(), T.getEpochSecond() + 1, T.getEpochSecond() + 2);
    }

    @Test
    void aClockSteppedBackNeverMovesTheSerialBack() {
        long before = ZoneSerial.next(T.getEpochSecond() - 1, T);

        assertThat(ZoneSerial.next(before, T.minusSeconds(3600))).isEqualTo(before + 1);
    }

    @Test
    void aSerialAfterTheWrapIsNewerThanOneBeforeIt() {
        assertThat(ZoneSerial.isNewer(0, 0xFFFFFFFFL)).isTrue();
        assertThat(ZoneSerial.isNewer(0xFFFFFFFFL, 0)).isFalse();
        assertThat(ZoneSerial.add(0xFFFFFFFFL, 2)).isEqualTo(1);
        assertThat(ZoneSerial.isNewer(5, 5)).isFalse();
        // 2^31 apart: undefined by RFC 1982, so neither is newer.
        assertThat(ZoneSerial.isNewer(1L << 31, 0)).isFalse();
        assertThat(ZoneSerial.isNewer(0, 1L << 31)).isFalse();
    }

    @Test
    void theIndexSerialMovesWhenAServiceChangesAndOnlyThen() throws Exception {
        ZoneSettings settings = ZoneSettings.of(ServerConfig.defaults());
        ServiceKey key = ServiceKey.of("shop", "web");
        GlobalService one = service(key, "10.1.0.1");
        ZoneIndex first = ZoneIndex.build(settings, snapshot(1, Map.of(key, one), T));
        ZoneIndex unchanged = ZoneIndex.build(settings, snapshot(2, Map.of(key, one), T.plusSeconds(5)), first);
        ZoneIndex changed = ZoneIndex.build(
                settings, snapshot(3, Map.of(key, service(key, "10.1.0.2")), T.plusSeconds(5)), unchanged);
        ZoneIndex sameSecond = ZoneIndex.build(settings, snapshot(4, Map.of(), T.plusSeconds(5)), changed);

        assertThat(first.serial()).isEqualTo(T.getEpochSecond());
        assertThat(unchanged.serial()).isEqualTo(first.serial());
        assertThat(changed.serial()).isEqualTo(T.getEpochSecond() + 5);
        assertThat(sameSecond.serial()).isEqualTo(T.getEpochSecond() + 6);
        assertThat(sameSecond.changedNames()).contains(DnsNames.absolute("web.shop.svc.clusterset.local"));
    }

    @Test
    void aRestartedServerStartsAtItsPublicationTimeAheadOfTheSerialsBeforeIt() {
        ZoneSettings settings = ZoneSettings.of(ServerConfig.defaults());
        ZoneIndex before = ZoneIndex.build(settings, snapshot(40, Map.of(), T));
        ZoneIndex restarted = ZoneIndex.build(settings, snapshot(3, Map.of(), T.plusSeconds(20)));

        assertThat(ZoneSerial.isNewer(restarted.serial(), before.serial())).isTrue();
    }

    private static MeshSnapshot snapshot(long version, Map<ServiceKey, GlobalService> services, Instant at) {
        return MeshSnapshot.of(version, at, services, Map.of());
    }

    private static GlobalService service(ServiceKey key, String ip) throws Exception {
        ClusterId east = ClusterId.of("east");
        Endpoint e = new Endpoint(east, InetAddress.getByName(ip), true, true, false, null, null, null);
        return new GlobalService(
                key,
                Map.of(
                        east,
                        new ClusterService(
                                east,
                                key,
                                "ClusterIP",
                                false,
                                null,
                                List.of(new ServicePort("http", 80, "TCP")),
                                List.of(e),
                                Map.of())));
    }
}
