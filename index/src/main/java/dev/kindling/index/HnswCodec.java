package dev.kindling.index;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * Lucene's 9.12 codec with the HNSW parameters from {@link LuceneIndexSettings} for every vector field and the
 * dimension cap raised to {@link LuceneIndexSettings#maxDimensions()}. Its name stays {@code Lucene912}, so indexes it
 * writes open with the stock codec.
 */
final class HnswCodec extends Lucene912Codec {
    private final KnnVectorsFormat vectorsFormat;

    HnswCodec(LuceneIndexSettings settings) {
        this.vectorsFormat = new HighDimensionVectorsFormat(
                new Lucene99HnswVectorsFormat(settings.hnswM(), settings.hnswBeamWidth()), settings.maxDimensions());
    }

    @Override
    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return vectorsFormat;
    }
}
