package io.meshdns.loadbalancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.core.Cidr;
import io.meshdns.discovery.ClusterId;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuerierResolverTest {
    private static final ClusterId EAST = ClusterId.of("east");
    private static final ClusterId WEST = ClusterId.of("west");

    private final QuerierResolver resolver = new QuerierResolver(DraftConfig.defaults()
            .withClusters(List.of(
                    new LoadBalancingConfig.Cluster(
                            EAST, 1, 0, List.of(Cidr.parse("10.10.0.0/16"), Cidr.parse("fd00:10::/32"))),
                    new LoadBalancingConfig.Cluster(
                            WEST, 1, 0, List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.168.7.7")))))
            .withTopologyZones(List.of(
                    new LoadBalancingConfig.TopologyZone(Cidr.parse("10.10.1.0/24"), "zone-a"),
                    new LoadBalancingConfig.TopologyZone(Cidr.parse("10.0.0.0/8"), "zone-b")))
            .config());

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theEdnsOptionNamesTheQueriersCluster() throws Exception {
        byte[] data = ascii("west");
        assertThat(resolver.resolve(ip("127.0.0.1"), data, 0, data.length).querierCluster())
                .isEqualTo(WEST);
    }

    @Test
    void theOptionIsReadInsideALargerBuffer() {
        byte[] wire = ascii("\u00ff\u0014\u0000\u0004east"); // code, length, data: as EDNSOption.toWire() gives it
        assertThat(resolver.clusterOfOption(wire, 4, 4)).isEqualTo(EAST);
    }

    @Test
    void theOptionIsMatchedWithoutRegardToAsciiCase() {
        byte[] data = ascii("EaSt");
        assertThat(resolver.clusterOfOption(data, 0, data.length)).isEqualTo(EAST);
    }

    @Test
    void theOptionWinsOverTheSourceAddress() throws Exception {
        byte[] data = ascii("west");
        assertThat(resolver.resolve(ip("10.10.3.4"), data, 0, data.length).querierCluster())
                .isEqualTo(WEST);
    }

    @Test
    void anOptionNamingAnUnknownClusterIsIgnoredAndTheSourceDecides() throws Exception {
        for (String unknown : List.of("north", "eas", "east ", "", "\u0000\u0001")) {
            byte[] data = ascii(unknown);
            assertThat(resolver.resolve(ip("10.10.3.4"), data, 0, data.length).querierCluster())
                    .as(unknown)
                    .isEqualTo(EAST);
            assertThat(resolver.resolve(ip("127.0.0.1"), data, 0, data.length).querierCluster())
                    .as(unknown)
                    .isNull();
        }
    }

    @Test
    void anOptionLengthBeyondTheBufferIsIgnored() {
        assertThat(resolver.clusterOfOption(ascii("east"), 2, 4)).isNull();
    }

    @Test
    void theLongestMatchingSourceNetworkWins() throws Exception {
        assertThat(resolver.resolve(ip("10.10.200.1")).querierCluster()).isEqualTo(EAST); // /16 over /8
        assertThat(resolver.resolve(ip("10.11.0.1")).querierCluster()).isEqualTo(WEST);
    }

    @Test
    void aBareAddressIsASingleHostNetwork() throws Exception {
        assertThat(resolver.resolve(ip("192.168.7.7")).querierCluster()).isEqualTo(WEST);
        assertThat(resolver.resolve(ip("192.168.7.8")).querierCluster()).isNull();
    }

    @Test
    void ipv6SourcesAreMatchedAgainstIpv6Networks() throws Exception {
        assertThat(resolver.resolve(ip("fd00:10::53")).querierCluster()).isEqualTo(EAST);
        assertThat(resolver.resolve(ip("fd00:11::53")).querierCluster()).isNull();
    }

    @Test
    void aSourceOutsideEveryNetworkIsOfUnknownClusterAndZone() throws Exception {
        QueryContext q = resolver.resolve(ip("127.0.0.1"));
        assertThat(q.querierCluster()).isNull();
        assertThat(q.querierTopologyZone()).isNull();
        assertThat(q.client()).isEqualTo(ip("127.0.0.1"));
    }

    @Test
    void theZoneComesFromTheLongestMatchingZoneNetwork() throws Exception {
        assertThat(resolver.resolve(ip("10.10.1.9")).querierTopologyZone()).isEqualTo("zone-a");
        assertThat(resolver.resolve(ip("10.10.2.9")).querierTopologyZone()).isEqualTo("zone-b");
    }

    @Test
    void theZoneIsKnownAlsoWhenTheClusterCameFromTheOption() throws Exception {
        byte[] data = ascii("west");
        QueryContext q = resolver.resolve(ip("10.10.1.9"), data, 0, data.length);
        assertThat(q.querierCluster()).isEqualTo(WEST);
        assertThat(q.querierTopologyZone()).isEqualTo("zone-a");
    }

    @Test
    void theOptionCodeIsConfigurable() {
        assertThat(new QuerierResolver(DraftConfig.defaults().config()).ednsOptionCode())
                .isEqualTo(65300);
        var custom = LoadBalancingConfig.of("local-first", 8, 65001, List.of(), List.of());
        assertThat(new QuerierResolver(custom).ednsOptionCode()).isEqualTo(65001);
    }
}
