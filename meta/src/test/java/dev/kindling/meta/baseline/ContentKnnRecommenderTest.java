package dev.kindling.meta.baseline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ContentKnnRecommenderTest {

    /**
     * Two groups of items whose texts share one large common direction (as sentence encoders' vectors do) and differ
     * by a small part each: raw cosines between any two items are above 0.9, centred ones tell the groups apart.
     */
    @Test
    void centringOnTheCatalogueMeanSeparatesWhatTheCommonDirectionHides() {
        int d = 16;
        Random random = new Random(3);
        float[][] vectors = new float[21][];
        for (int i = 1; i <= 20; i++) {
            float[] v = new float[d];
            v[0] = 10; // the common direction
            v[i <= 10 ? 1 : 2] = 1.5f; // the group
            for (int c = 3; c < d; c++) {
                v[c] = (float) (0.1 * random.nextGaussian());
            }
            vectors[i] = v;
        }
        assertThat(cosine(vectors[1], vectors[15])).as("raw cosine across the groups").isGreaterThan(0.9);
        float[] scores = new ContentKnnRecommender(vectors).scores(new int[] {1, 2});
        for (int a = 3; a <= 10; a++) {
            assertThat(scores[a]).as("same group as the support").isGreaterThan(0.3f);
        }
        for (int b = 11; b <= 20; b++) {
            assertThat(scores[b]).as("the other group").isLessThan(0f);
        }
        assertThat(scores[0]).isZero();
    }

    @Test
    void itemsWithoutTextScoreZeroAndSoDoesEverythingWhenNoSupportItemHasText() {
        float[][] vectors = {null, {1, 0, 0}, {0.9f, 0.1f, 0}, null, {0, 0, 1}};
        float[] scores = new ContentKnnRecommender(vectors).scores(new int[] {1});
        assertThat(scores[3]).isZero();
        assertThat(scores[2]).isGreaterThan(scores[4]);
        assertThat(new ContentKnnRecommender(vectors).scores(new int[] {3})).containsOnly(0f);
    }

    /** What the model computes as one matrix product (support mean times the columns) is what scores gives. */
    @Test
    void theSupportMeanTimesTheColumnsIsTheScores() {
        Random random = new Random(5);
        float[][] vectors = new float[9][];
        for (int i = 1; i < 9; i++) {
            if (i != 4) {
                vectors[i] = new float[] {(float) random.nextGaussian(), (float) random.nextGaussian(), 3};
            }
        }
        ContentKnnRecommender content = new ContentKnnRecommender(vectors);
        int[] support = {2, 4, 7};
        float[] mean = content.supportMean(support);
        float[] columns = content.centredColumns();
        float[] scores = content.scores(support);
        int n = content.rows();
        for (int j = 0; j < n; j++) {
            float dot = 0;
            for (int k = 0; k < content.dimension(); k++) {
                dot += mean[k] * columns[k * n + j];
            }
            assertThat(dot).as("item %d", j).isCloseTo(scores[j], Offset.offset(1e-6f));
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
