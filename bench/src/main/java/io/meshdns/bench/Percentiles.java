package io.meshdns.bench;

import java.util.Arrays;

/** Order statistics of a sample of durations in milliseconds (nearest-rank percentiles). */
record Percentiles(int count, double p50, double p99, double max, double mean) {
    static Percentiles of(double[] millis) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return new Percentiles(
                sorted.length,
                rank(sorted, 0.50),
                rank(sorted, 0.99),
                sorted[sorted.length - 1],
                Arrays.stream(sorted).average().orElseThrow());
    }

    private static double rank(double[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    @Override
    public String toString() {
        return String.format("n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms mean=%.1f ms", count, p50, p99, max, mean);
    }
}
