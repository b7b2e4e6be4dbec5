package dev.kindling.index;

import java.util.Arrays;
import java.util.Random;

import dev.kindling.core.index.Vectors;

/**
 * Seeded test vectors: unit vectors drawn around random unit cluster centres with Gaussian noise, and exact
 * (brute-force) top-k by dot product to measure recall against.
 */
public final class ClusteredVectors {
    private final float[][] centres;
    private final double noise;
    private final Random random;

    /**
     * @param noise standard deviation of the noise norm relative to a unit centre (per coordinate it is
     *              {@code noise / sqrt(dimension)})
     */
    public ClusteredVectors(int clusters, int dimension, double noise, Random random) {
        this.random = random;
        this.noise = noise / Math.sqrt(dimension);
        this.centres = new float[clusters][];
        for (int c = 0; c < clusters; c++) {
            centres[c] = gaussianUnit(dimension, random);
        }
    }

    /** A unit vector near a random cluster centre. */
    public float[] next() {
        float[] centre = centres[random.nextInt(centres.length)];
        float[] v = new float[centre.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (centre[i] + noise * random.nextGaussian());
        }
        return normalise(v);
    }

    public static float[] gaussianUnit(int dimension, Random random) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return normalise(v);
    }

    public static float[] normalise(float[] v) {
        double norm = Math.sqrt(Vectors.dot(v, v));
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / norm);
        }
        return v;
    }

    /** Indexes of the k data vectors with the largest dot product with the query, best first. */
    public static int[] exactTopK(float[][] data, float[] query, int k) {
        int[] best = new int[k];
        double[] bestScore = new double[k];
        Arrays.fill(bestScore, Double.NEGATIVE_INFINITY);
        Arrays.fill(best, -1);
        for (int i = 0; i < data.length; i++) {
            double s = Vectors.dot(data[i], query);
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
}
