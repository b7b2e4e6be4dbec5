package dev.kindling.meta.paml;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/**
 * PAML's memory of users (the kd-tree of AT-PAML) kept in the vector index: a {@code users} collection holding each
 * seen user's embedding h and learning rate alpha (as a decimal string attribute: attributes are strings or integers),
 * updated as users are seen, the least recently used evicted beyond a configured size. Nearest users are found by
 * cosine in the index; the Gaussian kernel is then computed on the exact distances.
 */
public final class UserRateMemory {
    public static final String COLLECTION = "users";
    /** Users kept before the least recently used are evicted, unless configured otherwise (meta.paml.users). */
    public static final int DEFAULT_CAPACITY = 100_000;
    private static final String RATE = "alpha";

    private final VectorIndex index;
    private final int capacity;
    private final Map<String, Boolean> recency = new LinkedHashMap<>(16, 0.75f, true);

    public UserRateMemory(VectorIndex index, int dimension, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.index = index;
        this.capacity = capacity;
        CollectionSpec spec = new CollectionSpec(COLLECTION, dimension, Metric.COSINE, Map.of(RATE, AttributeType.STRING));
        if (index.hasCollection(COLLECTION) && !index.collection(COLLECTION).equals(spec)) {
            index.dropCollection(COLLECTION);
        }
        index.createCollection(spec);
    }

    /** The K nearest remembered users (excluding the given one), marking them as used. */
    public synchronized List<PamlLearningRate.Neighbour> nearest(String userId, float[] h, int k) {
        List<PamlLearningRate.Neighbour> out = new ArrayList<>();
        if (isZero(h)) {
            return out;
        }
        for (SearchHit hit : index.search(COLLECTION, SearchRequest.of(h, k + 1))) {
            if (hit.id().equals(userId) || out.size() == k) {
                continue;
            }
            index.get(COLLECTION, hit.id()).ifPresent(r -> out.add(new PamlLearningRate.Neighbour(hit.id(), r.vector(),
                    Double.parseDouble((String) r.attributes().get(RATE)))));
            recency.get(hit.id());
        }
        return out;
    }

    /** Stores (or replaces) a user's embedding and rate; evicts the least recently used beyond capacity. */
    public synchronized void remember(String userId, float[] h, double rate) {
        if (isZero(h)) {
            return;
        }
        index.upsert(COLLECTION, List.of(new VectorRecord(userId, h, Map.of(RATE, Double.toString(rate)))));
        recency.put(userId, Boolean.TRUE);
        if (recency.size() > capacity) {
            Collection<String> evict = new ArrayList<>();
            var it = recency.keySet().iterator();
            while (recency.size() - evict.size() > capacity && it.hasNext()) {
                evict.add(it.next());
            }
            evict.forEach(recency::remove);
            index.delete(COLLECTION, evict);
        }
    }

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
