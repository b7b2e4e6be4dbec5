package dev.kindling.core.config;

import java.nio.file.Path;

/**
 * The vector index.
 *
 * @param backend       {@code lucene} (embedded default)
 * @param path          directory of the embedded index
 * @param hnswM         HNSW graph degree
 * @param hnswBeamWidth HNSW construction beam width
 * @param hnswEf        default candidate-list size at search time
 * @param ramBufferMb   indexing RAM buffer of the embedded index, in MiB
 */
public record IndexConfig(String backend, Path path, int hnswM, int hnswBeamWidth, int hnswEf, int ramBufferMb) {
}
