package dev.kindling.meta.baseline;

import dev.kindling.meta.Recommender;


/**
 * A content baseline: an item's score is the mean cosine between its text vector (the catalogue's MiniLM encoding)
 * and the text vectors of the user's items, after centring the vectors on the catalogue's mean. Needs no interactions
 * at all, so it ranks items nobody has seen too. Also the content member of MML's collaborative variant
 * ({@code mml.BlendWeights}).
 *
 * <p>Centring: sentence encoders put every text in a narrow cone (one large common direction), so raw cosines mostly
 * measure that direction. Subtracting the mean vector first leaves what tells items apart. Measured on
 * ml-latest-small (next-n NDCG@10, test halves of seeds 1-3): raw cosine 0.014, centred 0.051; on the dense MovieLens
 * variant 0.071 and 0.073 (meta README, issue 12).
 */
public final class ContentKnnRecommender implements Recommender {
    /** Per item index, the centred unit vector; null for row 0 and items without text. */
    private final float[][] centred;
    private final int dimension;

    /** @param vectors text vectors per item index (row 0 and items without text: null) */
    public ContentKnnRecommender(float[][] vectors) {
        int d = 0;
        for (float[] v : vectors) {
            if (v != null) {
                d = v.length;
                break;
            }
        }
        this.dimension = d;
        double[] mean = new double[d];
        int count = 0;
        for (float[] v : vectors) {
            if (v == null) {
                continue;
            }
            double norm = norm(v);
            for (int c = 0; c < d; c++) {
                mean[c] += v[c] / norm;
            }
            count++;
        }
        for (int c = 0; c < d; c++) {
            mean[c] /= Math.max(1, count);
        }
        this.centred = new float[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            float[] v = vectors[i];
            if (v == null) {
                continue;
            }
            double norm = norm(v);
            float[] c = new float[d];
            for (int k = 0; k < d; k++) {
                c[k] = (float) (v[k] / norm - mean[k]);
            }
            double cn = norm(c);
            if (cn > 1e-9) { // an item whose text is the mean direction itself tells nothing apart: left out
                for (int k = 0; k < d; k++) {
                    c[k] = (float) (c[k] / cn);
                }
                centred[i] = c;
            }
        }
    }

    /**
     * Per item, the mean centred cosine to the sequence's items that have a text. Items without a text, and every item
     * when no sequence item has one, score 0: no evidence either way (the middle of the cosines).
     */
    @Override
    public float[] scores(int[] sequence) {
        float[] mean = supportMean(sequence);
        float[] out = new float[centred.length];
        for (int j = 1; j < centred.length; j++) {
            float[] v = centred[j];
            if (v == null) {
                continue;
            }
            float dot = 0;
            for (int c = 0; c < dimension; c++) {
                dot += v[c] * mean[c];
            }
            out[j] = dot;
        }
        return out;
    }

    /**
     * The mean of the sequence's centred unit vectors (zeros when none has a text): an item's score is its centred unit
     * vector's dot product with it (the mean of the cosines), so a batch of users is one matrix product with
     * {@link #centredColumns()}.
     */
    public float[] supportMean(int[] sequence) {
        float[] mean = new float[dimension];
        int known = 0;
        for (int i : sequence) {
            float[] v = i > 0 && i < centred.length ? centred[i] : null;
            if (v == null) {
                continue;
            }
            known++;
            for (int c = 0; c < dimension; c++) {
                mean[c] += v[c];
            }
        }
        for (int c = 0; known > 0 && c < dimension; c++) {
            mean[c] /= known;
        }
        return mean;
    }

    /**
     * The centred unit vectors as one row-major [dimension, items + 1] array, each column an item (zero columns: no
     * text, and column 0): a batch of {@link #supportMean}s times it gives the batch's scores.
     */
    public float[] centredColumns() {
        int n = centred.length;
        float[] columns = new float[n * dimension];
        for (int i = 0; i < n; i++) {
            if (centred[i] != null) {
                for (int k = 0; k < dimension; k++) {
                    columns[k * n + i] = centred[i][k];
                }
            }
        }
        return columns;
    }

    public int dimension() {
        return dimension;
    }

    public int rows() {
        return centred.length;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
