package dev.kindling.index;

import java.io.IOException;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.hnsw.FlatVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99FlatVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsReader;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsWriter;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * Lucene's {@link Lucene99HnswVectorsFormat} (same files, same name, so segments reopen through Lucene's SPI without
 * this class) with two changes that only matter while indexing: graphs are built with {@link SimdVectorScorer}'s
 * comparisons where the JVM allows it, and vectors may have more than Lucene's default cap of 1024 dimensions (image
 * features such as ResNet-50's are 2048-d).
 */
final class HnswVectorsFormat extends KnnVectorsFormat {
    private static final String NAME = "Lucene99HnswVectorsFormat";

    private final int maxConn;
    private final int beamWidth;
    private final int maxDimensions;
    private final FlatVectorsFormat flat = new Lucene99FlatVectorsFormat(SimdVectorScorer.forBuilding());

    HnswVectorsFormat(int maxConn, int beamWidth, int maxDimensions) {
        super(NAME);
        this.maxConn = maxConn;
        this.beamWidth = beamWidth;
        this.maxDimensions = maxDimensions;
    }

    @Override
    public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
        // one merge worker, no executor: Lucene99HnswVectorsFormat's defaults
        return new Lucene99HnswVectorsWriter(state, maxConn, beamWidth, flat.fieldsWriter(state), 1, null);
    }

    @Override
    public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
        return new Lucene99HnswVectorsReader(state, flat.fieldsReader(state));
    }

    @Override
    public int getMaxDimensions(String fieldName) {
        return maxDimensions;
    }

    @Override
    public String toString() {
        return "HnswVectorsFormat(maxConn=" + maxConn + ", beamWidth=" + beamWidth + ", maxDimensions=" + maxDimensions
                + ", flat=" + flat + ")";
    }
}
