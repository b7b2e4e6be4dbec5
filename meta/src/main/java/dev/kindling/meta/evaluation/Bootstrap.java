package dev.kindling.meta.evaluation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap confidence intervals of a mean over users (Efron and Tibshirani, ch. 13): the users' values are
 * resampled with replacement {@link #RESAMPLES} times, seeded, so the same values always give the same interval. A
 * paired comparison resamples the users' differences between two methods, which removes the (large) variation between
 * users that both methods share.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2_000;
    private static final long SEED = 20_251_130L;

    private Bootstrap() {
    }

    /** A two-sided interval at the given level. */
    public record Interval(double low, double high) {
        public boolean above(double value) {
            return low > value;
        }
    }

    /** The 95% interval of the mean of the values. */
    public static Interval mean95(double[] values) {
        return mean(values, 0.95);
    }

    public static Interval mean(double[] values, double level) {
        if (values.length == 0) {
            return new Interval(Double.NaN, Double.NaN);
        }
        SplittableRandom random = new SplittableRandom(SEED);
        double[] means = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double sum = 0;
            for (int i = 0; i < values.length; i++) {
                sum += values[random.nextInt(values.length)];
            }
            means[b] = sum / values.length;
        }
        Arrays.sort(means);
        double tail = (1 - level) / 2;
        return new Interval(means[(int) Math.floor(tail * (RESAMPLES - 1))],
                means[(int) Math.ceil((1 - tail) * (RESAMPLES - 1))]);
    }

    /** The 95% interval of the mean difference a - b over paired values (the same users, in the same order). */
    public static Interval difference95(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired values need the same users: " + a.length + " vs " + b.length);
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return mean95(d);
    }
}
