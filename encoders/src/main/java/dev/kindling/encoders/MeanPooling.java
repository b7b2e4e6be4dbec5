package dev.kindling.encoders;

/** Sentence vectors from token vectors: the mean over unmasked tokens, then L2 normalisation. */
public final class MeanPooling {
    private MeanPooling() {
    }

    /**
     * @param hidden token vectors [n, length, d], row-major
     * @param mask   attention mask [n, length]
     * @return n unit vectors of d floats
     */
    public static float[][] pool(float[] hidden, long[] mask, int n, int length, int d) {
        float[][] out = new float[n][d];
        for (int i = 0; i < n; i++) {
            double[] sum = new double[d];
            long count = 0;
            for (int t = 0; t < length; t++) {
                if (mask[i * length + t] == 0) {
                    continue;
                }
                count++;
                int base = (i * length + t) * d;
                for (int k = 0; k < d; k++) {
                    sum[k] += hidden[base + k];
                }
            }
            double norm = 0;
            for (int k = 0; k < d; k++) {
                sum[k] /= Math.max(count, 1);
                norm += sum[k] * sum[k];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int k = 0; k < d; k++) {
                out[i][k] = (float) (sum[k] / norm);
            }
        }
        return out;
    }

    /** Rows of an [n, d] matrix scaled to unit length. */
    static float[][] normaliseRows(float[] values, int n, int d) {
        float[][] out = new float[n][d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int k = 0; k < d; k++) {
                double v = values[i * d + k];
                norm += v * v;
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int k = 0; k < d; k++) {
                out[i][k] = (float) (values[i * d + k] / norm);
            }
        }
        return out;
    }
}
