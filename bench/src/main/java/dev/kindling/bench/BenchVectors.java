package dev.kindling.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Seeded unit vectors and exact (brute-force) top-k search: the data and ground truth of the index benchmarks. */
final class BenchVectors {
    private BenchVectors() {
    }

    /** A unit vector near a random centre: Gaussian noise of total scale {@code noise}, normalised. */
    static float[] nearCentre(float[][] centres, double noise, Random random) {
        float[] centre = centres[random.nextInt(centres.length)];
        double sigma = noise / Math.sqrt(centre.length);
        float[] v = new float[centre.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (centre[i] + sigma * random.nextGaussian());
        }
        return normalise(v);
    }

    static float[] gaussianUnit(int dimension, Random random) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return normalise(v);
    }

    static float[] normalise(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / norm);
        }
        return v;
    }

    /** Exact top-k ids by dot product (= cosine for unit vectors), one query per task on every core. */
    static int[][] exactTopK(float[][] data, float[][] queries, int k) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (float[] query : queries) {
                futures.add(pool.submit(() -> topK(data, query, k)));
            }
            int[][] result = new int[queries.length][];
            for (int q = 0; q < queries.length; q++) {
                result[q] = futures.get(q).get();
            }
            return result;
        } finally {
            pool.shutdownNow();
        }
    }

    private static int[] topK(float[][] data, float[] query, int k) {
        int[] best = new int[k];
        double[] bestScore = new double[k];
        Arrays.fill(bestScore, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < data.length; i++) {
            double s = dot(data[i], query);
            if (s <= bestScore[k - 1]) {
                continue;
            }
            int j = k - 1;
            while (j > 0 && bestScore[j - 1] < s) {
                bestScore[j] = bestScore[j - 1];
                best[j] = best[j - 1];
                j--;
            }
            bestScore[j] = s;
            best[j] = i;
        }
        return best;
    }

    private static double dot(float[] a, float[] b) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < a.length; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < a.length; i++) {
            s0 += a[i] * b[i];
        }
        return (double) s0 + s1 + s2 + s3;
    }
}
