package dev.kindling.index.milvus;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.gson.JsonObject;

import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DescribeCollectionReq;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.collection.response.DescribeCollectionResp;
import io.milvus.v2.service.index.request.DescribeIndexReq;
import io.milvus.v2.service.index.response.DescribeIndexResp;
import io.milvus.v2.service.utility.request.FlushReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.request.data.FloatVec;
import io.milvus.v2.service.vector.response.QueryResp;
import io.milvus.v2.service.vector.response.SearchResp;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.IndexUnavailableException;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.UnknownCollectionException;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/**
 * The {@link VectorIndex} on a Milvus server (2.5 or later, or Milvus Lite 3), through the official Java SDK
 * ({@code MilvusClientV2}). Each collection is a Milvus collection laid out by {@link MilvusSchema}: VarChar primary
 * key, HNSW-indexed float vector, one nullable scalar field per attribute. Upserts and deletes go straight to Milvus;
 * searches, gets and counts carry the configured consistency level (Strong by default, which gives the contract's
 * read-your-writes across processes). Filters become escaped Milvus expressions ({@link MilvusFilterTranslator}).
 *
 * <p>Failures: a server that is down, unreachable or past its deadline makes every method throw
 * {@link IndexUnavailableException} quickly (see {@link MilvusConnection}); nothing retries here, and writers that
 * must not give up wrap the index in {@link dev.kindling.index.RetryingVectorIndex}. A missing collection is
 * {@link UnknownCollectionException}, as with every backend.
 *
 * <p>The index keeps no state beyond a cache of collection specs (refreshed when Milvus says a collection is gone), so
 * any number of Kindling processes may share one Milvus database. Acknowledged writes are durable in Milvus's
 * write-ahead log; {@link #flush()} seals segments so that bulk-loaded data gets indexed, and {@link #close()} closes
 * the connection.
 */
public final class MilvusVectorIndex implements VectorIndex {
    private static final Logger LOG = LoggerFactory.getLogger(MilvusVectorIndex.class);
    /** Upper bound on the vector bytes of one upsert request (gRPC messages are capped at 64 MiB by default). */
    private static final int MAX_REQUEST_VECTOR_BYTES = 8 << 20;
    /** Ids per delete or get expression. */
    private static final int IDS_PER_EXPRESSION = 512;
    private static final String COUNT = "count(*)";

    private final MilvusSettings settings;
    private final MilvusConnection connection;
    private final Map<String, CollectionSpec> specs = new ConcurrentHashMap<>();

    /** Connects on first use: constructing the index never fails for an unreachable server. */
    public MilvusVectorIndex(MilvusSettings settings) {
        this.settings = settings;
        this.connection = new MilvusConnection(settings);
        LOG.debug("Milvus vector index {}", settings);
    }

    public MilvusSettings settings() {
        return settings;
    }

    /** Whether the server accepts connections now (a cheap TCP check, for readiness probes). */
    public boolean reachable() {
        return connection.reachable();
    }

    // ---------------------------------------------------------------- collections

    @Override
    public void createCollection(CollectionSpec spec) {
        Optional<CollectionSpec> existing = describe(spec.name());
        if (existing.isPresent()) {
            requireSame(existing.get(), spec);
            return;
        }
        try {
            connection.write("create collection " + spec.name(), client -> {
                client.createCollection(CreateCollectionReq.builder()
                        .collectionName(spec.name())
                        .collectionSchema(MilvusSchema.schema(spec))
                        .indexParams(List.of(MilvusSchema.vectorIndex(spec, settings)))
                        .consistencyLevel(settings.consistency())
                        .build());
                load(client, spec.name());
                return null;
            });
        } catch (RuntimeException e) {
            if (e instanceof IndexUnavailableException) {
                throw e;
            }
            // another process may have created it in between: fine if it has the same spec
            Optional<CollectionSpec> now = describe(spec.name());
            if (now.isEmpty()) {
                throw new IllegalStateException("Milvus refused to create collection " + spec.name() + ": "
                        + MilvusFailures.describe(e), e);
            }
            requireSame(now.get(), spec);
        }
        specs.put(spec.name(), spec);
        LOG.info("created Milvus collection {}", spec);
    }

    private static void requireSame(CollectionSpec existing, CollectionSpec wanted) {
        if (!existing.equals(wanted)) {
            throw new IllegalStateException("collection " + wanted.name() + " exists as " + existing
                    + "; it cannot be created as " + wanted + " (drop it first)");
        }
    }

    @Override
    public boolean hasCollection(String name) {
        boolean exists = connection.read("look up collection " + name, client ->
                client.hasCollection(HasCollectionReq.builder().collectionName(name).build()));
        if (!exists) {
            specs.remove(name);
        }
        return exists;
    }

    @Override
    public CollectionSpec collection(String name) {
        return describe(name).orElseThrow(() -> new UnknownCollectionException(name));
    }

