package dev.kindling.core.index;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A set of named vector collections with filtered top-K search. Implementations: the embedded Lucene HNSW index
 * (default) and Milvus. All of them pass the same contract suite ({@code AbstractVectorIndexContractTest}).
 *
 * <p>Writes are visible to searches that start after the write returned. {@link #flush()} makes them durable;
 * {@link #close()} flushes. Methods naming a missing collection throw {@link UnknownCollectionException}.
 */
public interface VectorIndex extends AutoCloseable {

    /**
     * Creates a collection. Creating one that exists with the same spec does nothing; with another spec it is refused
     * with {@link IllegalStateException}.
     */
    void createCollection(CollectionSpec spec);

    boolean hasCollection(String name);

    /** The spec of a collection. */
    CollectionSpec collection(String name);

    /** Every collection, by name. */
    List<CollectionSpec> collections();

    /** Drops a collection and its data; dropping a missing one does nothing. */
    void dropCollection(String name);

    /** Inserts or replaces records by id. Vectors must have the collection's dimension and finite values. */
    void upsert(String collection, List<VectorRecord> records);

    /** Deletes records by id; unknown ids are ignored. */
    void delete(String collection, Collection<String> ids);

    /** The k nearest records that match the filter, best first. */
    List<SearchHit> search(String collection, SearchRequest request);

    /** One record by id. */
    Optional<VectorRecord> get(String collection, String id);

    /** Number of live records. */
    long count(String collection);

    /** Makes every write so far durable. */
    void flush();

    /** Flushes and releases resources; safe to call twice. */
    @Override
    void close();
}
