package io.meshdns.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The services list's order: names as people read them, numbers by value. */
class StatusNaturalOrderTest {
    @Test
    void numbersInNamesSortByValueNotByCharacter() {
        List<String> names = new ArrayList<>(List.of(
                "ns-1/svc-100", "ns-1/svc-20", "ns-1/svc-3", "ns-10/svc-1", "ns-2/svc-1", "ns-1/svc", "ns-1/svc-20a"));

        names.sort(StatusApi.NATURAL);

        assertThat(names)
                .containsExactly(
                        "ns-1/svc",
                        "ns-1/svc-3",
                        "ns-1/svc-20",
                        "ns-1/svc-20a",
                        "ns-1/svc-100",
                        "ns-2/svc-1",
                        "ns-10/svc-1");
    }

    @Test
    void equalNumbersOfDifferentWidthStillHaveAnOrder() {
        assertThat(StatusApi.NATURAL.compare("svc-007", "svc-7")).isNotZero();
        assertThat(StatusApi.NATURAL.compare("svc-007", "svc-7"))
                .isEqualTo(-StatusApi.NATURAL.compare("svc-7", "svc-007"));
    }
}
