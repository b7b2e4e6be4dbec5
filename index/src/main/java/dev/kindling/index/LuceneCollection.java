package dev.kindling.index;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorRecord;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open collection: its Lucene directory ({@code <collection>/lucene}), the {@link IndexWriter} and a near-real-time
 * {@link SearcherManager} over it. Thread-safe: any number of threads may search and write at once.
 *
 * <p>Read-your-writes: every write bumps {@link #writeGeneration} after it reached the writer. A reader compares it
 * with the generation the current searcher is known to include and, when behind, refreshes under a lock
 * (double-checked), recording the generation it read <em>before</em> refreshing. A refresh therefore never claims a
 * write it may have missed, which a plain dirty flag cleared after the refresh could.
 */
final class LuceneCollection implements Closeable {
    static final String LUCENE_DIRECTORY = "lucene";

    private static final Logger LOG = LoggerFactory.getLogger(LuceneCollection.class);

    private final CollectionSpec spec;
    private final Path root;
    private final int defaultEf;
    private final RecordDocuments documents;
    private final FilterTranslator filters;
    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final AtomicLong writeGeneration = new AtomicLong();
    private final ReentrantLock refreshLock = new ReentrantLock();
    private volatile long searchableGeneration;

    private LuceneCollection(CollectionSpec spec, Path root, LuceneIndexSettings settings, boolean create)
            throws IOException {
        this.spec = spec;
        this.root = root;
        this.defaultEf = settings.ef();
        this.filters = new FilterTranslator(spec);
        IndexWriterConfig config = new IndexWriterConfig()
                .setCodec(new HnswCodec(settings))
                .setRAMBufferSizeMB(settings.ramBufferMb())
                .setOpenMode(create ? IndexWriterConfig.OpenMode.CREATE : IndexWriterConfig.OpenMode.APPEND);
        Directory dir = FSDirectory.open(root.resolve(LUCENE_DIRECTORY));
        IndexWriter w = null;
        try {
            w = new IndexWriter(dir, config);
            if (create) {
                w.commit();
            }
            this.searchers = new SearcherManager(w, true, false, null);
            this.documents = new RecordDocuments(spec, similarityInUse(searchers, spec));
        } catch (IOException | RuntimeException e) {
            if (w != null) {
                w.rollback();
            }
            dir.close();
            throw e;
        }
        this.directory = dir;
        this.writer = w;
    }

    /**
     * The vector field's similarity: what the existing segments have (collections written before COSINE moved to unit
     * vectors under DOT_PRODUCT keep COSINE), else the one for new collections.
     */
    private static VectorSimilarityFunction similarityInUse(SearcherManager searchers, CollectionSpec spec)
            throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                FieldInfo info = leaf.reader().getFieldInfos().fieldInfo(IndexFields.VECTOR);
                if (info != null && info.getVectorDimension() > 0) {
                    return info.getVectorSimilarityFunction();
                }
            }
            return LuceneMetrics.similarity(spec.metric());
        } finally {
            searchers.release(searcher);
        }
    }

    /** Creates the collection's Lucene index under {@code root} and then its metadata file. */
    static LuceneCollection create(Path root, CollectionSpec spec, LuceneIndexSettings settings) {
        try {
            Files.createDirectories(root);
            LuceneCollection collection = new LuceneCollection(spec, root, settings, true);
            try {
                CollectionMetadata.write(root, spec);
            } catch (RuntimeException e) {
                collection.drop();
                throw e;
            }
            return collection;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create collection " + spec.name() + " in " + root, e);
        }
    }

    /** Opens an existing collection whose metadata has been read already. */
    static LuceneCollection open(Path root, CollectionSpec spec, LuceneIndexSettings settings) {
        try {
            return new LuceneCollection(spec, root, settings, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open collection " + spec.name() + " in " + root, e);
        }
    }

    CollectionSpec spec() {
        return spec;
    }

    void upsert(List<VectorRecord> records) {
        List<Document> docs = new ArrayList<>(records.size());
        for (VectorRecord record : records) {
            docs.add(documents.toDocument(record));
        }
        try {
            for (int i = 0; i < docs.size(); i++) {
                writer.updateDocument(new Term(IndexFields.ID, records.get(i).id()), docs.get(i));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": upsert failed", e);
        } finally {
            writeGeneration.incrementAndGet();
        }
    }

    void delete(Collection<String> ids) {
        Term[] terms = ids.stream().map(id -> new Term(IndexFields.ID, id)).toArray(Term[]::new);
        if (terms.length == 0) {
            return;
        }
        try {
            writer.deleteDocuments(terms);
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": delete failed", e);
        } finally {
            writeGeneration.incrementAndGet();
        }
    }

    List<SearchHit> search(SearchRequest request) {
        spec.requireValidVector(request.vector(), "search in collection " + spec.name() + ": query vector");
        Query filter = filters.translate(request.filter());
        int ef = request.ef() == 0 ? defaultEf : request.ef();
        Query knn = new KnnFloatVectorQuery(IndexFields.VECTOR, documents.indexed(request.vector()),
                Math.max(request.k(), ef), filter);
        IndexSearcher searcher = acquireFresh();
        try {
            TopDocs top = searcher.search(knn, request.k());
            StoredFields stored = searcher.storedFields();
            List<SearchHit> hits = new ArrayList<>(top.scoreDocs.length);
            for (ScoreDoc scoreDoc : top.scoreDocs) {
                Document doc = stored.document(scoreDoc.doc);
                hits.add(new SearchHit(doc.get(IndexFields.ID),
                        LuceneMetrics.metricScore(spec.metric(), scoreDoc.score), documents.attributes(doc)));
            }
            return hits;
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": search failed", e);
        } finally {
            release(searcher);
        }
    }

    Optional<VectorRecord> get(String id) {
        IndexSearcher searcher = acquireFresh();
        try {
            Term term = new Term(IndexFields.ID, id);
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                LeafReader reader = leaf.reader();
                PostingsEnum postings = reader.postings(term, PostingsEnum.NONE);
                if (postings == null) {
                    continue;
                }
                Bits live = reader.getLiveDocs();
                for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
                    if (live == null || live.get(doc)) {
                        return Optional.of(read(reader, doc, id));
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": get " + id + " failed", e);
        } finally {
            release(searcher);
        }
    }

    long count() {
        IndexSearcher searcher = acquireFresh();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            release(searcher);
        }
    }

    /** Merges the collection's segments down to at most {@code maxSegments} (Lucene-specific tuning). */
    void forceMerge(int maxSegments) {
        try {
            writer.forceMerge(maxSegments);
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": force merge failed", e);
        } finally {
            writeGeneration.incrementAndGet();
        }
    }

    /** Number of segments a search visits now. */
    int segmentCount() {
        IndexSearcher searcher = acquireFresh();
        try {
            return searcher.getIndexReader().leaves().size();
        } finally {
            release(searcher);
        }
    }

    void commit() {
        try {
            writer.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": commit failed", e);
        }
    }

    /** Commits and releases the writer, the searchers and the directory. */
    @Override
    public void close() throws IOException {
        try {
            searchers.close();
            writer.commit();
        } finally {
            try {
                writer.close();
            } finally {
                directory.close();
            }
        }
        LOG.debug("closed collection {}", spec.name());
    }

    /** Discards the collection: closes it without committing and deletes its files. */
    void drop() throws IOException {
        try {
            searchers.close();
            writer.rollback();
        } finally {
            directory.close();
        }
        deleteRecursively(root);
    }

    private IndexSearcher acquireFresh() {
        long target = writeGeneration.get();
        if (searchableGeneration < target) {
            refreshLock.lock();
            try {
                if (searchableGeneration < target) {
                    long generation = writeGeneration.get();
                    searchers.maybeRefreshBlocking();
                    searchableGeneration = generation;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("collection " + spec.name() + ": refreshing the searcher failed", e);
            } finally {
                refreshLock.unlock();
            }
        }
        try {
            return searchers.acquire();
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": cannot acquire a searcher", e);
        }
    }

    private void release(IndexSearcher searcher) {
        try {
            searchers.release(searcher);
        } catch (IOException e) {
            throw new UncheckedIOException("collection " + spec.name() + ": cannot release a searcher", e);
        }
    }

    private VectorRecord read(LeafReader reader, int doc, String id) throws IOException {
        FloatVectorValues vectors = reader.getFloatVectorValues(IndexFields.VECTOR);
        if (vectors == null || vectors.advance(doc) != doc) {
            throw new IllegalStateException("collection " + spec.name() + ": record " + id + " has no vector");
        }
        Document stored = reader.storedFields().document(doc);
        float[] vector = documents.original(vectors.vectorValue().clone(), stored);
        return new VectorRecord(id, vector, documents.attributes(stored));
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
