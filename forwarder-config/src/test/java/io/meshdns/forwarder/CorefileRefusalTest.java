package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What meshdns refuses to read or to modify, and that the error names the source and the line. */
class CorefileRefusalTest {
    private static final MeshdnsStanza EAST =
            DraftStanza.of("east", List.of("10.8.0.10")).stanza();

    @Test
    void refusesABraceThatIsNeverClosed() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53 {\n  forward . 1.1.1.1 {\n    policy random\n}\n"))
                .isInstanceOf(CorefileException.class)
                .hasMessage("Corefile, line 1: '{' opened here is never closed");
    }

    @Test
    void refusesAClosingBraceWithNothingOpen() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53 {\n  errors\n}\n}\n"))
                .hasMessage("Corefile, line 4: '}' closes nothing: no block is open here");
    }

    @Test
    void refusesAQuotedStringThatIsNeverClosed() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53 {\n  log . \"{remote}\n}\n"))
                .hasMessage("Corefile, line 2: a quoted string starts here and is never closed");
    }

    @Test
    void refusesAServerBlockWithoutBraces() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53\nwhoami\n"))
                .hasMessageStartingWith("Corefile, line 1: server block '.:53' has no '{'");
    }

    @Test
    void refusesKeysRunningIntoTheEndOfTheFile() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53 {\n}\nexample.org:53,\n"))
                .hasMessage("Corefile, line 3: server block keys 'example.org:53,' are not followed by '{'");
    }

    @Test
    void refusesAnImportWithoutAPattern() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", "import\n.:53 {\n}\n"))
                .hasMessage("Corefile, line 1: 'import' needs a file pattern or snippet name");
    }

    @Test
    void refusesWordsAfterAClosingBraceOnTheSameLine() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53 {\n  health { lameduck 5s } ready\n}\n"))
                .hasMessage("Corefile, line 2: 'ready' after '}' on the same line");
    }

    @Test
    void refusesABeginMarkerWithoutAnEndMarker() {
        assertThatThrownBy(() -> Corefile.parse("Corefile", ".:53 {\n}\n# meshdns:begin\nclusterset.local {\n}\n"))
                .hasMessage("Corefile, line 3: '# meshdns:begin' has no '# meshdns:end' after it");
    }

    @Test
    void refusesMarkersInsideAServerBlock() {
        assertThatThrownBy(
                        () -> Corefile.parse("Corefile", ".:53 {\n  # meshdns:begin\n  errors\n  # meshdns:end\n}\n"))
                .hasMessageStartingWith("Corefile, line 2: the meshdns marker is inside a server block");
    }

    @Test
    void refusesTwoBeginMarkers() {
        String text = "# meshdns:begin\n# meshdns:end\n# meshdns:begin\n# meshdns:end\n";
        assertThatThrownBy(() -> Corefile.parse("Corefile", text))
                .hasMessage("Corefile, line 3: a second '# meshdns:begin' marker (the first is on line 1)");
    }

    @Test
    void refusesToAddTheZoneWhenAnotherServerBlockServesIt() {
        Corefile c = Corefile.parse("Corefile", ".:53 {\n  errors\n}\nclusterset.local {\n  forward . 10.0.0.1\n}\n");

        assertThatThrownBy(() -> c.withMeshdnsBlock(EAST))
                .isInstanceOf(CorefileException.class)
                .hasMessageStartingWith(
                        "Corefile, line 4: a server block already serves clusterset.local:53 outside the meshdns"
                                + " markers");
    }

    @Test
    void refusesToAddAReverseZoneThatACidrKeyAlreadyServes() {
        Corefile c = Corefile.parse("Corefile", ".:53 {\n  errors\n}\n10.10.0.0/16:53 {\n  whoami\n}\n");

        MeshdnsStanza stanza = DraftStanza.of("east", List.of("10.8.0.10"))
                .withReverseZones(List.of("10.10.0.0/16"))
                .stanza();
        assertThatThrownBy(() -> c.withMeshdnsBlock(stanza))
                .hasMessageStartingWith("Corefile, line 4: a server block already serves 10.10.in-addr.arpa:53");
    }

    @Test
    void acceptsTheSameZoneOnAnotherPort() {
        Corefile c = Corefile.parse("Corefile", ".:53 {\n  errors\n}\nclusterset.local:5353 {\n  whoami\n}\n");

        c.withMeshdnsBlock(EAST);
    }
}
