package dev.kindling.server.app;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.meta.serving.RatingModelDirectory;
import dev.kindling.meta.serving.ServedRatingModel;
import dev.kindling.meta.serving.ServingModel;

/**
 * The rating model the server predicts ratings with ({@code <home>/models/ratings/current}, trained by
 * {@code kindling train --model melo}): loaded when first asked for, and loaded again when {@code current} names
 * another version (looked at most once a second, on a request), the replaced one freed once the predictions running
 * on it are done. A version that fails to load is logged once and the previous one keeps serving.
 */
public final class RatingModels implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RatingModels.class);
    private static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;

    private final Path ratingModels;
    private final Path models;
    private final NDManager manager;
    private final AtomicReference<ServedRatingModel> model = new AtomicReference<>();
    private final AtomicLong loads = new AtomicLong();
    private volatile String loadedPointer;
    private volatile long lastCheck = System.nanoTime() - 2 * CHECK_INTERVAL_NANOS;
    private volatile boolean closed;

    /**
     * @param models  {@code <home>/models}
     * @param manager the parent of each loaded model's tensors
     */
    public RatingModels(Path models, NDManager manager) {
        this.models = models;
        this.ratingModels = models.resolve(RatingModelDirectory.DIRECTORY);
        this.manager = manager;
    }

    /** Gauges: whether a rating model serves, how many items it knows, loads so far. */
    public void register(MeterRegistry registry) {
        Gauge.builder("kindling.rating.model.loaded", model, m -> m.get() == null ? 0 : 1)
                .description("1 when a rating model (train --model melo) serves /v1/ratings/predict, else 0")
                .register(registry);
        Gauge.builder("kindling.rating.model.items", model, m -> m.get() == null ? 0 : m.get().itemCount())
                .description("Items the rating model predicts").register(registry);
        Gauge.builder("kindling.rating.model.loads", loads, AtomicLong::get)
                .description("Rating model versions loaded since the server started").register(registry);
    }

    /** The rating model serving now (loading a newer version first when there is one), or null when none was trained. */
    public ServedRatingModel current() {
        long now = System.nanoTime();
        if (now - lastCheck >= CHECK_INTERVAL_NANOS) {
            lastCheck = now;
            String pointer = RatingModelDirectory.currentVersion(ratingModels);
            if (pointer != null && !pointer.equals(loadedPointer)) {
                load(pointer);
            }
        }
        return model.get();
    }

    /** Loads the version {@code current} names now, if it is not the one serving (after a training job). */
    public void refresh() {
        String pointer = RatingModelDirectory.currentVersion(ratingModels);
        if (pointer != null && !pointer.equals(loadedPointer)) {
            load(pointer);
        }
    }

    private synchronized void load(String pointer) {
        if (closed || pointer.equals(loadedPointer)) {
            return;
        }
        loadedPointer = pointer; // one attempt per version
        long start = System.nanoTime();
        try {
            ServedRatingModel fresh = ServedRatingModel.load(models, manager);
            ServedRatingModel old = model.getAndSet(fresh);
            loads.incrementAndGet();
            LOG.info("rating model {} loaded in {} s ({} items){}", fresh.version(),
                    String.format("%.2f", (System.nanoTime() - start) / 1e9), fresh.itemCount(),
                    old == null ? "" : ", replacing " + old.version());
            if (old != null) {
                old.close(); // waits for the predictions running on it; later ones retry on the new model
            }
        } catch (RuntimeException e) {
            LOG.error("loading rating model {} failed; {}", pointer,
                    model.get() == null ? "ratings cannot be predicted until one loads" : "the previous one serves", e);
        }
    }

    /** Runs work on the rating model serving now (null when none), again on the next one when it was replaced meanwhile. */
    public <T> T withCurrent(Function<ServedRatingModel, T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return work.apply(current());
            } catch (ServingModel.Replaced e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        ServedRatingModel m = model.getAndSet(null);
        if (m != null) {
            m.close();
        }
    }
}
