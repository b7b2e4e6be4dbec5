package dev.kindling.index;

import dev.kindling.core.index.Metric;
import org.apache.lucene.index.VectorSimilarityFunction;

/** Maps a {@link Metric} to Lucene's similarity and Lucene's scores back to the metric's own units. */
final class LuceneMetrics {
    private LuceneMetrics() {
    }

    /**
     * The similarity a new collection's vector field gets. COSINE collections keep unit vectors under DOT_PRODUCT
     * (Lucene's advice: the same order and the same (1 + cos) / 2 scores, at about a third less work per comparison;
     * {@link RecordDocuments} normalises and keeps each vector's norm).
     */
    static VectorSimilarityFunction similarity(Metric metric) {
        return switch (metric) {
            case COSINE -> VectorSimilarityFunction.DOT_PRODUCT;
            case INNER_PRODUCT -> VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
        };
    }

    /**
     * Inverts Lucene's score scaling. COSINE (and DOT_PRODUCT on unit vectors) scores are (1 + cos) / 2, so
     * cos = 2s - 1. MAXIMUM_INNER_PRODUCT scores
     * are 1 / (1 - dot) for a negative dot (a score below 1) and dot + 1 otherwise.
     */
    static float metricScore(Metric metric, float luceneScore) {
        return switch (metric) {
            case COSINE -> 2f * luceneScore - 1f;
            case INNER_PRODUCT -> luceneScore < 1f ? 1f - 1f / luceneScore : luceneScore - 1f;
        };
    }
}
