package io.meshdns.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Endpoints without a hostname are named from their IP the way CoreDNS names them. */
class EndpointHostnameTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "10.10.0.7, 10-10-0-7",
        "fd00:10::7, fd00-10--7",
        "::1, --1",
        "fd00::, fd00--",
        "2001:db8:0:0:1:0:0:1, 2001-db8--1-0-0-1",
        "2001:db8:0:1:1:1:1:1, 2001-db8-0-1-1-1-1-1",
        "2001:DB8:0000:0000:0000:0000:0000:0ABC, 2001-db8--abc"
    })
    void derivedFromTheCanonicalText(String ip, String hostname) throws Exception {
        assertThat(Endpoint.hostnameFor(InetAddress.getByName(ip))).isEqualTo(hostname);
    }
}
