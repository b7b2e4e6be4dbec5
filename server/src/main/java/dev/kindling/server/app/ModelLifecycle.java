package dev.kindling.server.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.meta.serving.RankingThreads;
import dev.kindling.meta.serving.ServingModel;
import dev.kindling.tensor.NativeHeap;

/**
 * The serving model's life: loaded from {@code <home>/models/current}, swapped while requests are in flight (they
 * finish on the model they started with, whose tensors are freed afterwards), reloaded when another process trains a
 * new version or when the catalogue changes; every stored user is embedded again under each model loaded.
 */
public final class ModelLifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLifecycle.class);
    /** Catalogue changes within this delay are applied together. */
    private static final long CHANGE_DELAY_MS = 100;
    /** At least this long between two catalogue updates (changes meanwhile are applied together): bounds their CPU. */
    private static final long UPDATE_INTERVAL_MS = 500;
    /**
     * A replaced model is freed this long after the swap (requests take the model inside their ranking slot, so only a
     * ranking already running holds it, and {@link ServingModel#close} waits for those); a request that still finds it
     * freed is run again on the new one ({@link #withCurrent}).
     */
    private static final long RETIRE_DELAY_MS = 1000;

    /**
     * At least this long between two returns of freed native memory to the system ({@link NativeHeap#trim}, after a
     * replaced model is freed): a catalogue change under load replaces the model about twice a second.
     */
    private static final long TRIM_INTERVAL_MS = 2000;

    private final KindlingConfig config;
    private final Store store;
    private final VectorIndex index;
    private final NDManager manager;
    private final UserEmbeddings users;
    private final AtomicReference<ServingModel> model = new AtomicReference<>();
    private final AtomicLong rankingBatches = new AtomicLong();
    private final AtomicLong batchedUsers = new AtomicLong();
    /** Rank concurrent users together for every model version served (null with server.rankingBatch = 1). */
    private final RankingThreads rankingThreads;
    private final ScheduledThreadPoolExecutor refresher = refresher();
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    /** Items changed through the API since the serving model was made, applied by the next catalogue update. */
    private final Set<String> changedItems = ConcurrentHashMap.newKeySet();
    private final AtomicLong catalogueUpdates = new AtomicLong();
    private volatile long lastUpdateEnd;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong heapTrims = new AtomicLong();
    private final AtomicLong heapTrimNanos = new AtomicLong();
    /** When the native heap was last trimmed, and whether a trim waits; both read and written on the refresher only. */
    private long lastTrim;
    private boolean trimScheduled;
    private static final DateTimeFormatter VERSION_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    /** What {@code models/current} named when the serving model was loaded. */
    private volatile String loadedPointer;

    public ModelLifecycle(KindlingConfig config, Store store, VectorIndex index, NDManager manager,
                          UserEmbeddings users) {
        this.config = config;
        this.store = store;
        this.index = index;
        this.manager = manager;
        this.users = users;
        this.rankingThreads = config.server().rankingBatch() == 1 ? null
                : new RankingThreads(config.server().rankingBatch(), config.server().rankingThreadCount(), size -> {
                    rankingBatches.incrementAndGet();
                    batchedUsers.addAndGet(size);
                });
    }

    /** One thread; at shutdown, delayed work (a pending reload, freeing a replaced model) is dropped, not run. */
    private static ScheduledThreadPoolExecutor refresher() {
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kindling-model-refresh");
            t.setDaemon(true);
            return t;
        });
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        pool.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return pool;
    }

    /** Gauges of the serving model: whether one serves, how old its version is, how many items it knows. */
    public void register(MeterRegistry registry) {
        Gauge.builder("kindling.model.loaded", model, m -> m.get() == null ? 0 : 1)
                .description("1 when a trained model is serving, else 0 (recommendations answer 503)").register(registry);
        Gauge.builder("kindling.model.age", model, m -> m.get() == null ? Double.NaN : ageSeconds(m.get().version()))
                .description("Seconds since the serving model version was trained").baseUnit("seconds")
                .register(registry);
        Gauge.builder("kindling.model.items", model, m -> m.get() == null ? 0 : m.get().itemCount())
                .description("Items the serving model can recommend").register(registry);
        Gauge.builder("kindling.model.reloads", reloads, AtomicLong::get)
                .description("Model loads from disk since the server started (new versions)").register(registry);
        Gauge.builder("kindling.ranking.batches", rankingBatches, AtomicLong::get)
                .description("Batches of new users' adaptations ranked together (server.rankingBatch) since the "
                        + "server started").register(registry);
        Gauge.builder("kindling.ranking.batched.users", batchedUsers, AtomicLong::get)
                .description("Users ranked in those batches (divided by the batches: the mean batch size)")
                .register(registry);
        Gauge.builder("kindling.model.catalogue.updates", catalogueUpdates, AtomicLong::get)
                .description("Catalogue changes applied to the serving model without loading it again")
                .register(registry);
        FunctionTimer.builder("kindling.memory.trim", this, m -> m.heapTrims.get(), m -> m.heapTrimNanos.get(),
                        TimeUnit.NANOSECONDS)
                .description("Returns of the native memory freed with replaced models to the system (glibc's "
                        + "malloc_trim, at most every " + TRIM_INTERVAL_MS / 1000 + " s)").register(registry);
    }

    /** A version names its training time (UTC, yyyyMMdd-HHmmss-SSS); NaN for a name of another form. */
    static double ageSeconds(String version) {
        try {
            Instant trained = LocalDateTime.parse(version, VERSION_TIME).toInstant(ZoneOffset.UTC);
            return Duration.between(trained, Instant.now()).toMillis() / 1000.0;
        } catch (DateTimeParseException e) {
            return Double.NaN;
        }
    }

    /** The model serving now, or null before one is loaded. */
    public ServingModel current() {
        return model.get();
    }

    /**
     * Runs work on the model serving now (null before one is loaded), again on the next one when the model was replaced
     * and freed in between.
     */
    public <T> T withCurrent(Function<ServingModel, T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return work.apply(model.get());
            } catch (ServingModel.Replaced e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /**
     * Loads the current model version from {@code <home>/models} and swaps it in; requests already running finish on
     * the model they started with. Returns false when no model has been trained yet.
     */
    public boolean reload() {
        return reload(false);
    }

    private synchronized boolean reload(boolean catalogueOnly) {
        Path models = config.home().resolve("models");
        if (!Files.exists(models.resolve("current"))) {
            LOG.warn("no trained model under {}: recommendations fall back to 503 until ./kindling train runs", models);
            return false;
        }
        String pointer = currentVersion(models);
        long start = System.nanoTime();
        changedItems.clear(); // the load reads the catalogue as it is now; changes from here on are queued again
        ServingModel fresh = ServingModel.load(models, store, index, manager);
        boolean sameVersion = model.get() != null && model.get().version().equals(fresh.version());
        loadedPointer = pointer;
        reloads.incrementAndGet();
        if (!(catalogueOnly && sameVersion)) {
            users.indexAll(fresh);
        }
        swap(fresh, sameVersion ? "reloaded" : "replaced", start);
        return true;
    }

    /**
     * Puts a new serving model in place. Requests that took the old one before the swap finish on it (at most the
     * request timeout); then its tensors are freed (close() also waits for a ranking in progress).
     */
    private void swap(ServingModel fresh, String how, long start) {
        if (rankingThreads != null) {
            fresh.batchAdaptations(rankingThreads);
        }
        ServingModel old = model.getAndSet(fresh);
        if (old != null) {
            String took = String.format("%.2f", (System.nanoTime() - start) / 1e9);
            if (how.equals("replaced")) {
                LOG.info("model {} replaced by {} in {} s", old.version(), fresh.version(), took);
            } else {
                LOG.info("model {} {} in {} s (catalogue change)", fresh.version(), how, took);
            }
            refresher.schedule(() -> {
                old.close();
                ServingModel serving = model.get();
                if (serving != null) {
                    users.retireAllBut(serving); // a collection of another embedding size, read until the swap
                }
                trimNativeHeap();
            }, RETIRE_DELAY_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Gives the native memory of freed models back to the system, at most every {@link #TRIM_INTERVAL_MS}: without it
     * glibc keeps it, and the 10-minute mixed load grew the server's resident memory by 27%. Runs on the refresher.
     */
    private void trimNativeHeap() {
        if (!NativeHeap.available()) {
            return;
        }
        long now = System.nanoTime();
        long wait = lastTrim == 0 ? 0 : TRIM_INTERVAL_MS - (now - lastTrim) / 1_000_000;
        if (wait > 0) {
            // too soon: once, later, so that the last model freed in a burst of changes is given back too
            if (!trimScheduled) {
                trimScheduled = true;
                refresher.schedule(() -> {
                    trimScheduled = false;
                    trimNativeHeap();
                }, wait, TimeUnit.MILLISECONDS);
            }
            return;
        }
        NativeHeap.trim();
        lastTrim = System.nanoTime();
        heapTrims.incrementAndGet();
        heapTrimNanos.addAndGet(lastTrim - now);
        LOG.debug("native heap trimmed in {} ms", (lastTrim - now) / 1_000_000);
    }

    /**
     * Applies the catalogue changes gathered since the last update to the serving model: the changed items' tables
     * only ({@link ServingModel#withCatalogueChanges}), users' embeddings untouched. When {@code models/current}
     * names another version meanwhile, that version is loaded instead.
     */
    private synchronized void applyCatalogueChanges() {
        ServingModel current = model.get();
        if (current == null) {
            return;
        }
        // Taken before the store is read: a change notified while this update runs stays queued for the next one
        // (taking a snapshot and removing it afterwards lost the deletion of an item added just before).
        Set<String> ids = new HashSet<>();
        for (var it = changedItems.iterator(); it.hasNext(); ) {
            ids.add(it.next());
            it.remove();
        }
        if (ids.isEmpty()) {
            return;
        }
        String pointer = currentVersion(config.home().resolve("models"));
        if (pointer != null && !pointer.equals(loadedPointer)) {
            reload(false);
            return;
        }
        long start = System.nanoTime();
        ServingModel fresh = current.withCatalogueChanges(store, index, ids, manager);
        catalogueUpdates.incrementAndGet();
        swap(fresh, "updated", start);
        lastUpdateEnd = System.nanoTime();
    }

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
    public void watch() {
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
                reload();
            } catch (RuntimeException e) {
                loadedPointer = pointer; // one attempt per version; the previous model keeps serving
                LOG.error("loading model {} failed; the previous one keeps serving", pointer, e);
            }
        }, every, every, TimeUnit.SECONDS);
    }

    /**
     * These items were added, replaced or deleted through the API: apply the change to the serving model shortly, so
     * that new items get generated ID embeddings and can be recommended (and deleted ones are no longer), without
     * retraining or loading the model again. Changes within the delay are applied together.
     */
    void catalogueChanged(Collection<String> itemIds) {
        if (model.get() == null) {
            return;
        }
        changedItems.addAll(itemIds);
        if (!refreshPending.compareAndSet(false, true)) {
            return;
        }
        long sinceLast = (System.nanoTime() - lastUpdateEnd) / 1_000_000;
        long delay = Math.max(CHANGE_DELAY_MS, UPDATE_INTERVAL_MS - sinceLast);
        refresher.schedule(() -> {
            refreshPending.set(false);
            try {
                applyCatalogueChanges();
            } catch (RuntimeException e) {
                LOG.error("applying a catalogue change to the model failed; loading it again instead", e);
                try {
                    changedItems.clear();
                    reload(true);
                } catch (RuntimeException again) {
                    LOG.error("reloading the model failed; the previous one keeps serving", again);
                }
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * Stops reloading and frees the serving model. A reload in progress is let finish (up to a minute, then
     * interrupted): the caller frees the tensors' parent manager next, and a reload still copying from them would read
     * freed memory; interrupted at once, it would leave the index writer it was using rolled back half-way.
     */
    @Override
    public void close() {
        refresher.shutdown();
        try {
            if (!refresher.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("a model reload was still running 60 s into shutdown: interrupting it");
                refresher.shutdownNow();
                refresher.awaitTermination(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ServingModel m = model.getAndSet(null);
        if (m != null) {
            m.close(); // waits for the rankings in progress, which need the ranking threads
        }
        if (rankingThreads != null) {
            rankingThreads.close();
        }
    }
}
