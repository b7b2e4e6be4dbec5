package dev.kindling.ingest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
 * collections {@code items_text} and {@code items_image}. Only items whose encoder input changed (text, picture bytes)
 * or whose encoder changed are encoded again. The index is written before the store, so a crash between the two means
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
    private int pageSize = PAGE;

    /** What a run did. */
    public record Report(long items, long textEncoded, long textUnchanged, long noText, long imagesEncoded,
                         long imagesUnchanged, long imageErrors, long noImage, long deletionsApplied, double seconds) {
        public double itemsPerSecond() {
            return seconds > 0 ? items / seconds : 0;
        }
    }

    /** Hears about a run: totals for a progress bar, and each picture that could not be encoded. */
    public interface Listener {
        default void started(long totalItems) {
        }

        default void progressed(long itemsDone) {
        }

        default void imageFailed(String itemId, String reference, String error) {
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
        this.store = store;
        this.index = index;
        this.text = text;
        this.image = image;
        this.itemText = itemText;
    }

    /** Items per page (default 1,024): smaller pages show progress and reach the index sooner. */
    public ItemEncodingPipeline withPageSize(int items) {
        if (items < 1) {
            throw new IllegalArgumentException("page size must be positive, was " + items);
        }
        this.pageSize = items;
        return this;
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
        if (text != null) {
            ensureCollection(Modality.TEXT, text.dimension());
        }
        if (image != null) {
            ensureCollection(Modality.IMAGE, image.dimension());
        }
        long total = store.stats().items();
        listener.started(limit > 0 ? Math.min(limit, total) : total);
        ImageSources pictures = new ImageSources(imagesDir);
        long[] c = new long[8];
        long done = 0;
        String cursor = null;
        try (OrderedWriter writer = new OrderedWriter(QUEUED_PAGES);
             PageEncoder pages = new PageEncoder()) {
            do {
                int want = limit > 0 ? (int) Math.min(pageSize, limit - done) : pageSize;
                Page<Item> page = store.items(cursor, want);
                pages.encode(page.rows(), pictures, listener, c, writer);
                done += page.rows().size();
                listener.progressed(done);
                cursor = page.next();
            } while (cursor != null && (limit == 0 || done < limit));
            writer.finish();
        }
        index.flush();
        Report report = new Report(done, c[0], c[1], c[2], c[3], c[4], c[5], c[6], deletions,
                (System.nanoTime() - start) / 1e9);
        LOG.info("encoded {} items in {} s: text {} new, {} unchanged, {} empty; images {} new, {} unchanged, "
                        + "{} failed, {} without a picture", done, String.format("%.1f", report.seconds()), c[0], c[1],
                c[2], c[3], c[4], c[5], c[6]);
        return report;
    }

    /**
     * Encodes these items now (those whose input changed), e.g. an item just added through the API, and writes their
     * vectors to the index and the store before returning, so that similar-item search finds them at once.
     */
    public Report encode(List<Item> items, Path imagesDir, Listener listener) {
        long start = System.nanoTime();
        if (text != null) {
            ensureCollection(Modality.TEXT, text.dimension());
        }
        if (image != null) {
            ensureCollection(Modality.IMAGE, image.dimension());
        }
        long[] c = new long[8];
        try (OrderedWriter writer = new OrderedWriter(QUEUED_PAGES);
             PageEncoder pages = new PageEncoder()) {
            pages.encode(items, new ImageSources(imagesDir), listener, c, writer);
            writer.finish();
        }
        return new Report(items.size(), c[0], c[1], c[2], c[3], c[4], c[5], c[6], 0, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Encodes one page's texts and pictures, the pictures on a thread of their own: each encoder's workers would
     * otherwise idle at the end of every page while the last batch finishes (the encoders' workers are
     * single-threaded, so more threads than cores only share them). Their writes are queued in page order, texts
     * first, and the listener hears of failed pictures on the calling thread.
     */
    private final class PageEncoder implements AutoCloseable {
        private final ExecutorService pictureThread = text != null && image != null
                ? Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "encode-pictures");
                    t.setDaemon(true);
                    return t;
                })
                : null;

        void encode(List<Item> items, ImageSources pictures, Listener listener, long[] c, OrderedWriter writer) {
            long[] imageCounts = new long[8];
            Future<ImageOutcome> images = null;
            ImageOutcome imageOutcome = null;
            if (pictureThread != null) {
                images = pictureThread.submit(() -> encodeImages(items, pictures, imageCounts));
            } else if (image != null) {
                imageOutcome = encodeImages(items, pictures, imageCounts);
            }
            Runnable textWrite;
            try {
                textWrite = text != null ? encodeTexts(items, c) : null;
            } catch (RuntimeException textFailure) {
                if (images != null) { // no picture work outlives the page; the texts' failure is the one reported
                    try {
                        await(images);
                    } catch (RuntimeException pictureFailure) {
                        textFailure.addSuppressed(pictureFailure);
                    }
                }
                throw textFailure;
            }
            if (images != null) {
                imageOutcome = await(images);
            }
            if (textWrite != null) {
                writer.submit(textWrite);
            }
            if (imageOutcome != null) {
                for (int i = 0; i < c.length; i++) {
                    c[i] += imageCounts[i];
                }
                imageOutcome.failures().forEach(f -> listener.imageFailed(f.itemId(), f.reference(), f.error()));
                if (imageOutcome.write() != null) {
                    writer.submit(imageOutcome.write());
                }
            }
        }

        private ImageOutcome await(Future<ImageOutcome> images) {
            try {
                return images.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while encoding pictures", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("encoding pictures failed: " + e.getCause(), e.getCause());
            }
        }

        @Override
        public void close() {
            if (pictureThread != null) {
                pictureThread.shutdownNow();
            }
        }
    }

    /** A page's picture vectors: the write to queue (null if none), and the pictures that failed. */
    private record ImageOutcome(Runnable write, List<PictureFailure> failures) {
    }

    private record PictureFailure(String itemId, String reference, String error) {
    }

    /** Encodes the items whose text changed; returns the write of their vectors, or null when there is none. */
    private Runnable encodeTexts(List<Item> items, long[] c) {
        List<String> ids = items.stream().map(Item::id).toList();
        Map<String, String> stored = store.itemVectorSources(Modality.TEXT.key(), ids);
        List<Item> todo = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (Item item : items) {
            String t = itemText.of(item);
            if (t.isEmpty()) {
                c[2]++;
                continue;
            }
            String hash = sha256(t.getBytes(StandardCharsets.UTF_8));
            if ((text.identity() + "|" + hash).equals(stored.get(item.id()))) {
                c[1]++;
                continue;
            }
            todo.add(item);
            texts.add(t);
            hashes.add(hash);
        }
        if (todo.isEmpty()) {
            return null;
        }
        float[][] vectors = text.encode(texts);
        List<VectorRecord> records = new ArrayList<>(todo.size());
        List<ItemVector> rows = new ArrayList<>(todo.size());
        for (int i = 0; i < todo.size(); i++) {
            records.add(VectorRecord.of(todo.get(i).id(), vectors[i]));
            rows.add(ItemVector.of(todo.get(i).id(), Modality.TEXT.key(), text.identity(), hashes.get(i), vectors[i]));
        }
        c[0] += todo.size();
        return () -> {
            index.upsert(Modality.TEXT.collection(), records);
            store.putItemVectors(rows);
        };
    }

    /** Encodes the items whose picture changed, counting into {@code c}; the listener is not called here. */
    private ImageOutcome encodeImages(List<Item> items, ImageSources pictures, long[] c) {
        Map<String, String> stored = store.itemVectorSources(Modality.IMAGE.key(),
                items.stream().map(Item::id).toList());
        List<String> ids = new ArrayList<>();
        List<ImageSources.Picture> found = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (Item item : items) {
            ImageSources.Picture p = pictures.find(item);
            if (p == null) {
                c[6]++;
                continue;
            }
            String hash = p.bytes() != null ? sha256(p.bytes()) : sha256(("missing:" + p.reference()).getBytes(StandardCharsets.UTF_8));
            if ((image.identity() + "|" + hash).equals(stored.get(item.id()))) {
                c[4]++;
                continue;
            }
            ids.add(item.id());
            found.add(p);
            hashes.add(hash);
        }
        List<PictureFailure> failures = new ArrayList<>();
        if (ids.isEmpty()) {
            return new ImageOutcome(null, failures);
        }
        List<ImageEncoder.ImageVector> vectors = image.encode(found.stream().map(ImageSources.Picture::bytes).toList());
        List<VectorRecord> records = new ArrayList<>();
        List<String> failedIds = new ArrayList<>();
        List<ItemVector> rows = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            ImageEncoder.ImageVector v = vectors.get(i);
            String error = found.get(i).error() != null ? found.get(i).error() : v.error();
            if (error == null) {
                records.add(VectorRecord.of(ids.get(i), v.vector()));
                rows.add(ItemVector.of(ids.get(i), Modality.IMAGE.key(), image.identity(), hashes.get(i), v.vector()));
                c[3]++;
            } else {
                failedIds.add(ids.get(i));
                rows.add(ItemVector.failed(ids.get(i), Modality.IMAGE.key(), image.identity(), hashes.get(i), error));
                failures.add(new PictureFailure(ids.get(i), found.get(i).reference(), error));
                c[5]++;
            }
        }
        return new ImageOutcome(() -> {
            if (!records.isEmpty()) {
                index.upsert(Modality.IMAGE.collection(), records);
            }
            if (!failedIds.isEmpty()) {
                index.delete(Modality.IMAGE.collection(), failedIds); // an older picture's vector must not linger
            }
            store.putItemVectors(rows);
        }, failures);
    }

    /** Re-fills the index collections from the vectors kept in the store, without encoding. Returns vectors written. */
    public long rebuildIndex() {
        long n = 0;
        for (Modality m : Modality.values()) {
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

    /** Removes from the index every item the store's deletion log names. Deletes are idempotent. */
    public long applyDeletions() {
        long applied = 0;
        long after = 0;
        while (true) {
            List<Deletion> log = store.deletionsAfter(after, 1000);
            if (log.isEmpty()) {
                return applied;
            }
            List<String> items = log.stream().filter(d -> d.kind() == Deletion.Kind.ITEM).map(Deletion::id)
                    .filter(id -> store.item(id).isEmpty()).toList();
            for (Modality m : Modality.values()) {
                if (!items.isEmpty() && index.hasCollection(m.collection())) {
                    index.delete(m.collection(), items);
                }
            }
            applied += items.size();
            after = log.get(log.size() - 1).sequence();
        }
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
