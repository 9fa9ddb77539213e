package io.meshdns.loadbalancer;

import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when the test moves it: capped answers keep their subset until then. */
final class ManualClock implements InstantSource {
    private volatile long millis;

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
        return millis;
    }

    /** Moves on by {@code seconds}: a capped answer's subset moves on once per second. */
    void advanceSeconds(long seconds) {
        millis += seconds * 1000;
    }
}
