package io.meshdns.server;

import static io.meshdns.testkit.MeshObjects.exported;
import static io.meshdns.testkit.MeshObjects.pods;
import static io.meshdns.testkit.MeshObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** How the zone answers names that exist, names that do not, and names it is not authoritative for. */
class ZoneAnswersTest {
    @TempDir
    static Path kubeconfigs;

    static TwoClusterMesh mesh;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TwoClusterMesh(kubeconfigs);
        exported(mesh.east(), "shop", "web", "10.96.0.10");
        slice(mesh.east(), "shop", "web", "web-east", pods("10.10.1.", 1, 1, true));
        mesh.udp().addressesOnce("web.shop.svc.clusterset.local", Set.of("10.10.1.1"));
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    private static DnsClient client(DnsClient.Transport transport) {
        return new DnsClient(mesh.dns(), transport);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void apexAnswersItsSoaAuthoritatively(DnsClient.Transport transport) {
        Message m = client(transport).query("clusterset.local.", Type.SOA);

        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.RA)).isFalse();
        List<Record> answer = m.getSection(Section.ANSWER);
        assertThat(answer).hasSize(1).first().isInstanceOf(SOARecord.class);
        assertThat(answer.get(0).getName().toString()).isEqualTo("clusterset.local.");
    }

    /** Without nameservers in the config: ns.<zone>, with the DNS listener's address as glue. */
    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void apexAnswersItsNameServerWithItsAddressAsGlue(DnsClient.Transport transport) {
        Message m = client(transport).query("clusterset.local.", Type.NS);

        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).hasSize(1).first().isInstanceOf(NSRecord.class);
        assertThat(((NSRecord) m.getSection(Section.ANSWER).get(0)).getTarget().toString())
                .isEqualTo("ns.clusterset.local.");
        assertThat(m.getSection(Section.ADDITIONAL))
                .filteredOn(r -> r.getType() == Type.A)
                .extracting(r -> r.getName() + " " + r.rdataToString())
                .containsExactly("ns.clusterset.local. 127.0.0.1");
    }

    /** The NS target is not lame: its address record exists in the zone. */
    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void theNameServersNameResolvesToTheDnsListenersAddress(DnsClient.Transport transport) {
        assertThat(client(transport).addresses("ns.clusterset.local.")).containsExactly("127.0.0.1");
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void unknownNameInTheZoneIsNxdomainWithTheSoaInAuthority(DnsClient.Transport transport) {
        Message m = client(transport).query("nope.shop.svc.clusterset.local.", Type.A);

        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).hasSize(1).first().isInstanceOf(SOARecord.class);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void knownNameAskedForAnotherTypeIsNodataWithTheSoaInAuthority(DnsClient.Transport transport) {
        Message m = client(transport).query("web.shop.svc.clusterset.local.", Type.TXT);

        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).hasSize(1).first().isInstanceOf(SOARecord.class);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void namespaceLevelNameIsAnEmptyNonTerminalNotNxdomain(DnsClient.Transport transport) {
        Message m = client(transport).query("shop.svc.clusterset.local.", Type.A);

        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).hasSize(1).first().isInstanceOf(SOARecord.class);
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void nameOutsideTheZoneIsRefusedWithoutRecursion(DnsClient.Transport transport) {
        Message m = client(transport).query("example.com.", Type.A);

        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(m.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(DnsClient.Transport.class)
    void zoneNameInAnotherClassIsRefused(DnsClient.Transport transport) {
        Message m = client(transport).query("web.shop.svc.clusterset.local.", Type.A, DClass.CH);

        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
    }
}
