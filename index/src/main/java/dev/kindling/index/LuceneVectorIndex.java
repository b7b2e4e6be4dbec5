package dev.kindling.index;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.IndexInUseException;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.UnknownCollectionException;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.apache.lucene.store.LockObtainFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded, persistent {@link VectorIndex}: Apache Lucene 9.12 HNSW, one Lucene index per collection under
 * {@code directory/<name>/lucene} with the collection's spec in {@code directory/<name>/collection.json}. Opening a
 * directory reopens every collection found there.
 *
 * <p>Thread-safe. Searches, reads and writes run concurrently under a shared lock; creating, dropping, and closing
 * take it exclusively, so a collection is never closed under a running call. After {@link #close()} every method but
 * {@code close} throws {@link IllegalStateException}.
 */
public final class LuceneVectorIndex implements VectorIndex {
    private static final Logger LOG = LoggerFactory.getLogger(LuceneVectorIndex.class);

    private final Path directory;
    private final LuceneIndexSettings settings;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    /** Guarded by {@link #lock}: read under the read lock, changed under the write lock. */
    private final Map<String, LuceneCollection> collections = new HashMap<>();
    private volatile boolean closed;

    /**
     * Opens (creating if needed) the index in {@code directory} and every collection in it.
     *
     * @throws IllegalStateException when a collection's metadata has an unknown format version or is malformed, or a
     *                               collection has more dimensions than {@link LuceneIndexSettings#maxDimensions()}
     */
    public LuceneVectorIndex(Path directory, LuceneIndexSettings settings) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.settings = Objects.requireNonNull(settings, "settings");
        SimdVectorScorer.forBuilding(); // chosen (and Lucene's own vectorisation notice silenced) before Lucene starts
        try {
            Files.createDirectories(directory);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, Files::isDirectory)) {
                for (Path entry : entries) {
                    openExisting(entry);
                }
            }
        } catch (IOException | RuntimeException e) {
            closeAll();
            if ((e instanceof UncheckedIOException u ? u.getCause() : e) instanceof LockObtainFailedException locked) {
                throw new IndexInUseException("the vector index in " + directory + " is open in another Kindling "
                        + "process (a running server?), and the embedded index allows one at a time: ask that server "
                        + "(GET /v1/items/{id}/similar) or stop it first", locked);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot open vector index in " + directory, io);
            }
            throw (RuntimeException) e;
        }
        LOG.info("opened Lucene vector index {} with {} collection(s); graphs built with {} vector code", directory,
                collections.size(), SimdVectorScorer.simdInUse() ? "SIMD" : "scalar");
    }

    private void openExisting(Path entry) {
        if (!CollectionMetadata.existsIn(entry)) {
            LOG.warn("ignoring {}: no {} (not a collection, or its creation did not finish)", entry,
                    CollectionMetadata.FILE_NAME);
            return;
        }
        CollectionSpec spec = CollectionMetadata.read(entry);
        if (!spec.name().equals(entry.getFileName().toString())) {
            throw new IllegalStateException("collection metadata in " + entry + " names collection " + spec.name());
        }
        if (spec.dimension() > settings.maxDimensions()) {
            throw new IllegalStateException("collection " + spec.name() + " has dimension " + spec.dimension()
                    + ", above the configured maxDimensions " + settings.maxDimensions());
        }
        collections.put(spec.name(), LuceneCollection.open(entry, spec, settings));
        LOG.debug("opened collection {}", spec);
    }

    /** The directory holding the collections. */
    public Path directory() {
        return directory;
    }

    public LuceneIndexSettings settings() {
        return settings;
    }

    @Override
    public void createCollection(CollectionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.dimension() > settings.maxDimensions()) {
            throw new IllegalArgumentException("collection " + spec.name() + ": dimension " + spec.dimension()
                    + " is above the configured maxDimensions " + settings.maxDimensions());
        }
        lock.writeLock().lock();
        try {
            requireOpen();
            LuceneCollection existing = collections.get(spec.name());
            if (existing != null) {
                if (!existing.spec().equals(spec)) {
                    throw new IllegalStateException("collection " + spec.name() + " exists with another spec: "
                            + existing.spec() + ", asked for " + spec);
                }
                return;
            }
            Path root = directory.resolve(spec.name());
            if (Files.exists(root)) {
                LOG.warn("removing {}, left over from an unfinished collection creation", root);
                deleteRecursively(root);
            }
            collections.put(spec.name(), LuceneCollection.create(root, spec, settings));
            LOG.info("created collection {}", spec);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean hasCollection(String name) {
        lock.readLock().lock();
        try {
            requireOpen();
            return name != null && collections.containsKey(name);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public CollectionSpec collection(String name) {
        return withCollection(name, LuceneCollection::spec);
    }

    @Override
    public List<CollectionSpec> collections() {
        lock.readLock().lock();
        try {
            requireOpen();
            return collections.values().stream().map(LuceneCollection::spec)
                    .sorted(Comparator.comparing(CollectionSpec::name)).toList();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void dropCollection(String name) {
        lock.writeLock().lock();
        try {
            requireOpen();
            LuceneCollection collection = name == null ? null : collections.remove(name);
            if (collection == null) {
                return;
            }
            try {
                collection.drop();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot drop collection " + name, e);
            }
            LOG.info("dropped collection {}", name);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void upsert(String collection, List<VectorRecord> records) {
        Objects.requireNonNull(records, "records");
        withCollection(collection, c -> {
            c.upsert(records);
            return null;
        });
    }

    @Override
    public void delete(String collection, Collection<String> ids) {
        Objects.requireNonNull(ids, "ids");
        withCollection(collection, c -> {
            c.delete(ids);
            return null;
        });
    }

    @Override
    public List<SearchHit> search(String collection, SearchRequest request) {
        Objects.requireNonNull(request, "request");
        return withCollection(collection, c -> c.search(request));
    }

    @Override
    public Optional<VectorRecord> get(String collection, String id) {
        return withCollection(collection, c -> id == null ? Optional.empty() : c.get(id));
    }

    @Override
    public long count(String collection) {
        return withCollection(collection, LuceneCollection::count);
    }

    /**
     * Merges a collection's segments down to at most {@code maxSegments}. Lucene-specific: a search visits every
     * segment, so a bulk-loaded collection searches faster merged. Costly on a large collection.
     */
    public void forceMerge(String collection, int maxSegments) {
        if (maxSegments < 1) {
            throw new IllegalArgumentException("forceMerge: maxSegments must be at least 1, was " + maxSegments);
        }
        withCollection(collection, c -> {
            c.forceMerge(maxSegments);
            return null;
        });
    }

    /** Number of Lucene segments a search of the collection visits now (Lucene-specific diagnostics). */
    public int segmentCount(String collection) {
        return withCollection(collection, LuceneCollection::segmentCount);
    }

    @Override
    public void flush() {
        lock.readLock().lock();
        try {
            requireOpen();
            for (LuceneCollection collection : collections.values()) {
                collection.commit();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeAll();
            LOG.info("closed Lucene vector index {}", directory);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Closes (committing) every open collection; reports the first failure after trying them all. */
    private void closeAll() {
        List<Exception> failures = new ArrayList<>();
        for (LuceneCollection collection : collections.values()) {
            try {
                collection.close();
            } catch (IOException | RuntimeException e) {
                LOG.error("closing collection {} failed", collection.spec().name(), e);
                failures.add(e);
            }
        }
        collections.clear();
        if (!failures.isEmpty()) {
            UncheckedIOException failure = new UncheckedIOException("closing the vector index in " + directory
                    + " failed", failures.get(0) instanceof IOException io ? io : new IOException(failures.get(0)));
            failures.stream().skip(1).forEach(failure::addSuppressed);
            throw failure;
        }
    }

    private <T> T withCollection(String name, Function<LuceneCollection, T> operation) {
        lock.readLock().lock();
        try {
            requireOpen();
            LuceneCollection collection = name == null ? null : collections.get(name);
            if (collection == null) {
                throw new UnknownCollectionException(name);
            }
            return operation.apply(collection);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the vector index in " + directory + " is closed");
        }
    }

    private static void deleteRecursively(Path root) {
        try (var files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root, e);
        }
    }
}
