package dev.kindling.meta;

import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/**
 * The one index collection of users, {@value #NAME}: a user's embedding h (cosine) and, for the users PAML learned an
 * inner rate for, that rate alpha. The server keeps every stored user's h under the served model there (similar
 * users); PAML's memory writes the users it sees in training with their rates and searches only those
 * ({@link #rated()}). A record always carries {@value #RATE}: the rate as a decimal string, or {@value #NO_RATE}.
 */
public final class UserCollection {
    private static final Logger LOG = LoggerFactory.getLogger(UserCollection.class);
    /** The collection's name. */
    public static final String NAME = "users";
    /** The attribute holding PAML's rate alpha (attributes are strings or integers, so a decimal string). */
    public static final String RATE = "alpha";
    /** The rate of a user PAML has not learned one for. */
    public static final String NO_RATE = "";
    /** The collection of user embeddings before there was one collection of users; dropped when found. */
    private static final String FORMER_EMBEDDINGS = "user_embeddings";

    private UserCollection() {
    }

    public static CollectionSpec spec(int dimension) {
        return new CollectionSpec(NAME, dimension, Metric.COSINE, Map.of(RATE, AttributeType.STRING));
    }

    /**
     * Creates the collection for embeddings of this size, keeping what it holds when it exists with that size (so that
     * searches keep answering while it is rewritten) and starting it empty otherwise.
     */
    public static synchronized void ensure(VectorIndex index, int dimension) {
        if (index.hasCollection(FORMER_EMBEDDINGS)) {
            LOG.info("dropping the former collection {}: user embeddings now live in {}", FORMER_EMBEDDINGS, NAME);
            index.dropCollection(FORMER_EMBEDDINGS);
        }
        CollectionSpec spec = spec(dimension);
        if (index.hasCollection(NAME) && !index.collection(NAME).equals(spec)) {
            index.dropCollection(NAME);
        }
        index.createCollection(spec);
    }

    /** The users that have a rate. */
    public static Filter rated() {
        return Filter.not(Filter.eq(RATE, NO_RATE));
    }

    /** A user's record: embedding h and rate (empty: none). */
    public static VectorRecord record(String userId, float[] h, Optional<Double> rate) {
        return new VectorRecord(userId, h, Map.of(RATE, rate.map(r -> Double.toString(r)).orElse(NO_RATE)));
    }

    /** A user's record with a new embedding h and the rate the index holds for the user (if any) kept. */
    public static VectorRecord reembedded(VectorIndex index, String userId, float[] h) {
        return record(userId, h, rate(index, userId));
    }

    /** The rate a record carries, if any. */
    public static Optional<Double> rate(VectorRecord record) {
        Object value = record.attributes().get(RATE);
        return value instanceof String text && !text.isEmpty() ? Optional.of(Double.parseDouble(text))
                : Optional.empty();
    }

    /** The rate the index holds for a user, if any. */
    public static Optional<Double> rate(VectorIndex index, String userId) {
        return index.get(NAME, userId).flatMap(UserCollection::rate);
    }
}
