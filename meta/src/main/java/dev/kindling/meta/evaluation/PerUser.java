package dev.kindling.meta.evaluation;

import java.util.List;

/** Per-user metric values, as the protocols pool them over seeds: their mean, and several runs' values joined. */
public final class PerUser {
    private PerUser() {
    }

    /** The mean of the values; NaN when there are none. */
    public static double mean(double[] values) {
        double sum = 0;
        for (double x : values) {
            sum += x;
        }
        return values.length == 0 ? Double.NaN : sum / values.length;
    }

    /** The runs' values one after another (the users of every seed, for intervals over all of them). */
    public static double[] concat(List<double[]> runs) {
        int n = runs.stream().mapToInt(r -> r.length).sum();
        double[] out = new double[n];
        int at = 0;
        for (double[] r : runs) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }
}
