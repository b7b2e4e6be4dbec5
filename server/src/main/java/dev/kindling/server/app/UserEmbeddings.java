package dev.kindling.server.app;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.User;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.Store;
import dev.kindling.meta.UserCollection;
import dev.kindling.meta.serving.ServingModel;

/**
 * Every stored user's embedding h under the serving model (the main learner's reading of the user's sequence), kept in
 * the index's collection of users for the model's embedding size ({@link UserCollection}) for similar-user search: all
 * of them when a model is loaded, a user's again when their interactions change. A rate PAML learned for a user stays
 * with the user's record. A model with another embedding size gets its collection filled beside the one in use; the
 * lifecycle drops the old one after the swap ({@link #retireAllBut}).
 */
public final class UserEmbeddings {
    private static final Logger LOG = LoggerFactory.getLogger(UserEmbeddings.class);

    private final Store store;
    private final VectorIndex index;

    public UserEmbeddings(Store store, VectorIndex index) {
        this.store = store;
        this.index = index;
    }

    /**
     * Puts every stored user's embedding under this model into the index. The collection is rewritten in place, so that
     * similar-user requests keep finding users while it is refilled; a model with another embedding size fills a
     * collection of its own, beside the one requests read until the swap.
     */
    void indexAll(ServingModel m) {
        if (!m.hasUserEmbeddings()) {
            LOG.info("model {} serves {} without learners: no user embeddings to index", m.version(), m.method().label());
            return;
        }
        long start = System.nanoTime();
        UserCollection.ensure(index, m.userDimension());
        String cursor = null;
        long n = 0;
        do {
            var page = store.users(cursor, 1000);
            List<VectorRecord> records = embed(m, page.rows().stream().map(User::id).toList());
            if (!records.isEmpty()) {
                index.upsert(UserCollection.name(m.userDimension()), records);
                n += records.size();
            }
            cursor = page.next();
        } while (cursor != null);
        index.flush();
        LOG.info("{} user embeddings indexed in {} s", n, String.format("%.1f", (System.nanoTime() - start) / 1e9));
    }

    /** Re-embeds users whose interactions changed under this model (null: no model yet, nothing to do). */
    public void refresh(ServingModel m, Collection<String> userIds) {
        if (m == null || !m.hasUserEmbeddings()) {
            return;
        }
        List<VectorRecord> records = embed(m, userIds);
        if (!records.isEmpty()) {
            index.upsert(UserCollection.name(m.userDimension()), records);
        }
    }

    /** Drops the users collections of other embedding sizes than this model's (after it was swapped in). */
    void retireAllBut(ServingModel m) {
        if (m.hasUserEmbeddings()) {
            UserCollection.retireAllBut(index, m.userDimension());
        }
    }

    /** The users' records under this model (users with no known item left out), each keeping its PAML rate. */
    private List<VectorRecord> embed(ServingModel m, Collection<String> userIds) {
        List<VectorRecord> records = new ArrayList<>();
        for (String id : userIds) {
            float[] h = m.userEmbedding(history(id));
            if (h != null) {
                records.add(UserCollection.reembedded(index, id, h));
            }
        }
        return records;
    }

    /** A user's embedding h under this model, empty when none of the user's items is known to the model. */
    public Optional<float[]> of(ServingModel m, String userId) {
        return index.get(UserCollection.name(m.userDimension()), userId).map(VectorRecord::vector);
    }

    /** The k users nearest to h by cosine (among users embedded at h's size), the given user left out. */
    public List<SearchHit> nearest(float[] h, int k, String except) {
        List<SearchHit> out = new ArrayList<>(k);
        for (SearchHit hit : index.search(UserCollection.name(h.length), SearchRequest.of(h, k + 1))) {
            if (!hit.id().equals(except) && out.size() < k) {
                out.add(hit);
            }
        }
        return out;
    }

    /** A stored user's items, oldest first. */
    List<String> history(String userId) {
        return store.sequence(userId).stream().map(Interaction::itemId).toList();
    }
}
