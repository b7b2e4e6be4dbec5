package dev.kindling.server.http;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import ai.djl.ndarray.NDManager;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.generator.SimilarItems;
import dev.kindling.server.app.CatalogueService;
import dev.kindling.server.app.ModelLifecycle;
import dev.kindling.server.app.UserEmbeddings;

/**
 * What the HTTP handlers work with: the application layer ({@link CatalogueService}, {@link ModelLifecycle},
 * {@link UserEmbeddings}) wired over the store and the vector index, and the HTTP-side rules every handler shares
 * (load shedding, the strict-catalogue check as a 400 naming the field).
 */
public final class ServerServices implements AutoCloseable {
    private final KindlingConfig config;
    private final Store store;
    private final VectorIndex index;
    private final UserEmbeddings users;
    private final ModelLifecycle models;
    private final CatalogueService catalogue;
    /**
     * Rankings running at once: one per core (each uses one libtorch thread). More would only slow all of them down
     * past the request timeout under load; requests beyond this wait up to half the request timeout, then get 503
     * (load shedding).
     */
    private final Semaphore rankingSlots = new Semaphore(Runtime.getRuntime().availableProcessors(), true);

    /**
     * @param pipeline  encodes items added through the API (null: items are stored but not encoded)
     * @param imagesDir where {@code <itemId>.jpg} pictures are looked up, or null
     */
    public ServerServices(KindlingConfig config, Store store, VectorIndex index, ItemEncodingPipeline pipeline,
                          Path imagesDir, NDManager manager) {
        this.config = config;
        this.store = store;
        this.index = index;
        this.users = new UserEmbeddings(store, index);
        this.models = new ModelLifecycle(config, store, index, manager, users);
        this.catalogue = new CatalogueService(store, pipeline, imagesDir, new SimilarItems(index), models,
                config.ingest().strict());
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

    public CatalogueService catalogue() {
        return catalogue;
    }

    public ModelLifecycle models() {
        return models;
    }

    public UserEmbeddings users() {
        return users;
    }

    /**
     * In strict mode (ingest.strict), refuses a request naming an item that is not in the catalog, with the field
     * {@code <array>[i].itemId} of the first one; otherwise does nothing.
     */
    public void requireCatalogued(String array, List<String> itemIds) {
        catalogue.firstUncatalogued(itemIds).ifPresent(i -> {
            throw ApiException.badField(array + "[" + i + "].itemId", "item '" + itemIds.get(i)
                    + "' is not in the catalog (ingest.strict is on)");
        });
    }

    /** Runs a ranking in one of the slots, or refuses with 503 when none frees up within half the request timeout. */
    public <T> T ranking(Supplier<T> work) {
        boolean acquired;
        try {
            acquired = rankingSlots.tryAcquire(config.server().requestTimeoutMs() / 2, TimeUnit.MILLISECONDS);
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

    @Override
    public void close() {
        models.close();
    }
}
