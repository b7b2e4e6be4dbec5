package dev.kindling.core.config;

import java.nio.file.Path;

/**
 * The vector index.
 *
 * @param backend       {@code lucene} (embedded default) or {@code milvus}
 * @param path          directory of the embedded index
 * @param hnswM         HNSW graph degree
 * @param hnswBeamWidth HNSW construction beam width
 * @param hnswEf        default candidate-list size at search time
 * @param ramBufferMb   indexing RAM buffer of the embedded index, in MiB
 * @param milvus        the Milvus server, used when the backend is {@code milvus} (and by {@code index migrate})
 */
public record IndexConfig(String backend, Path path, int hnswM, int hnswBeamWidth, int hnswEf, int ramBufferMb,
                          Milvus milvus) {

    /**
     * A Milvus server.
     *
     * @param uri            gRPC endpoint, {@code http://host:port} (or {@code https://})
     * @param token          {@code user:password} or an API key; empty when authentication is off
     * @param database       Milvus database holding Kindling's collections (created when missing)
     * @param consistency    consistency level of every search, get and count: Strong, Bounded, Session or Eventually
     * @param timeoutMs      deadline of a search, get or count, in milliseconds
     * @param writeTimeoutMs deadline of an upsert, delete or collection change, in milliseconds
     */
    public record Milvus(String uri, String token, String database, String consistency, int timeoutMs,
                         int writeTimeoutMs) {

        /** The token is a secret: it is never printed. */
        @Override
        public String toString() {
            return "Milvus[uri=" + uri + ", token=" + (token.isEmpty() ? "" : "***") + ", database=" + database
                    + ", consistency=" + consistency + ", timeoutMs=" + timeoutMs + ", writeTimeoutMs="
                    + writeTimeoutMs + "]";
        }
    }
}
