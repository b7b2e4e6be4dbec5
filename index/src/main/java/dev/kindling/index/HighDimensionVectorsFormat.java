package dev.kindling.index;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * A vectors format that writes and reads exactly like its delegate but accepts more dimensions than Lucene's default
 * cap of 1024 (image features such as ResNet-50's are 2048-d). It keeps the delegate's name, so segments record the
 * delegate's format and reopen through Lucene's SPI without this class; the cap only matters while indexing.
 */
final class HighDimensionVectorsFormat extends KnnVectorsFormat {
    private final KnnVectorsFormat delegate;
    private final int maxDimensions;

    HighDimensionVectorsFormat(KnnVectorsFormat delegate, int maxDimensions) {
        super(delegate.getName());
        this.delegate = delegate;
        this.maxDimensions = maxDimensions;
    }

    @Override
    public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
        return delegate.fieldsWriter(state);
    }

    @Override
    public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
        return delegate.fieldsReader(state);
    }

    @Override
    public int getMaxDimensions(String fieldName) {
        return maxDimensions;
    }

    @Override
    public String toString() {
        return "HighDimensionVectorsFormat(maxDimensions=" + maxDimensions + ", delegate=" + delegate + ")";
    }
}
