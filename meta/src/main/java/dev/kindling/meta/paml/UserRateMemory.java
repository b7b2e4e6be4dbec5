package dev.kindling.meta.paml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.meta.UserCollection;

/**
 * PAML's memory of users (the kd-tree of AT-PAML) kept in the vector index's one collection of users
 * ({@link UserCollection}): each seen user's embedding h with its learning rate alpha, updated as users are seen; beyond
 * a configured number of users the least recently used lose their rate (their h stays: the server's similar-user
 * search uses it). Nearest users are found by cosine in the index among the users that have a rate; the Gaussian
 * kernel is then computed on the exact distances.
 */
public final class UserRateMemory {
    /** Users with a rate kept before the least recently used lose it, unless configured otherwise (meta.paml.users). */
    public static final int DEFAULT_CAPACITY = 100_000;

    private final VectorIndex index;
    private final int capacity;
    private final String collection;
    private final Map<String, Boolean> recency = new LinkedHashMap<>(16, 0.75f, true);

    public UserRateMemory(VectorIndex index, int dimension, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.index = index;
        this.capacity = capacity;
        this.collection = UserCollection.name(dimension);
        UserCollection.ensure(index, dimension);
    }

    /** The K nearest remembered users (excluding the given one), marking them as used. */
    public synchronized List<PamlLearningRate.Neighbour> nearest(String userId, float[] h, int k) {
        List<PamlLearningRate.Neighbour> out = new ArrayList<>();
        if (isZero(h)) {
            return out;
        }
        SearchRequest request = SearchRequest.of(h, k + 1).withFilter(UserCollection.rated());
        for (SearchHit hit : index.search(collection, request)) {
            if (hit.id().equals(userId) || out.size() == k) {
                continue;
            }
            index.get(collection, hit.id()).ifPresent(r -> UserCollection.rate(r).ifPresent(rate ->
                    out.add(new PamlLearningRate.Neighbour(hit.id(), r.vector(), rate))));
            recency.get(hit.id());
        }
        return out;
    }

    /** Stores (or replaces) a user's embedding and rate; the least recently used beyond capacity lose their rate. */
    public synchronized void remember(String userId, float[] h, double rate) {
        if (isZero(h)) {
            return;
        }
        index.upsert(collection, List.of(UserCollection.record(userId, h, Optional.of(rate))));
        recency.put(userId, Boolean.TRUE);
        if (recency.size() > capacity) {
            List<VectorRecord> forgotten = new ArrayList<>();
            var it = recency.keySet().iterator();
            while (recency.size() > capacity && it.hasNext()) {
                String evicted = it.next();
                it.remove();
                index.get(collection, evicted).ifPresent(r ->
                        forgotten.add(UserCollection.record(evicted, r.vector(), Optional.empty())));
            }
            index.upsert(collection, forgotten);
        }
    }

    /** Users that have a rate in this memory. */
    public synchronized int size() {
        return recency.size();
    }

    private static boolean isZero(float[] h) {
        for (float v : h) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }
}
