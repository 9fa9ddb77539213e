package io.meshdns.loadbalancer;

import io.meshdns.discovery.ClusterId;
import java.util.random.RandomGenerator;

/**
 * A uniformly random order of the candidates: the first {@code limit} steps of a Fisher-Yates shuffle,
 * each drawing one of the positions not yet placed with equal chance.
 *
 * <p>The shuffle works on a virtual array {@code a[i] = i}. For a few candidates it is written out in the
 * scratch array; for many (more than twice the table below) only the slots a step has swapped are kept,
 * in a small hash table in the scratch array, so a query costs O(limit) and not O(candidates). Both give
 * the same order for the same random numbers.
 */
final class RandomPolicy implements LoadBalancingPolicy {
    private static final int EMPTY = -1;

    @Override
    public int order(
            Candidates candidates,
            ClusterId querier,
            String topologyZone,
            int turn,
            int limit,
            int[] out,
            int[] scratch,
            RandomGenerator random) {
        int n = candidates.size();
        int k = Math.min(limit, n);
        RandomGenerator rng = random;
        // Open addressing, load at most 1/2: slots in scratch[0, capacity), their values in scratch[capacity, 2
        // capacity).
        int capacity = Integer.highestOneBit(Math.max(1, 2 * k - 1)) << 1;
        if (n <= 2 * capacity) {
            return dense(n, k, rng, out, scratch);
        }
        for (int i = 0; i < capacity; i++) {
            scratch[i] = EMPTY;
        }
        int shift = Integer.numberOfLeadingZeros(capacity) + 1;
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int chosen = get(scratch, capacity, shift, j);
            if (j != i) {
                put(scratch, capacity, shift, j, get(scratch, capacity, shift, i)); // slot i is never read again
            }
            out[i] = chosen;
        }
        return k;
    }

    private static int dense(int n, int k, RandomGenerator rng, int[] out, int[] scratch) {
        for (int i = 0; i < n; i++) {
            scratch[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int chosen = scratch[j];
            scratch[j] = scratch[i];
            scratch[i] = chosen;
            out[i] = chosen;
        }
        return k;
    }

    /** {@code a[slot]}: its swapped value, else the slot itself. */
    private static int get(int[] table, int capacity, int shift, int slot) {
        for (int h = (slot * 0x9E3779B9) >>> shift; ; h = (h + 1) & (capacity - 1)) {
            int key = table[h];
            if (key == slot) {
                return table[capacity + h];
            }
            if (key == EMPTY) {
                return slot;
            }
        }
    }

    private static void put(int[] table, int capacity, int shift, int slot, int value) {
        for (int h = (slot * 0x9E3779B9) >>> shift; ; h = (h + 1) & (capacity - 1)) {
            int key = table[h];
            if (key == slot || key == EMPTY) {
                table[h] = slot;
                table[capacity + h] = value;
                return;
            }
        }
    }
}