    @Override
    public List<CollectionSpec> collections() {
        List<String> names = connection.read("list collections",
                client -> client.listCollections().getCollectionNames());
        List<CollectionSpec> found = new ArrayList<>();
        for (String name : names.stream().sorted().toList()) {
            try {
                describe(name).ifPresent(found::add);
            } catch (NotKindlingCollection e) {
                LOG.debug("ignoring Milvus collection {}: {}", name, e.getMessage());
            }
        }
        return found;
    }

    @Override
    public void dropCollection(String name) {
        specs.remove(name);
        try {
            connection.write("drop collection " + name, client -> {
                if (client.hasCollection(HasCollectionReq.builder().collectionName(name).build())) {
                    client.dropCollection(DropCollectionReq.builder().collectionName(name).build());
                }
                return null;
            });
        } catch (RuntimeException e) {
            if (!MilvusFailures.isCollectionNotFound(e)) {
                throw e;
            }
        }
        specs.remove(name);
    }

    /** The spec of a collection as Milvus describes it now, or empty when there is no such collection. */
    private Optional<CollectionSpec> describe(String name) {
        Optional<CollectionSpec> spec = connection.read("describe collection " + name, client -> {
            // asked first because the SDK logs every refused describe as an ERROR
            if (!client.hasCollection(HasCollectionReq.builder().collectionName(name).build())) {
                return Optional.<CollectionSpec>empty();
            }
            DescribeCollectionResp collection;
            DescribeIndexResp indexes;
            try {
                collection = client.describeCollection(DescribeCollectionReq.builder().collectionName(name).build());
                indexes = client.describeIndex(DescribeIndexReq.builder().collectionName(name)
                        .fieldName(MilvusSchema.VECTOR).build());
            } catch (RuntimeException e) {
                if (MilvusFailures.isCollectionNotFound(e)) {
                    return Optional.<CollectionSpec>empty();
                }
                if (MilvusFailures.isIndexNotFound(e)) {
                    throw new NotKindlingCollection(name);
                }
                throw e;
            }
            return Optional.of(MilvusSchema.spec(name, collection.getCollectionSchema(), indexes)
                    .orElseThrow(() -> new NotKindlingCollection(name)));
        });
        spec.ifPresentOrElse(s -> specs.put(name, s), () -> specs.remove(name));
        return spec;
    }

    /** The spec of a collection, from the cache when it is there. */
    private CollectionSpec spec(String name) {
        CollectionSpec cached = specs.get(name);
        return cached != null ? cached : collection(name);
    }

    // ---------------------------------------------------------------- records

    @Override
    public void upsert(String collection, List<VectorRecord> records) {
        CollectionSpec spec = spec(collection);
        MilvusRows rows = new MilvusRows(spec);
        Map<String, JsonObject> byId = new LinkedHashMap<>(); // the same id twice in one batch: the later one wins
        for (VectorRecord record : records) {
            byId.put(record.id(), rows.row(record));
        }
        List<JsonObject> all = new ArrayList<>(byId.values());
        int perRequest = Math.max(1, MAX_REQUEST_VECTOR_BYTES / (spec.dimension() * Float.BYTES + 256));
        for (int from = 0; from < all.size(); from += perRequest) {
            List<JsonObject> batch = all.subList(from, Math.min(all.size(), from + perRequest));
            onCollection(collection, true, "upsert " + batch.size() + " records into " + collection, client ->
                    client.upsert(UpsertReq.builder().collectionName(collection).data(batch).build()));
        }
    }

