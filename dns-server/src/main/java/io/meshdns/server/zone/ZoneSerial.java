package io.meshdns.server.zone;

import java.time.Instant;

/**
 * SOA serials that only go forward, across restarts and replicas, without a state file: a serial is the
 * publication time in seconds since the epoch (mod 2^32), and one more than the previous serial when that
 * is not newer (two publications in one second, or a clock stepped back). Compared with serial number
 * arithmetic (RFC 1982), so the wrap in 2106 is harmless.
 *
 * <p>Limit: sustained churn of more than one zone change per second runs the serial ahead of the clock by
 * the surplus; a restart while it is ahead starts behind what secondaries hold until the clock catches up.
 */
public final class ZoneSerial {
    private static final long MOD = 1L << 32;
    private static final long HALF = 1L << 31;

    private ZoneSerial() {}

    /** The first serial of a process: the publication time (or now for a snapshot with none). */
    static long initial(Instant publishedAt) {
        return of(publishedAt.getEpochSecond() > 0 ? publishedAt : Instant.now());
    }

    /** The serial of a changed zone published at {@code publishedAt}, after {@code previous}. */
    static long next(long previous, Instant publishedAt) {
        long now = of(publishedAt.getEpochSecond() > 0 ? publishedAt : Instant.now());
        return isNewer(now, previous) ? now : add(previous, 1);
    }

    static long of(Instant time) {
        return time.getEpochSecond() & (MOD - 1);
    }

    /** RFC 1982 addition: {@code n} at most 2^31 - 1. */
    static long add(long serial, long n) {
        if (n < 0 || n >= HALF) {
            throw new IllegalArgumentException("serial increment out of range: " + n);
        }
        return (serial + n) & (MOD - 1);
    }

    /** RFC 1982: whether {@code a} is greater than {@code b} (undefined pairs, 2^31 apart, are not). */
    public static boolean isNewer(long a, long b) {
        return (a < b && b - a > HALF) || (a > b && a - b < HALF);
    }
}
