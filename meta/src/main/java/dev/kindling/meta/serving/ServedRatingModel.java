package dev.kindling.meta.serving;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.melo.RatingModel;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Scalars;

/**
 * The rating model a server answers {@code POST /v1/ratings/predict} with: a loaded {@link RatingModelDirectory}
 * version and the item ids it knows. Predictions run concurrently, each adapting its own copy of the backbone; closing
 * waits for them, and a prediction that meets a closed model throws {@link ServingModel.Replaced}.
 */
public final class ServedRatingModel implements AutoCloseable {
    private final NDManager manager;
    private final RatingModelDirectory.Loaded loaded;
    private final Map<String, Integer> index = new HashMap<>();
    private final Scalars s;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private ServedRatingModel(NDManager manager, RatingModelDirectory.Loaded loaded) {
        this.manager = manager;
        this.loaded = loaded;
        for (int i = 0; i < loaded.itemIds().size(); i++) {
            index.put(loaded.itemIds().get(i), i + 1);
        }
        this.s = new Scalars(manager, DataType.FLOAT32);
    }

    /** Loads the current version under {@code <models>/ratings} into a sub-manager of {@code parent}. */
    public static ServedRatingModel load(Path models, NDManager parent) {
        NDManager manager = parent.newSubManager();
        try {
            return new ServedRatingModel(manager,
                    RatingModelDirectory.load(models.resolve(RatingModelDirectory.DIRECTORY), manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public RatingModelDirectory.Manifest manifest() {
        return loaded.manifest();
    }

    public String version() {
        return loaded.manifest().version();
    }

    /** Whether the model predicts this item (items with too few ratings when it was trained are not in it). */
    public boolean knows(String itemId) {
        return index.containsKey(itemId);
    }

    public int itemCount() {
        return index.size();
    }

    /** A rating the user gave. */
    public record Rating(String itemId, double stars) {
    }

    /** A predicted rating in stars. */
    public record Predicted(String itemId, double rating) {
    }

    /**
     * @param predictions one per known candidate, in the order asked
     * @param unknownItems candidates the model does not know (no prediction)
     * @param unusedRatings rated items the model does not know (not part of the adaptation)
     * @param adaptedOn    the rated items the backbone was adapted to (the latest known ones, at most 29)
     */
    public record Prediction(List<Predicted> predictions, List<String> unknownItems, List<String> unusedRatings,
                             List<String> adaptedOn) {
    }

    /**
     * Predicts the user's ratings of the candidates after adapting to the ratings (oldest first), clamped to the
     * training data's rating range. Deterministic: no dropout, no sampling.
     */
    public Prediction predict(List<Rating> ratings, List<String> candidates) {
        List<Integer> items = new ArrayList<>();
        List<Double> stars = new ArrayList<>();
        List<String> used = new ArrayList<>();
        List<String> unused = new ArrayList<>();
        for (Rating r : ratings) {
            Integer i = index.get(r.itemId());
            if (i == null) {
                unused.add(r.itemId());
            } else {
                items.add(i);
                stars.add(r.stars());
                used.add(r.itemId());
            }
        }
        List<String> known = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String c : candidates) {
            (index.containsKey(c) ? known : unknown).add(c);
        }
        int context = Math.min(used.size(), RatingModel.CONTEXT);
        List<String> adaptedOn = List.copyOf(used.subList(used.size() - context, used.size()));
        List<Predicted> out = new ArrayList<>();
        if (!known.isEmpty()) {
            double[] predicted;
            lock.readLock().lock();
            try {
                if (closed) {
                    throw new ServingModel.Replaced("rating model " + version() + " was replaced and closed");
                }
                Autograd.record(true); // per thread: adaptation takes gradients
                predicted = loaded.model().predictNext(items.stream().mapToInt(Integer::intValue).toArray(),
                        stars.stream().mapToDouble(Double::doubleValue).toArray(),
                        known.stream().mapToInt(index::get).toArray(), s, manager);
            } finally {
                lock.readLock().unlock();
            }
            double low = loaded.manifest().minRating();
            double high = loaded.manifest().maxRating();
            for (int c = 0; c < predicted.length; c++) {
                out.add(new Predicted(known.get(c), Math.max(low, Math.min(high, predicted[c]))));
            }
        }
        return new Prediction(out, unknown, unused, adaptedOn);
    }

    /** Frees the model's tensors once the predictions in progress are done. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                manager.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
