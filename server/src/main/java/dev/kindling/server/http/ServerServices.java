package dev.kindling.server.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import ai.djl.ndarray.NDManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.Store;
import dev.kindling.generator.SimilarItems;
import dev.kindling.meta.serving.ServingModel;

/**
 * What the HTTP handlers work with: the store, the vector index, the encode pipeline (for items added through the
 * API), similar-item search and the current trained model, which can be swapped while requests are in flight.
 */
public final class ServerServices implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerServices.class);

    private final KindlingConfig config;
    private final Store store;
    private final VectorIndex index;
    private final ItemEncodingPipeline pipeline;
    private final Path imagesDir;
    private final NDManager manager;
    private final AtomicReference<ServingModel> model = new AtomicReference<>();
    private final Map<String, List<String>> categories = new ConcurrentHashMap<>();

    /**
     * @param pipeline  encodes items added through the API (null: items are stored but not encoded)
     * @param imagesDir where {@code <itemId>.jpg} pictures are looked up, or null
     */
    public ServerServices(KindlingConfig config, Store store, VectorIndex index, ItemEncodingPipeline pipeline,
                          Path imagesDir, NDManager manager) {
        this.config = config;
        this.store = store;
        this.index = index;
        this.pipeline = pipeline;
        this.imagesDir = imagesDir;
        this.manager = manager;
    }

    public KindlingConfig config() {
        return config;
    }

    public Store store() {
        return store;
    }

    public VectorIndex index() {
        return index;
    }

    public ItemEncodingPipeline pipeline() {
        return pipeline;
    }

    public Path imagesDir() {
        return imagesDir;
    }

    public SimilarItems similarItems() {
        return new SimilarItems(index);
    }

    /** An item's categories (cached; {@link #forget} drops an item that changed). Empty for an unknown item. */
    public List<String> categories(String itemId) {
        return categories.computeIfAbsent(itemId, id -> store.item(id).map(Item::categories)
                .orElse(List.of()));
    }

    /**
     * In strict mode (ingest.strict), refuses a request naming an item that is not in the catalog, with the field
     * {@code <array>[i].itemId} of the first one; otherwise does nothing.
     */
    public void requireCatalogued(String array, List<String> itemIds) {
        if (!config.ingest().strict()) {
            return;
        }
        Set<String> missing = store.missingItems(itemIds);
        for (int i = 0; i < itemIds.size(); i++) {
            if (missing.contains(itemIds.get(i))) {
                throw ApiException.badField(array + "[" + i + "].itemId", "item '" + itemIds.get(i)
                        + "' is not in the catalog (ingest.strict is on)");
            }
        }
    }

    /** Forgets cached facts about an item that was changed or deleted. */
    public void forget(String itemId) {
        categories.remove(itemId);
        titles = null;
    }

    /** Item id and title, for title search (kept in memory, rebuilt after a change). */
    public record Titled(String id, String title) {
    }

    private volatile List<Titled> titles;

    /** Items whose title contains every word of the query (case-insensitive), in catalog order, at most limit. */
    public List<Titled> searchTitles(String query, int limit) {
        List<Titled> all = titles;
        if (all == null) {
            List<Titled> built = new ArrayList<>();
            String cursor = null;
            do {
                var page = store.items(cursor, 10_000);
                page.rows().forEach(i -> built.add(new Titled(i.id(), i.title())));
                cursor = page.next();
            } while (cursor != null);
            titles = all = List.copyOf(built);
        }
        String[] words = query.toLowerCase(Locale.ROOT).trim().split("\\s+");
        List<Titled> out = new ArrayList<>();
        for (Titled t : all) {
            String title = t.title().toLowerCase(Locale.ROOT);
            if (Arrays.stream(words).allMatch(title::contains)) {
                out.add(t);
                if (out.size() == limit) {
                    break;
                }
            }
        }
        return out;
    }

    /** The model serving now, or null before one is loaded. */
    public ServingModel model() {
        return model.get();
    }

    /**
     * Loads the current model version from {@code <home>/models} and swaps it in; requests already running finish on
     * the model they started with. Returns false when no model has been trained yet.
     */
    public synchronized boolean reloadModel() {
        Path models = config.home().resolve("models");
        if (!Files.exists(models.resolve("current"))) {
            LOG.warn("no trained model under {}: recommendations fall back to 503 until ./kindling train runs", models);
            return false;
        }
        String pointer = currentVersion(models);
        ServingModel fresh = ServingModel.load(models, store, index, manager);
        loadedPointer = pointer;
        indexUsers(fresh);
        ServingModel old = model.getAndSet(fresh);
        if (old != null) {
            LOG.info("model {} replaced by {}", old.version(), fresh.version());
            // Requests that took the old model before the swap finish on it (at most the request timeout); then its
            // tensors are freed. close() also waits for a ranking in progress.
            refresher.schedule(old::close, config.server().requestTimeoutMs() + 1000L,
                    TimeUnit.MILLISECONDS);
        }
        return true;
    }

    private final ScheduledExecutorService refresher =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kindling-model-refresh");
                t.setDaemon(true);
                return t;
            });
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    /** What {@code models/current} named when the serving model was loaded. */
    private volatile String loadedPointer;

    private static String currentVersion(Path models) {
        try {
            return Files.readString(models.resolve("current")).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Checks {@code <home>/models/current} every {@code server.modelPollSeconds} and loads a version trained elsewhere:
     * by another replica sharing the models directory, or by {@code ./kindling train} next to the server. Requests in
     * flight finish on the model they started with.
     */
    public void watchModels() {
        int every = config.server().modelPollSeconds();
        if (every <= 0) {
            return;
        }
        Path models = config.home().resolve("models");
        refresher.scheduleWithFixedDelay(() -> {
            String pointer = currentVersion(models);
            if (pointer == null || pointer.equals(loadedPointer)) {
                return;
            }
            try {
                LOG.info("models/current now names {}: loading it", pointer);
                reloadModel();
            } catch (RuntimeException e) {
                loadedPointer = pointer; // one attempt per version; the previous model keeps serving
                LOG.error("loading model {} failed; the previous one keeps serving", pointer, e);
            }
        }, every, every, TimeUnit.SECONDS);
    }

    /**
     * The catalogue changed (items added or deleted through the API): reload the model shortly, so that new items get
     * generated ID embeddings and can be recommended (and deleted ones are no longer), without retraining. Changes
     * within the delay share one reload.
     */
    public void catalogueChanged() {
        if (model.get() == null || !refreshPending.compareAndSet(false, true)) {
            return;
        }
        refresher.schedule(() -> {
            refreshPending.set(false);
            try {
                reloadModel();
            } catch (RuntimeException e) {
                LOG.error("reloading the model after a catalogue change failed; the previous one keeps serving", e);
            }
        }, 2, TimeUnit.SECONDS);
    }

    /**
     * Rankings running at once: one per core (each uses one libtorch thread). More would only slow all of them down
     * past the request timeout under load; requests beyond this wait up to half the request timeout, then get 503
     * (load shedding).
     */
    private final Semaphore rankingSlots =
            new Semaphore(Runtime.getRuntime().availableProcessors(), true);

    /** Runs a ranking in one of the slots, or refuses with 503 when none frees up within half the request timeout. */
    public <T> T ranking(Supplier<T> work) {
        boolean acquired;
        try {
            acquired = rankingSlots.tryAcquire(config.server().requestTimeoutMs() / 2,
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, null, "interrupted while waiting for a free ranking slot", 1);
        }
        if (!acquired) {
            throw new ApiException(503, null, "the server is busy: every ranking slot stayed taken for "
                    + config.server().requestTimeoutMs() / 2 + " ms", 1);
        }
        try {
            return work.get();
        } finally {
            rankingSlots.release();
        }
    }

    /** The index collection of users' embeddings h (similar users). */
    public static final String USERS = "user_embeddings";

    /** Puts every stored user's embedding under the given model into the index (replacing the collection). */
    private void indexUsers(ServingModel m) {
        if (!m.hasUserEmbeddings()) {
            LOG.info("model {} serves {} without learners: no user embeddings to index", m.version(), m.method().label());
            return;
        }
        long start = System.nanoTime();
        index.dropCollection(USERS);
        index.createCollection(CollectionSpec.of(USERS, m.userDimension(),
                Metric.COSINE));
        String cursor = null;
        long n = 0;
        do {
            var page = store.users(cursor, 1000);
            List<VectorRecord> records = new ArrayList<>();
            for (var user : page.rows()) {
                float[] h = m.userEmbedding(history(user.id()));
                if (h != null) {
                    records.add(VectorRecord.of(user.id(), h));
                }
            }
            if (!records.isEmpty()) {
                index.upsert(USERS, records);
                n += records.size();
            }
            cursor = page.next();
        } while (cursor != null);
        index.flush();
        LOG.info("{} user embeddings indexed in {} s", n, String.format("%.1f", (System.nanoTime() - start) / 1e9));
    }

    /** Re-embeds users whose interactions changed (after new interactions were stored). */
    public void refreshUsers(Collection<String> userIds) {
        ServingModel m = model.get();
        if (m == null) {
            return;
        }
        List<VectorRecord> records = new ArrayList<>();
        for (String id : userIds) {
            float[] h = m.userEmbedding(history(id));
            if (h != null) {
                records.add(VectorRecord.of(id, h));
            }
        }
        if (!records.isEmpty()) {
            index.upsert(USERS, records);
        }
    }

    /** A stored user's items, oldest first. */
    public List<String> history(String userId) {
        return store.sequence(userId).stream().map(Interaction::itemId).toList();
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        ServingModel m = model.getAndSet(null);
        if (m != null) {
            m.close();
        }
    }
}
