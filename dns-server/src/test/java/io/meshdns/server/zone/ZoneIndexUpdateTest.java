package io.meshdns.server.zone;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshdns.discovery.ClusterId;
import io.meshdns.discovery.ClusterService;
import io.meshdns.discovery.Endpoint;
import io.meshdns.discovery.GlobalService;
import io.meshdns.discovery.MeshSnapshot;
import io.meshdns.discovery.ServiceKey;
import io.meshdns.server.config.ConfigLoader;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;

/**
 * The zone index of each snapshot is built from the previous one, rebuilding only the services that changed:
 * it must hold exactly what an index built from scratch holds.
 */
class ZoneIndexUpdateTest {
    static final List<ClusterId> CLUSTERS = RandomServices.CLUSTERS;
    final ZoneSettings settings = ZoneSettings.of(
            ConfigLoader.parse("test", "reverseZones: [10.10.0.0/16, 'fd00::/64']\nclusterScopedNames: true\n"));
    final Random random = new Random(8);
    final RandomServices randomServices = new RandomServices(random, 10);

    @Test
    void indexUpdatedFromItsPredecessorEqualsOneBuiltFromScratch() throws Exception {
        Map<ServiceKey, GlobalService> services = new HashMap<>();
        ZoneIndex updated = ZoneIndex.build(settings, MeshSnapshot.empty());
        for (int version = 1; version <= 300; version++) {
            // Each step adds, replaces or removes a few services: PTR addresses are drawn from a small pool, so
            // services often claim the same address and one of them leaving must hand the PTR to the other.
            for (int change = random.nextInt(3) + 1; change > 0; change--) {
                ServiceKey key = ServiceKey.of("ns-" + random.nextInt(3), "svc-" + random.nextInt(12));
                if (random.nextInt(5) == 0) {
                    services.remove(key);
                } else {
                    services.put(key, randomServices.next(key));
                }
            }
            MeshSnapshot snapshot = MeshSnapshot.of(version, services, Map.of());
            updated = ZoneIndex.build(settings, snapshot, updated);
            ZoneIndex fresh = ZoneIndex.build(settings, snapshot);

            assertThat(dump(updated)).as("version %d", version).isEqualTo(dump(fresh));
            for (String probe : List.of(
                    "svc.clusterset.local.",
                    "ns-1.svc.clusterset.local.",
                    "svc-3.ns-1.svc.clusterset.local.",
                    "east.svc-3.ns-1.svc.clusterset.local.",
                    "3.10.10.in-addr.arpa.",
                    "1.3.10.10.in-addr.arpa.",
                    "nope.svc-3.ns-1.svc.clusterset.local.",
                    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.")) {
                Name name = Name.fromString(probe);
                assertThat(describe(updated.node(name)))
                        .as("%s at version %d", probe, version)
                        .isEqualTo(describe(fresh.node(name)));
            }
        }
    }

    @Test
    void unchangedServiceKeepsItsNamesAcrossUpdates() throws Exception {
        ServiceKey web = ServiceKey.of("shop", "web");
        ServiceKey db = ServiceKey.of("shop", "db");
        GlobalService webService = randomServices.next(web);
        ZoneIndex first = ZoneIndex.build(settings, MeshSnapshot.of(1, Map.of(web, webService), Map.of()));
        ZoneIndex second = ZoneIndex.build(
                settings, MeshSnapshot.of(2, Map.of(web, webService, db, randomServices.next(db)), Map.of()), first);

        Name name = Name.fromString("web.shop.svc.clusterset.local.");
        assertThat(second.node(name)).isSameAs(first.node(name));
    }

    /** Every name of every zone with what is there, in canonical order. */
    private static List<String> dump(ZoneIndex index) {
        List<String> out = new ArrayList<>();
        for (ZoneIndex.Zone zone : index.zones()) {
            out.add("zone " + zone.origin());
            for (var e : index.namesIn(zone)) {
                out.add(e.getKey() + " " + describe(e.getValue()));
            }
        }
        return out;
    }

    private static String describe(ZoneIndex.Node node) {
        if (node instanceof ZoneIndex.ServiceNode s) {
            return "service " + s.service().key() + " headless=" + s.headless() + " srv " + describe(s.srv());
        }
        if (node instanceof ZoneIndex.EndpointSrvNode srv) {
            return "srv " + srv.service().key() + " " + srv.ports() + " endpoints "
                    + srv.service().endpoints();
        }
        if (node instanceof ZoneIndex.ClusterNode c) {
            return "cluster " + c.service().key() + " "
                    + c.service().byCluster().keySet();
        }
        if (node instanceof ZoneIndex.RecordsNode r) {
            return "records " + r.records() + " additional " + r.additional();
        }
        return String.valueOf(node);
    }

    @Test
    void ptrOfAnAddressTwoServicesShareGoesToTheLowestServiceKeyAndSurvivesItsRemoval() throws Exception {
        InetAddress shared = InetAddress.getByName("10.10.9.9");
        ServiceKey api = ServiceKey.of("shop", "api");
        ServiceKey web = ServiceKey.of("shop", "web");
        ClusterId east = CLUSTERS.get(0);
        Map<ServiceKey, GlobalService> both = new HashMap<>();
        for (ServiceKey key : List.of(api, web)) {
            both.put(
                    key,
                    new GlobalService(
                            key,
                            Map.of(
                                    east,
                                    new ClusterService(
                                            east,
                                            key,
                                            "ClusterIP",
                                            false,
                                            null,
                                            List.of(),
                                            List.of(new Endpoint(east, shared, true, true, false, null, null, null)),
                                            Map.of()))));
        }
        Name ptr = ReverseMap.fromAddress(shared);

        ZoneIndex first = ZoneIndex.build(settings, MeshSnapshot.of(1, both, Map.of()));
        ZoneIndex second = ZoneIndex.build(settings, MeshSnapshot.of(2, Map.of(web, both.get(web)), Map.of()), first);

        assertThat(describe(first.node(ptr))).contains("api.shop.svc.clusterset.local.");
        assertThat(describe(second.node(ptr))).contains("web.shop.svc.clusterset.local.");
    }
}
