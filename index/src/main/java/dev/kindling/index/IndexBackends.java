package dev.kindling.index;

import java.time.Duration;
import java.util.List;

import dev.kindling.core.config.IndexConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexBackend;
import dev.kindling.index.milvus.MilvusSettings;
import dev.kindling.index.milvus.MilvusVectorIndex;

/**
 * The {@code lucene} (embedded, under {@code index.path}) and {@code milvus} index backends, found by
 * {@link dev.kindling.core.index.VectorIndexes}; each can also be opened by name whatever {@code index.backend} says
 * (for {@code index migrate}).
 */
public final class IndexBackends implements VectorIndexBackend {

    @Override
    public List<String> names() {
        return List.of("lucene", "milvus");
    }

    @Override
    public VectorIndex open(IndexConfig config) {
        return "milvus".equals(config.backend()) ? milvus(config) : lucene(config);
    }

    /** The embedded index under {@code index.path}. */
    public static LuceneVectorIndex lucene(IndexConfig c) {
        return new LuceneVectorIndex(c.path(), new LuceneIndexSettings(c.hnswM(), c.hnswBeamWidth(),
                c.hnswEf(), c.ramBufferMb(), LuceneIndexSettings.DEFAULT.maxDimensions()));
    }

    /**
     * The Milvus index at {@code index.milvus.uri}. Writes retry with back-off through an outage; reads fail at once
     * with {@code IndexUnavailableException}.
     */
    public static RetryingVectorIndex milvus(IndexConfig c) {
        return new RetryingVectorIndex(new MilvusVectorIndex(milvusSettings(c)), RetryingVectorIndex.Backoff.DEFAULT);
    }

    public static MilvusSettings milvusSettings(IndexConfig c) {
        IndexConfig.Milvus m = c.milvus();
        return new MilvusSettings(m.uri(), m.token(), m.database(), MilvusSettings.consistencyLevel(m.consistency()),
                c.hnswM(), c.hnswBeamWidth(), c.hnswEf(), Duration.ofMillis(m.timeoutMs()),
                Duration.ofMillis(m.writeTimeoutMs()));
    }
}
