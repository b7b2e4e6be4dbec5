package dev.kindling.index;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;

/**
 * Lucene's 9.12 codec with {@link HnswVectorsFormat} (the HNSW parameters from {@link LuceneIndexSettings}, SIMD graph
 * building, the dimension cap raised to {@link LuceneIndexSettings#maxDimensions()}) for every vector field. Its name
 * stays {@code Lucene912}, so indexes it writes open with the stock codec.
 */
final class HnswCodec extends Lucene912Codec {
    private final KnnVectorsFormat vectorsFormat;

    HnswCodec(LuceneIndexSettings settings) {
        this.vectorsFormat = new HnswVectorsFormat(settings.hnswM(), settings.hnswBeamWidth(), settings.maxDimensions());
    }

    @Override
    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return vectorsFormat;
    }
}
