package io.meshdns.loadbalancer;

import java.util.random.RandomGenerator;

/**
 * The random numbers that choose a capped answer's subset: a SplitMix64 sequence seeded by the subset's
 * turn, the querier slot and the service, so every family (A, AAAA, SRV) and every query of one querier
 * cluster within one second draws the same subset from {@code random} and {@code weighted}. One per
 * thread, reseeded per query: nothing is allocated on the query path.
 */
final class SubsetRandom implements RandomGenerator {
    private static final ThreadLocal<SubsetRandom> PER_THREAD = ThreadLocal.withInitial(SubsetRandom::new);

    private long state;

    private SubsetRandom() {}

    /** This thread's generator, reseeded; valid until the thread's next call. */
    static RandomGenerator seeded(int turn, int slot, int salt) {
        SubsetRandom r = PER_THREAD.get();
        r.state = mix(((long) turn << 32) ^ ((long) slot << 16) ^ salt);
        return r;
    }

    @Override
    public long nextLong() {
        return mix(state += 0x9E3779B97F4A7C15L);
    }

    /** SplitMix64's finaliser (Steele, Lea, Flood 2014). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
