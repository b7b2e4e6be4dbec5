package dev.kindling.index;

import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * Tuning of the embedded Lucene HNSW index. Every value is validated on construction; a bad one is refused with an
 * {@link IllegalArgumentException} that names the field and the value.
 *
 * @param hnswM          HNSW neighbours per node (Lucene's {@code maxConn}), 1..512; default 16
 * @param hnswBeamWidth  HNSW candidate-list size while building the graph, 1..3200; default 100
 * @param ef             candidate-list size while searching when a request does not set one (at least k is always
 *                       used), at least 1; default 100
 * @param ramBufferMb    indexing buffer per collection before Lucene flushes a segment, in MiB, at least 1; default 256
 * @param maxDimensions  largest vector dimension a collection may have, at least 1; default 4096 (Lucene's own cap of
 *                       1024 is lifted by the codec)
 */
public record LuceneIndexSettings(int hnswM, int hnswBeamWidth, int ef, int ramBufferMb, int maxDimensions) {

    /** The defaults: M 16, beam width 100, ef 100, 256 MiB RAM buffer, up to 4096 dimensions. */
    public static final LuceneIndexSettings DEFAULT = new LuceneIndexSettings(16, 100, 100, 256, 4096);

    public LuceneIndexSettings {
        requireIn("hnswM", hnswM, 1, Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN);
        requireIn("hnswBeamWidth", hnswBeamWidth, 1, Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH);
        requireIn("ef", ef, 1, Integer.MAX_VALUE);
        requireIn("ramBufferMb", ramBufferMb, 1, Integer.MAX_VALUE);
        requireIn("maxDimensions", maxDimensions, 1, Integer.MAX_VALUE);
    }

    public LuceneIndexSettings withEf(int newEf) {
        return new LuceneIndexSettings(hnswM, hnswBeamWidth, newEf, ramBufferMb, maxDimensions);
    }

    public LuceneIndexSettings withMaxDimensions(int newMaxDimensions) {
        return new LuceneIndexSettings(hnswM, hnswBeamWidth, ef, ramBufferMb, newMaxDimensions);
    }

    private static void requireIn(String field, int value, int min, int max) {
        if (value < min || value > max) {
            String range = max == Integer.MAX_VALUE ? "at least " + min : "in " + min + ".." + max;
            throw new IllegalArgumentException("lucene index settings: " + field + " must be " + range + ", was " + value);
        }
    }
}
