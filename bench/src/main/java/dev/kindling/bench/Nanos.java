package dev.kindling.bench;

/** Converts the benchmarks' {@link System#nanoTime} differences to seconds, the unit their figures are printed in. */
final class Nanos {
    private Nanos() {
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
