package dev.kindling.server.http;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.generator.SimilarItems;
import dev.kindling.server.app.CatalogueService;
import dev.kindling.server.app.CoConsumption;
import dev.kindling.server.app.IdempotentWrites;
import dev.kindling.server.app.Metered;
import dev.kindling.server.app.ModelLifecycle;
import dev.kindling.server.app.RatingModels;
import dev.kindling.server.app.UserEmbeddings;

/**
 * What the HTTP handlers work with: the application layer ({@link CatalogueService}, {@link ModelLifecycle},
 * {@link UserEmbeddings}) wired over the store and the vector index, and the HTTP-side rules every handler shares
 * (load shedding, the strict-catalogue check as a 400 naming the field).
 */
public final class ServerServices implements AutoCloseable {
    private final KindlingConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Store store;
    private final VectorIndex index;
    private final UserEmbeddings users;
    private final ModelLifecycle models;
    private final RatingModels ratingModels;
    private final CatalogueService catalogue;
    private final IdempotentWrites idempotentWrites = new IdempotentWrites();
    private volatile CoConsumption coConsumption;
    /**
     * Rankings admitted at once: a full batch ({@code server.rankingBatch}) for each of the serving model's ranking
     * threads, which rank the admitted requests' adaptations together, and at least one per core (a baseline ranks on
     * the request's thread). More would only slow all of them down past the request timeout under load; requests
     * beyond this wait up to half the request timeout, then get 503 (load shedding).
     */
    private final Semaphore rankingSlots;
    private final Semaphore predictionSlots = new Semaphore(Runtime.getRuntime().availableProcessors(), true);
    private final Timer rankingTime = Timer.builder("kindling.ranking")
            .description("Time of a ranking (adaptation to the user and scoring)").register(metrics);
    private final Counter rankingRefused = Counter.builder("kindling.ranking.refused")
            .description("Rankings refused with 503: every slot stayed taken").register(metrics);

    /**
     * @param pipeline  encodes items added through the API (null: items are stored but not encoded)
     * @param imagesDir where {@code <itemId>.jpg} pictures are looked up, or null
     */
    public ServerServices(KindlingConfig config, Store store, VectorIndex index, ItemEncodingPipeline pipeline,
                          Path imagesDir, NDManager manager) {
        this.config = config;
        this.rankingSlots = new Semaphore(Math.max(Runtime.getRuntime().availableProcessors(),
                config.server().rankingThreadCount() * config.server().rankingBatch()), true);
        // the handlers see the store and the index through timing proxies; the pipeline writes to the real ones
        this.store = Metered.wrap(Store.class, store, metrics, "kindling.store", "store");
        this.index = Metered.wrap(VectorIndex.class, index, metrics, "kindling.index", "vector index");
        this.users = new UserEmbeddings(this.store, this.index);
        this.models = new ModelLifecycle(config, this.store, this.index, manager, users);
        this.catalogue = new CatalogueService(this.store, pipeline, imagesDir, new SimilarItems(this.index), models,
                config.ingest().strict());
        models.register(metrics);
        this.ratingModels = new RatingModels(config.home().resolve("models"), manager);
        ratingModels.register(metrics);
    }

    public KindlingConfig config() {
        return config;
    }

    /** The server's metrics (HTTP, rankings, the model, the store and the index), scraped at {@code /metrics}. */
    public PrometheusMeterRegistry metrics() {
        return metrics;
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

    /** The rating model (MELO) behind {@code POST /v1/ratings/predict}. */
    public RatingModels ratingModels() {
        return ratingModels;
    }

    public UserEmbeddings users() {
        return users;
    }

    /**
     * Similar items by behaviour, read from the store on first use (then kept up to date by the server's interaction
     * writes and item deletions).
     */
    public CoConsumption coConsumption() {
        CoConsumption c = coConsumption;
        if (c == null) {
            synchronized (this) {
                if (coConsumption == null) {
                    coConsumption = CoConsumption.of(store);
                }
                c = coConsumption;
            }
        }
        return c;
    }

    /**
     * {@link #coConsumption()} when it was read already (writes need not read it to keep it up to date): a write made
     * while it is being read waits for the read, then applies itself, so that it is never missed.
     */
    public Optional<CoConsumption> coConsumptionIfRead() {
        CoConsumption c = coConsumption;
        if (c == null) {
            synchronized (this) {
                c = coConsumption;
            }
        }
        return Optional.ofNullable(c);
    }

    /** Answers of writes sent with an Idempotency-Key, for their retries. */
    public IdempotentWrites idempotentWrites() {
        return idempotentWrites;
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

    /**
     * Runs a ranking of recommendations in one of the slots, or refuses with 503 when none frees up within half the
     * request timeout.
     */
    public <T> T ranking(Supplier<T> work) {
        return inSlot(rankingSlots, work);
    }

    /** Runs a rating prediction (one per core at once; not batched) as {@link #ranking} runs a ranking. */
    public <T> T prediction(Supplier<T> work) {
        return inSlot(predictionSlots, work);
    }

    private <T> T inSlot(Semaphore slots, Supplier<T> work) {
        boolean acquired;
        try {
            acquired = slots.tryAcquire(config.server().requestTimeoutMs() / 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, null, "interrupted while waiting for a free ranking slot", 1);
        }
        if (!acquired) {
            rankingRefused.increment();
            throw new ApiException(503, null, "the server is busy: every ranking slot stayed taken for "
                    + config.server().requestTimeoutMs() / 2 + " ms", 1);
        }
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            slots.release();
            rankingTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void close() {
        models.close();
        ratingModels.close();
        metrics.close();
    }
}
