package dev.kindling.server.cli;

import java.time.Duration;

import dev.kindling.core.config.IndexConfig;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.index.milvus.MilvusSettings;
import dev.kindling.index.milvus.MilvusVectorIndex;
import dev.kindling.index.milvus.RetryingVectorIndex;

/** Opens the parts a command needs from the configuration. */
final class Services {
    private Services() {
    }

    static VectorIndex openIndex(KindlingConfig config) {
        IndexConfig c = config.index();
        return switch (c.backend()) {
            case "lucene" -> openLucene(c);
            case "milvus" -> openMilvus(c);
            default -> throw new IllegalArgumentException("unknown index backend '" + c.backend() + "'");
        };
    }

    /** The embedded index under {@code index.path}, whatever {@code index.backend} says. */
    static LuceneVectorIndex openLucene(IndexConfig c) {
        return new LuceneVectorIndex(c.path(), new LuceneIndexSettings(c.hnswM(), c.hnswBeamWidth(),
                c.hnswEf(), c.ramBufferMb(), LuceneIndexSettings.DEFAULT.maxDimensions()));
    }

    /**
     * The Milvus index at {@code index.milvus.uri}, whatever {@code index.backend} says. Writes retry with back-off
     * through an outage; reads fail at once with {@code IndexUnavailableException}.
     */
    static RetryingVectorIndex openMilvus(IndexConfig c) {
        return new RetryingVectorIndex(new MilvusVectorIndex(milvusSettings(c)), RetryingVectorIndex.Backoff.DEFAULT);
    }

    static MilvusSettings milvusSettings(IndexConfig c) {
        IndexConfig.Milvus m = c.milvus();
        return new MilvusSettings(m.uri(), m.token(), m.database(), MilvusSettings.consistencyLevel(m.consistency()),
                c.hnswM(), c.hnswBeamWidth(), c.hnswEf(), Duration.ofMillis(m.timeoutMs()),
                Duration.ofMillis(m.writeTimeoutMs()));
    }
}
