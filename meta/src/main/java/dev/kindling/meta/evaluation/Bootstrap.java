package dev.kindling.meta.evaluation;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        return percentile(means, level);
    }

    private static Interval percentile(double[] means, double level) {
        Arrays.sort(means);
        double tail = (1 - level) / 2;
        return new Interval(means[(int) Math.floor(tail * (means.length - 1))],
                means[(int) Math.ceil((1 - tail) * (means.length - 1))]);
    }

    /**
     * The 95% interval of the mean of values that come in clusters, for example one user's values in several seeds'
     * test halves: whole clusters are resampled with replacement and each resample's mean is its values' sum over
     * their count (the cluster bootstrap; Davison and Hinkley, Bootstrap Methods and their Application, 1997, 3.8).
     * Values of the same user are alike, so resampling them one by one would narrow the interval as if they were
     * different users. With every value its own cluster this is {@link #mean95}.
     *
     * @param values  the values
     * @param cluster each value's cluster (any ids; values of one cluster need not be adjacent)
     */
    public static Interval clusteredMean95(double[] values, int[] cluster) {
        if (values.length != cluster.length) {
            throw new IllegalArgumentException("one cluster per value: " + values.length + " vs " + cluster.length);
        }
        if (values.length == 0) {
            return new Interval(Double.NaN, Double.NaN);
        }
        Map<Integer, Integer> index = new LinkedHashMap<>();
        for (int c : cluster) {
            index.putIfAbsent(c, index.size());
        }
        int clusters = index.size();
        double[] sums = new double[clusters];
        int[] counts = new int[clusters];
        for (int i = 0; i < values.length; i++) {
            int c = index.get(cluster[i]);
            sums[c] += values[i];
            counts[c]++;
        }
        SplittableRandom random = new SplittableRandom(SEED);
        double[] means = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double sum = 0;
            long count = 0;
            for (int i = 0; i < clusters; i++) {
                int c = random.nextInt(clusters);
                sum += sums[c];
                count += counts[c];
            }
            means[b] = sum / count;
        }
        return percentile(means, 0.95);
    }

    /** Cluster ids for {@link #clusteredMean95} from the values' owners (equal ids, one cluster), in order. */
    public static int[] clusters(List<String> owners) {
        Map<String, Integer> index = new HashMap<>();
        int[] out = new int[owners.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = index.computeIfAbsent(owners.get(i), o -> index.size());
        }
        return out;
    }

    /** The 95% interval of the mean difference a - b over paired values, resampled by {@code cluster} as above. */
    public static Interval clusteredDifference95(double[] a, double[] b, int[] cluster) {
        return clusteredMean95(differences(a, b), cluster);
    }

    /** The 95% interval of the mean difference a - b over paired values (the same users, in the same order). */
    public static Interval difference95(double[] a, double[] b) {
        return mean95(differences(a, b));
    }

    private static double[] differences(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired values need the same users: " + a.length + " vs " + b.length);
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}
