package io.meshdns.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** When a service was exported dates it against other clusters' (KEP-1645: the oldest export wins conflicts). */
class CreationTimestampTest {
    @Test
    void theApiServersFormIsReadAsInstantParseReadsIt() {
        for (String t : new String[] {
            "2026-12-07T18:33:27Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "9999-12-31T23:59:59Z"
        }) {
            assertThat(ServiceMapper.timestamp(t)).as(t).isEqualTo(Instant.parse(t));
        }
    }

    @Test
    void otherRfc3339FormsAreStillReadAsInstantParseReadsThem() {
        for (String t : new String[] {
            "2026-12-07T18:33:27.123456Z", "2026-12-07T18:33:27+02:00", "2016-12-31T23:59:60Z", "+12026-12-07T18:33:27Z"
        }) {
            assertThat(ServiceMapper.timestamp(t)).as(t).isEqualTo(Instant.parse(t));
        }
    }

    @Test
    void aTimeThatIsNoDateDatesTheExportAtTheEpochAsBefore() {
        for (String t : new String[] {
            "2026-02-30T18:33:27Z",
            "2026-13-07T18:33:27Z",
            "2026-12-07T24:33:27Z",
            "2026-1a-07T18:33:27Z",
            "2026-12-07 18:33:27Z",
            "",
            "yesterday"
        }) {
            assertThat(ServiceMapper.timestamp(t)).as(t).isEqualTo(Instant.EPOCH);
        }
        assertThat(ServiceMapper.timestamp(null)).isEqualTo(Instant.EPOCH);
    }
}
