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
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.meta.serving.ServingModel;

/**
 * The serving model's life: loaded from {@code <home>/models/current}, swapped while requests are in flight (they
 * finish on the model they started with, whose tensors are freed afterwards), reloaded when another process trains a
 * new version or when the catalogue changes; every stored user is embedded again under each model loaded.
 */
public final class ModelLifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLifecycle.class);
    /** Catalogue changes within this delay share one reload. */
    private static final long CHANGE_DELAY_MS = 500;

    private final KindlingConfig config;
    private final Store store;
    private final VectorIndex index;
    private final NDManager manager;
    private final UserEmbeddings users;
    private final AtomicReference<ServingModel> model = new AtomicReference<>();
    private final ScheduledThreadPoolExecutor refresher = refresher();
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    private final AtomicLong reloads = new AtomicLong();
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
                .description("Model loads since the server started (new versions, catalogue changes)").register(registry);
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
     * Loads the current model version from {@code <home>/models} and swaps it in; requests already running finish on
     * the model they started with. Returns false when no model has been trained yet.
     */
    public boolean reload() {
        return reload(false);
    }

    /**
     * @param catalogueOnly the catalogue changed, not necessarily the model: when the version is still the one serving,
     *                      the users' embeddings are left as they are (the same parameters read the same histories;
     *                      a user whose interactions change is re-embedded when they are written)
     */
    private synchronized boolean reload(boolean catalogueOnly) {
        Path models = config.home().resolve("models");
        if (!Files.exists(models.resolve("current"))) {
            LOG.warn("no trained model under {}: recommendations fall back to 503 until ./kindling train runs", models);
            return false;
        }
        String pointer = currentVersion(models);
        long start = System.nanoTime();
        ServingModel fresh = ServingModel.load(models, store, index, manager);
        boolean sameVersion = model.get() != null && model.get().version().equals(fresh.version());
        loadedPointer = pointer;
        reloads.incrementAndGet();
        if (!(catalogueOnly && sameVersion)) {
            users.indexAll(fresh);
        }
        ServingModel old = model.getAndSet(fresh);
        if (old != null) {
            String took = String.format("%.1f", (System.nanoTime() - start) / 1e9);
            if (sameVersion) {
                LOG.info("model {} reloaded in {} s (catalogue change)", fresh.version(), took);
            } else {
                LOG.info("model {} replaced by {} in {} s", old.version(), fresh.version(), took);
            }
            // Requests that took the old model before the swap finish on it (at most the request timeout); then its
            // tensors are freed. close() also waits for a ranking in progress.
            refresher.schedule(old::close, config.server().requestTimeoutMs() + 1000L, TimeUnit.MILLISECONDS);
        }
        return true;
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
     * The catalogue changed (items added or deleted through the API): reload the model shortly, so that new items get
     * generated ID embeddings and can be recommended (and deleted ones are no longer), without retraining. Changes
     * within the delay share one reload.
     */
    void catalogueChanged() {
        if (model.get() == null || !refreshPending.compareAndSet(false, true)) {
            return;
        }
        refresher.schedule(() -> {
            refreshPending.set(false);
            try {
                reload(true);
            } catch (RuntimeException e) {
                LOG.error("reloading the model after a catalogue change failed; the previous one keeps serving", e);
            }
        }, CHANGE_DELAY_MS, TimeUnit.MILLISECONDS);
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
            m.close();
        }
    }
}
