package dev.kindling.bench;

/**
 * The latencies of the requests that were answered (milliseconds from their scheduled send, sorted) and how many failed.
 */
record Latencies(double[] sorted, int errors) {
    int count() {
        return sorted.length;
    }

    /** The q-quantile (nearest rank); NaN when nothing was answered. */
    double p(double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)];
    }
}
