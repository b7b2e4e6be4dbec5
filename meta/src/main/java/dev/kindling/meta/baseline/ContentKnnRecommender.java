package dev.kindling.meta.baseline;

import dev.kindling.meta.Recommender;


/**
 * A content baseline: an item's score is the mean cosine between its text vector (the catalogue's MiniLM encoding)
 * and the text vectors of the user's items. Needs no interactions at all, so it ranks items nobody has seen too.
 */
public final class ContentKnnRecommender implements Recommender {
    private final float[][] vectors;

    /** @param vectors unit text vectors per item index (row 0 and items without text: null) */
    public ContentKnnRecommender(float[][] vectors) {
        this.vectors = vectors;
    }

    @Override
    public float[] scores(int[] sequence) {
        int d = 0;
        for (float[] v : vectors) {
            if (v != null) {
                d = v.length;
                break;
            }
        }
        float[] mean = new float[d];
        int known = 0;
        for (int i : sequence) {
            float[] v = i < vectors.length ? vectors[i] : null;
            if (v == null) {
                continue;
            }
            known++;
            for (int c = 0; c < d; c++) {
                mean[c] += v[c];
            }
        }
        float[] out = new float[vectors.length];
        if (known == 0) {
            return out;
        }
        for (int j = 1; j < vectors.length; j++) {
            float[] v = vectors[j];
            if (v == null) {
                out[j] = -1f; // below every item that has a text
                continue;
            }
            float dot = 0;
            for (int c = 0; c < d; c++) {
                dot += v[c] * mean[c];
            }
            out[j] = dot / known; // mean of the cosines = cosine with the sum, over the count
        }
        return out;
    }
}
