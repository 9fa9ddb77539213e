package io.meshdns.server.zone;

/**
 * How long a compiled answer may be reused: until the part of the zone it was compiled from is replaced
 * by a newer snapshot's. The zone index ends a service's lifetime when it rebuilds that service's names;
 * the query path only reads the flag.
 */
public final class Lifetime {
    private volatile boolean ended;

    void end() {
        ended = true;
    }

    public boolean alive() {
        return !ended;
    }
}
