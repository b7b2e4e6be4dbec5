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
 * The index collection of users for embeddings of one size, {@code users_<dimension>} ({@link #name}): a user's
 * embedding h (cosine) and, for the users PAML learned an inner rate for, that rate alpha. The server keeps every stored
 * user's h under the served model there (similar users); PAML's memory writes the users it sees in training with their
 * rates and searches only those ({@link #rated()}). A record always carries {@value #RATE}: the rate as a decimal
 * string, or {@value #NO_RATE}.
 *
 * <p>The size is in the name so that a model with another embedding size gets its collection built beside the one
 * requests read while it is being filled; the server drops the other sizes' collections after the swap
 * ({@link #retireAllBut}).
 */
public final class UserCollection {
    private static final Logger LOG = LoggerFactory.getLogger(UserCollection.class);
    /** The start of every users collection's name. */
    private static final String PREFIX = "users_";
    /** The one collection of users before the size was in its name; dropped when found. */
    private static final String UNSIZED = "users";
    /** The attribute holding PAML's rate alpha (attributes are strings or integers, so a decimal string). */
    public static final String RATE = "alpha";
    /** The rate of a user PAML has not learned one for. */
    public static final String NO_RATE = "";
    /** The collection of user embeddings before there was one collection of users; dropped when found. */
    private static final String FORMER_EMBEDDINGS = "user_embeddings";

    private UserCollection() {
    }

    /** The collection of users whose embeddings have this size. */
    public static String name(int dimension) {
        return PREFIX + dimension;
    }

    public static CollectionSpec spec(int dimension) {
        return new CollectionSpec(name(dimension), dimension, Metric.COSINE, Map.of(RATE, AttributeType.STRING));
    }

    /**
     * Creates the collection for embeddings of this size, keeping what it holds when it exists (so that searches keep
     * answering while it is rewritten). Collections of other sizes are left alone: requests may still read them.
     */
    public static synchronized void ensure(VectorIndex index, int dimension) {
        for (String former : new String[] {FORMER_EMBEDDINGS, UNSIZED}) {
            if (index.hasCollection(former)) {
                LOG.info("dropping the former collection {}: user embeddings now live in {}", former, name(dimension));
                index.dropCollection(former);
            }
        }
        CollectionSpec spec = spec(dimension);
        if (index.hasCollection(spec.name()) && !index.collection(spec.name()).equals(spec)) {
            index.dropCollection(spec.name());
        }
        index.createCollection(spec);
    }

    /** Drops the users collections of every other embedding size (once no request reads them any more). */
    public static synchronized void retireAllBut(VectorIndex index, int dimension) {
        for (CollectionSpec c : index.collections()) {
            if (c.name().startsWith(PREFIX) && !c.name().equals(name(dimension))) {
                LOG.info("dropping {}: the served model's users live in {}", c.name(), name(dimension));
                index.dropCollection(c.name());
            }
        }
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
        return record(userId, h, rate(index, h.length, userId));
    }

    /** The rate a record carries, if any. */
    public static Optional<Double> rate(VectorRecord record) {
        Object value = record.attributes().get(RATE);
        return value instanceof String text && !text.isEmpty() ? Optional.of(Double.parseDouble(text))
                : Optional.empty();
    }

    /** The rate the index holds for a user among users with embeddings of this size, if any. */
    public static Optional<Double> rate(VectorIndex index, int dimension, String userId) {
        return index.get(name(dimension), userId).flatMap(UserCollection::rate);
    }
}
