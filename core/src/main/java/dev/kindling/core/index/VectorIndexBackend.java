package dev.kindling.core.index;

import dev.kindling.core.config.Backend;
import dev.kindling.core.config.IndexConfig;

/** A kind of {@link VectorIndex} that {@code index.backend} names (the {@code index} module: lucene, milvus). */
public interface VectorIndexBackend extends Backend<IndexConfig, VectorIndex> {
}