    @Override
    public void delete(String collection, Collection<String> ids) {
        spec(collection);
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(ids));
        for (int from = 0; from < unique.size(); from += IDS_PER_EXPRESSION) {
            String filter = idFilter(unique.subList(from, Math.min(unique.size(), from + IDS_PER_EXPRESSION)));
            onCollection(collection, true, "delete from " + collection, client ->
                    client.delete(DeleteReq.builder().collectionName(collection).filter(filter).build()));
        }
    }

    @Override
    public List<SearchHit> search(String collection, SearchRequest request) {
        CollectionSpec spec = spec(collection);
        MilvusRows rows = new MilvusRows(spec);
        spec.requireValidVector(request.vector(), "search in collection " + collection + ": query vector");
        String filter = new MilvusFilterTranslator(spec).translate(request.filter());
        int ef = Math.max(request.k(), request.ef() > 0 ? request.ef() : settings.ef());
        SearchReq.SearchReqBuilder search = SearchReq.builder()
                .collectionName(collection)
                .annsField(MilvusSchema.VECTOR)
                .data(List.of(new FloatVec(request.vector())))
                .limit(request.k())
                .outputFields(rows.outputFields(false))
                .searchParams(Map.of("ef", ef))
                .consistencyLevel(settings.consistency());
        if (!filter.isEmpty()) {
            search.filter(filter);
        }
        SearchResp response = onCollection(collection, false, "search " + collection,
                client -> client.search(search.build()));
        List<SearchHit> hits = new ArrayList<>(request.k());
        if (!response.getSearchResults().isEmpty()) {
            for (SearchResp.SearchResult result : response.getSearchResults().get(0)) {
                hits.add(rows.hit(result.getId(), result.getScore(), result.getEntity()));
            }
        }
        return hits;
    }

    @Override
    public Optional<VectorRecord> get(String collection, String id) {
        List<VectorRecord> found = getAll(collection, List.of(id));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /**
     * The records with the given ids that exist, in no particular order: one request per {@value IDS_PER_EXPRESSION}
     * ids instead of one per id (used to copy a collection out of Milvus).
     */
    public List<VectorRecord> getAll(String collection, Collection<String> ids) {
        MilvusRows rows = new MilvusRows(spec(collection));
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(ids));
        List<VectorRecord> records = new ArrayList<>(unique.size());
        for (int from = 0; from < unique.size(); from += IDS_PER_EXPRESSION) {
            List<String> chunk = unique.subList(from, Math.min(unique.size(), from + IDS_PER_EXPRESSION));
            QueryResp response = onCollection(collection, false, "get from " + collection, client ->
                    client.query(QueryReq.builder()
                            .collectionName(collection)
                            .filter(idFilter(chunk))
                            .outputFields(rows.outputFields(true))
                            .limit(chunk.size())
                            .consistencyLevel(settings.consistency())
                            .build()));
            for (QueryResp.QueryResult result : response.getQueryResults()) {
                records.add(rows.record(result.getEntity()));
            }
        }
        return records;
    }

    @Override
    public long count(String collection) {
        spec(collection);
        QueryResp response = onCollection(collection, false, "count " + collection, client ->
                client.query(QueryReq.builder()
                        .collectionName(collection)
                        .filter("")
                        .outputFields(List.of(COUNT))
                        .consistencyLevel(settings.consistency())
                        .build()));
        Object count = response.getQueryResults().isEmpty() ? 0L
                : response.getQueryResults().get(0).getEntity().get(COUNT);
        return ((Number) count).longValue();
    }

    /**
     * Asks Milvus to seal the segments of every Kindling collection, so that what was written since is indexed (HNSW)
     * rather than searched brute force; call it after a bulk load. Durability does not depend on it: Milvus
     * acknowledges a write once it is in its write-ahead log. A flush refused by the server's rate limit is skipped,
     * since Milvus also seals segments on its own.
     */
    @Override
    public void flush() {
        List<String> names = collections().stream().map(CollectionSpec::name).toList();
        if (names.isEmpty()) {
            return;
        }
        try {
            connection.write("flush", client -> {
                client.flush(FlushReq.builder().collectionNames(names).build());
                return null;
            });
        } catch (IndexUnavailableException e) {
            if (!MilvusFailures.isRateLimited(e.getCause())) {
                throw e;
            }
            LOG.debug("Milvus rate-limited the flush of {}; it seals segments on its own", names);
        }
    }

    @Override
    public void close() {
        connection.close();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Runs a call that names a collection: a "collection not found" answer becomes {@link UnknownCollectionException}
     * (and drops the cached spec); a refusal because the collection is not loaded (after a server restart) loads it
     * and runs the call once more. The load state is asked rather than read from the error, since the SDK cannot
     * always decode the error code (Milvus Lite's "not loaded" answer makes it fail with "unknown enum value").
     */
    private <T> T onCollection(String collection, boolean write, String what, Function<MilvusClientV2, T> call) {
        Function<MilvusClientV2, T> loadingOnce = client -> {
            try {
                return call.apply(client);
            } catch (RuntimeException e) {
                if (MilvusFailures.isUnavailable(e) || MilvusFailures.isCollectionNotFound(e) || isLoaded(client,
                        collection)) {
                    throw e;
                }
                LOG.info("Milvus collection {} was not loaded; loading it", collection);
                load(client, collection);
                return call.apply(client);
            }
        };
        try {
            return write ? connection.write(what, loadingOnce) : connection.read(what, loadingOnce);
        } catch (RuntimeException e) {
            if (MilvusFailures.isCollectionNotFound(e)) {
                specs.remove(collection);
                throw new UnknownCollectionException(collection);
            }
            throw e;
        }
    }

    private static boolean isLoaded(MilvusClientV2 client, String collection) {
        try {
            return client.getLoadState(GetLoadStateReq.builder().collectionName(collection).build());
        } catch (RuntimeException e) {
            return true; // cannot tell: report the original failure
        }
    }

    private void load(MilvusClientV2 client, String collection) {
        client.loadCollection(LoadCollectionReq.builder().collectionName(collection).sync(true)
                .timeout(settings.writeTimeout().toMillis()).build());
    }

    /** {@code _id in [...]} with every id escaped; the SDK's own id lists are not escaped. */
    private static String idFilter(List<String> ids) {
        List<String> literals = new ArrayList<>(ids.size());
        for (String id : ids) {
            literals.add(MilvusFilterTranslator.quoted(id));
        }
        return MilvusSchema.ID + " in [" + String.join(", ", literals) + "]";
    }

    /** A collection whose layout is not Kindling's (another application's, in the same database). */
    private static final class NotKindlingCollection extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NotKindlingCollection(String name) {
            super("Milvus collection " + name + " does not have Kindling's layout (_id, _vector, scalar attributes)");
        }
    }
}
