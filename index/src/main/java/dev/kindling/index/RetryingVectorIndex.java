package dev.kindling.index;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.IndexUnavailableException;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/**
 * A {@link VectorIndex} whose writes survive a short outage of a remote backend: an upsert, delete or collection
 * change that fails with {@link IndexUnavailableException} is tried again after a bounded exponential back-off
 * (upserts and deletes are idempotent, so a write that did reach the server before the failure is harmless to
 * repeat). When the back-off is used up the last failure is thrown, and the caller has not had the write
 * acknowledged: the encoding pipeline then does not record the vector in the store, and encodes it again next run.
 * Reads are not retried: a search during an outage fails at once, which is what a request handler wants (HTTP 503).
 *
 * <p>Writes that went to the index but not to the store, or the other way round, are repaired by a reconcile
 * ({@code ItemEncodingPipeline.rebuildIndex()}, {@code kindling index rebuild}), which re-upserts every vector the
 * store holds.
 */
public final class RetryingVectorIndex implements VectorIndex {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingVectorIndex.class);

    /**
     * How long writers keep trying.
     *
     * @param attempts     tries in all, at least 1
     * @param firstBackoff wait after the first failure; each later wait doubles, up to {@code maxBackoff}
     * @param maxBackoff   longest single wait
     */
    public record Backoff(int attempts, Duration firstBackoff, Duration maxBackoff) {
        /** 10 tries over about 40 s: 0.25, 0.5, 1, 2, 4, 8, 8, 8, 8 s between them. */
        public static final Backoff DEFAULT = new Backoff(10, Duration.ofMillis(250), Duration.ofSeconds(8));

        public Backoff {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
            }
            if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
                throw new IllegalArgumentException("need 0 <= firstBackoff <= maxBackoff, were " + firstBackoff
                        + " and " + maxBackoff);
            }
        }

        /** The wait after the given failed attempt (1-based). */
        Duration after(int attempt) {
            long millis = firstBackoff.toMillis();
            for (int i = 1; i < attempt && millis < maxBackoff.toMillis(); i++) {
                millis *= 2;
            }
            return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
        }
    }

    private final VectorIndex delegate;
    private final Backoff backoff;

    public RetryingVectorIndex(VectorIndex delegate, Backoff backoff) {
        this.delegate = delegate;
        this.backoff = backoff;
    }

    /** The wrapped index. */
    public VectorIndex delegate() {
        return delegate;
    }

    @Override
    public void createCollection(CollectionSpec spec) {
        retrying("create collection " + spec.name(), () -> {
            delegate.createCollection(spec);
            return null;
        });
    }

    @Override
    public boolean hasCollection(String name) {
        return delegate.hasCollection(name);
    }

    @Override
    public CollectionSpec collection(String name) {
        return delegate.collection(name);
    }

    @Override
    public List<CollectionSpec> collections() {
        return delegate.collections();
    }

    @Override
    public void dropCollection(String name) {
        retrying("drop collection " + name, () -> {
            delegate.dropCollection(name);
            return null;
        });
    }

    @Override
    public void upsert(String collection, List<VectorRecord> records) {
        retrying("upsert " + records.size() + " records into " + collection, () -> {
            delegate.upsert(collection, records);
            return null;
        });
    }

    @Override
    public void delete(String collection, Collection<String> ids) {
        retrying("delete " + ids.size() + " records from " + collection, () -> {
            delegate.delete(collection, ids);
            return null;
        });
    }

    @Override
    public List<SearchHit> search(String collection, SearchRequest request) {
        return delegate.search(collection, request);
    }

    @Override
    public Optional<VectorRecord> get(String collection, String id) {
        return delegate.get(collection, id);
    }

    @Override
    public long count(String collection) {
        return delegate.count(collection);
    }

    @Override
    public void flush() {
        retrying("flush", () -> {
            delegate.flush();
            return null;
        });
    }

    @Override
    public void close() {
        delegate.close();
    }

    private <T> T retrying(String what, Supplier<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (IndexUnavailableException e) {
                if (attempt >= backoff.attempts()) {
                    LOG.error("{} failed {} times; giving up: {}", what, attempt, e.getMessage());
                    throw e;
                }
                Duration wait = backoff.after(attempt);
                LOG.warn("{} failed (attempt {} of {}), trying again in {} ms: {}", what, attempt, backoff.attempts(),
                        wait.toMillis(), e.getMessage());
                sleep(wait, e);
            }
        }
    }

    private static void sleep(Duration wait, IndexUnavailableException cause) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            cause.addSuppressed(interrupted);
            throw cause;
        }
    }
}
