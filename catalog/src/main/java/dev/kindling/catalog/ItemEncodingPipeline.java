package dev.kindling.catalog;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.Deletion;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.Store;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;

/**
 * Items -> text and image vectors -> the store (so the index can be rebuilt without re-encoding) and the index
 * collections {@code items_text} and {@code items_image}, every modality through one loop ({@link ModalityEncoder}).
 * Only items whose encoder input changed (text, picture bytes) or whose encoder changed are encoded again. The index is written before the store, so a crash between the two means
 * the item is encoded again next time, never that the index misses a vector the store claims. A page's texts and
 * pictures are encoded at the same time, and its writes run on a background thread ({@link OrderedWriter}) while the
 * next page is encoded.
 */
public final class ItemEncodingPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(ItemEncodingPipeline.class);
    /** Items per page: texts are length-sorted within a page, so larger pages pad less (256: 21 % more tokens). */
    private static final int PAGE = 1024;
    /** Encoded pages that may wait for their writes. */
    private static final int QUEUED_PAGES = 2;

    private final Store store;
    private final VectorIndex index;
    private final TextEncoder text;
    private final ImageEncoder image;
    private final ItemText itemText;
    private final ImagePolicy imagePolicy;
    /** The last deletion-log sequence number applied to the index (0: none yet). */
    private long deletionsSeen;
    private int pageSize = PAGE;

    /** What a run did. */
    public record Report(long items, long textEncoded, long textUnchanged, long noText, long imagesEncoded,
                         long imagesUnchanged, long imageErrors, long noImage, long deletionsApplied, double seconds) {
        public double itemsPerSecond() {
            return seconds > 0 ? items / seconds : 0;
        }

        static Report of(long items, Map<Modality, ModalityCounts> counts, long deletions, long startNanos) {
            ModalityCounts t = counts.getOrDefault(Modality.TEXT, new ModalityCounts());
            ModalityCounts i = counts.getOrDefault(Modality.IMAGE, new ModalityCounts());
            return new Report(items, t.encoded, t.unchanged, t.missing, i.encoded, i.unchanged, i.failed, i.missing,
                    deletions, (System.nanoTime() - startNanos) / 1e9);
        }
    }

    /** What a run did to one modality's vectors (each modality's counts are only touched by the thread encoding it). */
    static final class ModalityCounts {
        long encoded;
        long unchanged;
        /** Items with nothing for this modality (no text, no picture). */
        long missing;
        /** Items whose input could not be read or encoded (recorded in the store). */
        long failed;
    }

    /** Hears about a run: totals for a progress bar, and each item whose input could not be encoded. */
    public interface Listener {
        default void started(long totalItems) {
        }

        default void progressed(long itemsDone) {
        }

        /** An item's input (a picture) could not be read or encoded; the error is recorded in the store. */
        default void failed(Modality modality, String itemId, String reference, String error) {
        }

        Listener NONE = new Listener() {
        };
    }

    /**
     * @param text     the text encoder, or null to leave text vectors alone
     * @param image    the image encoder, or null to leave image vectors alone
     * @param itemText how an item becomes text
     */
    public ItemEncodingPipeline(Store store, VectorIndex index, TextEncoder text, ImageEncoder image, ItemText itemText) {
        this(store, index, text, image, itemText, ImagePolicy.TRUSTED);
    }

    /** @param imagePolicy which picture references are followed (the API's items: {@link ImagePolicy#untrusted}) */
    public ItemEncodingPipeline(Store store, VectorIndex index, TextEncoder text, ImageEncoder image, ItemText itemText,
                                ImagePolicy imagePolicy) {
        this.imagePolicy = imagePolicy;
        this.store = store;
        this.index = index;
        this.text = text;
        this.image = image;
        this.itemText = itemText;
    }

    /** Items per page (default 1,024): smaller pages show progress and reach the index sooner. */
    /** Modalities whose imported vectors were already logged as such. */
    private final Set<Modality> warnedImported = ConcurrentHashMap.newKeySet();

    public ItemEncodingPipeline withPageSize(int items) {
        if (items < 1) {
            throw new IllegalArgumentException("page size must be positive, was " + items);
        }
        this.pageSize = items;
        return this;
    }

    /**
     * The modalities this pipeline encodes, text first; pictures come from {@code imagesDir} or the items. A modality
     * whose vectors were imported ({@link VectorImport}) is not encoded: the encoder's vectors would not be in their
     * space.
     */
    private List<ModalityEncoder<?>> encoders(Path imagesDir) {
        List<ModalityEncoder<?>> out = new ArrayList<>();
        if (text != null && !imported(Modality.TEXT)) {
            out.add(ModalityEncoder.text(text, itemText));
        }
        if (image != null && !imported(Modality.IMAGE)) {
            out.add(ModalityEncoder.image(image, new ImageSources(imagesDir, imagePolicy)));
        }
        for (ModalityEncoder<?> e : out) {
            ensureCollection(e.modality(), e.dimension());
        }
        return out;
    }

    /**
     * Encodes every item (or the first {@code limit} in id order) whose input changed.
     *
     * @param imagesDir directory of {@code <itemId>.jpg} pictures, or null to use only the items' own image references
     * @param limit     at most this many items, or 0 for all
     */
    public Report run(Path imagesDir, long limit, Listener listener) {
        long start = System.nanoTime();
        long deletions = applyDeletions();
        List<ModalityEncoder<?>> encoders = encoders(imagesDir);
        long total = store.stats().items();
        listener.started(limit > 0 ? Math.min(limit, total) : total);
        Map<Modality, ModalityCounts> counts = new LinkedHashMap<>();
        long done = 0;
        String cursor = null;
        try (OrderedWriter writer = new OrderedWriter(QUEUED_PAGES);
             PageEncoder pages = new PageEncoder(encoders, counts)) {
            do {
                int want = limit > 0 ? (int) Math.min(pageSize, limit - done) : pageSize;
                Page<Item> page = store.items(cursor, want);
                pages.encode(page.rows(), listener, writer);
                done += page.rows().size();
                listener.progressed(done);
                cursor = page.next();
            } while (cursor != null && (limit == 0 || done < limit));
            writer.finish();
        }
        index.flush();
        Report report = Report.of(done, counts, deletions, start);
        LOG.info("encoded {} items in {} s: text {} new, {} unchanged, {} empty; images {} new, {} unchanged, "
                        + "{} failed, {} without a picture", done, String.format("%.1f", report.seconds()),
                report.textEncoded(), report.textUnchanged(), report.noText(), report.imagesEncoded(),
                report.imagesUnchanged(), report.imageErrors(), report.noImage());
        return report;
    }

    /**
     * Encodes these items now (those whose input changed), e.g. an item just added through the API, and writes their
     * vectors to the index and the store before returning, so that similar-item search finds them at once.
     */
    public Report encode(List<Item> items, Path imagesDir, Listener listener) {
        long start = System.nanoTime();
        Map<Modality, ModalityCounts> counts = new LinkedHashMap<>();
        try (OrderedWriter writer = new OrderedWriter(QUEUED_PAGES);
             PageEncoder pages = new PageEncoder(encoders(imagesDir), counts)) {
            pages.encode(items, listener, writer);
            writer.finish();
        }
        return Report.of(items.size(), counts, 0, start);
    }

    /**
     * Encodes one page in every modality at once: the first (text) on the calling thread, the others (pictures) on a
     * thread of their own, since each encoder's workers would otherwise idle at the end of every page while the last
     * batch finishes (the encoders' workers are single-threaded, so more threads than cores only share them). Their
     * writes are queued in page order, text first, and the listener hears of failures on the calling thread.
     */
    private final class PageEncoder implements AutoCloseable {
        private final List<ModalityEncoder<?>> encoders;
        private final Map<Modality, ModalityCounts> counts;
        private final ExecutorService others;

        PageEncoder(List<ModalityEncoder<?>> encoders, Map<Modality, ModalityCounts> counts) {
            this.encoders = encoders;
            this.counts = counts;
            for (ModalityEncoder<?> e : encoders) {
                counts.put(e.modality(), new ModalityCounts());
            }
            this.others = encoders.size() > 1 ? Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "encode-" + encoders.get(1).modality().key());
                t.setDaemon(true);
                return t;
            }) : null;
        }

        void encode(List<Item> items, Listener listener, OrderedWriter writer) {
            if (encoders.isEmpty()) {
                return;
            }
            List<Future<Outcome>> later = new ArrayList<>();
            for (ModalityEncoder<?> e : encoders.subList(1, encoders.size())) {
                later.add(others.submit(() -> encodeModality(e, items, counts.get(e.modality()))));
            }
            List<Outcome> outcomes = new ArrayList<>();
            try {
                ModalityEncoder<?> first = encoders.get(0);
                outcomes.add(encodeModality(first, items, counts.get(first.modality())));
            } catch (RuntimeException failure) {
                for (Future<Outcome> f : later) { // no work outlives the page; the first failure is the one reported
                    try {
                        await(f);
                    } catch (RuntimeException other) {
                        failure.addSuppressed(other);
                    }
                }
                throw failure;
            }
            for (Future<Outcome> f : later) {
                outcomes.add(await(f));
            }
            for (Outcome o : outcomes) {
                o.failures().forEach(f -> listener.failed(o.modality(), f.itemId(), f.reference(), f.error()));
                if (o.write() != null) {
                    writer.submit(o.write());
                }
            }
        }

        private Outcome await(Future<Outcome> outcome) {
            try {
                return outcome.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while encoding", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("encoding failed: " + e.getCause(), e.getCause());
            }
        }

        @Override
        public void close() {
            if (others != null) {
                others.shutdownNow();
            }
        }
    }

    /** A page's vectors in one modality: the write to queue (null if none), and the items that failed. */
    private record Outcome(Modality modality, Runnable write, List<Failure> failures) {
    }

    private record Failure(String itemId, String reference, String error) {
    }

    /**
     * Encodes the items whose input in this modality changed (or whose encoder changed), counting into {@code c};
     * returns the write of their vectors (and of their failures, whose older vectors leave the index).
     */
    private <T> Outcome encodeModality(ModalityEncoder<T> encoder, List<Item> items, ModalityCounts c) {
        Modality m = encoder.modality();
        Map<String, String> stored = store.itemVectorSources(m.key(), items.stream().map(Item::id).toList());
        List<ModalityEncoder.Input<T>> todo = new ArrayList<>();
        for (Item item : items) {
            ModalityEncoder.Input<T> in = encoder.input().apply(item);
            if (in == null) {
                c.missing++;
            } else if ((encoder.identity() + "|" + in.hash()).equals(stored.get(item.id()))) {
                c.unchanged++;
            } else {
                todo.add(in);
            }
        }
        List<Failure> failures = new ArrayList<>();
        if (todo.isEmpty()) {
            return new Outcome(m, null, failures);
        }
        List<ModalityEncoder.Encoded> vectors = encoder.encode().apply(todo);
        List<VectorRecord> records = new ArrayList<>(todo.size());
        List<String> failedIds = new ArrayList<>();
        List<ItemVector> rows = new ArrayList<>(todo.size());
        for (int i = 0; i < todo.size(); i++) {
            ModalityEncoder.Input<T> in = todo.get(i);
            String error = in.error() != null ? in.error() : vectors.get(i).error();
            if (error == null) {
                float[] v = vectors.get(i).vector();
                records.add(VectorRecord.of(in.itemId(), v));
                rows.add(ItemVector.of(in.itemId(), m.key(), encoder.identity(), in.hash(), v));
                c.encoded++;
            } else {
                failedIds.add(in.itemId());
                rows.add(ItemVector.failed(in.itemId(), m.key(), encoder.identity(), in.hash(), error));
                failures.add(new Failure(in.itemId(), in.reference(), error));
                c.failed++;
            }
        }
        return new Outcome(m, () -> {
            if (!records.isEmpty()) {
                index.upsert(m.collection(), records);
            }
            if (!failedIds.isEmpty()) {
                index.delete(m.collection(), failedIds); // an older vector must not linger
            }
            store.putItemVectors(rows);
        }, failures);
    }

    /**
     * Re-fills the index collections from the vectors kept in the store, without encoding: every modality's, the
     * named ones of imported vectors too. Returns vectors written.
     */
    public long rebuildIndex() {
        long n = 0;
        for (String key : store.vectorModalities()) {
            Modality m = Modality.parse(key);
            String cursor = null;
            boolean created = false;
            do {
                Page<ItemVector> page = store.itemVectors(m.key(), cursor, 1000);
                List<VectorRecord> records = new ArrayList<>();
                for (ItemVector v : page.rows()) {
                    if (v.vector() != null) {
                        if (!created) {
                            ensureCollection(m, v.vector().length);
                            created = true;
                        }
                        records.add(VectorRecord.of(v.itemId(), v.vector()));
                    }
                }
                if (!records.isEmpty()) {
                    index.upsert(m.collection(), records);
                    n += records.size();
                }
                cursor = page.next();
            } while (cursor != null);
        }
        applyDeletions();
        index.flush();
        return n;
    }

    /**
     * Removes from the index every item the store's deletion log names since this pipeline last looked (the whole log
     * the first time: deletes are idempotent, so a restart only repeats them). The cost of one call is that of the
     * deletions since the last one, not of the whole history.
     */
    public synchronized long applyDeletions() {
        long applied = 0;
        while (true) {
            List<Deletion> log = store.deletionsAfter(deletionsSeen, 1000);
            if (log.isEmpty()) {
                return applied;
            }
            List<String> items = log.stream().filter(d -> d.kind() == Deletion.Kind.ITEM).map(Deletion::id)
                    .filter(id -> store.item(id).isEmpty()).toList();
            for (CollectionSpec c : index.collections()) { // every modality's collection, named ones too
                if (!items.isEmpty() && Modality.ofCollection(c.name()).isPresent()) {
                    index.delete(c.name(), items);
                }
            }
            applied += items.size();
            deletionsSeen = log.get(log.size() - 1).sequence();
        }
    }

    /** Whether the modality's vectors were imported (their first one says so; a modality never mixes the two). */
    private boolean imported(Modality m) {
        boolean imported = store.itemVectors(m.key(), null, 1).rows().stream().anyMatch(ItemVector::imported);
        if (imported && warnedImported.add(m)) {
            LOG.info("{} vectors were imported (kindling import vectors): the {} encoder leaves them alone; items "
                    + "added later need theirs imported too", m.key(), m.key());
        }
        return imported;
    }

    private void ensureCollection(Modality m, int dimension) {
        CollectionSpec spec = CollectionSpec.of(m.collection(), dimension, Metric.COSINE);
        if (index.hasCollection(m.collection()) && !index.collection(m.collection()).equals(spec)) {
            LOG.warn("collection {} was {}; the encoder now makes {}-d vectors: recreating it", m.collection(),
                    index.collection(m.collection()), dimension);
            index.dropCollection(m.collection());
        }
        index.createCollection(spec);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
