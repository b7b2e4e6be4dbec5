package dev.kindling.meta;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Predicate;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Scalars;

/**
 * A trained MML model ready to answer requests: the current model version loaded with the features of the catalogue,
 * adapting to each new user's few interactions (J inner steps on their prefixes, MML 3) before ranking every item.
 * Items added to the catalogue after training get generated ID embeddings (MML 4.3) when the model is loaded, so they
 * are recommended without retraining; items added after loading are reported as unknown until the next load. A user
 * with no known item gets the most popular items of the training users.
 */
public final class ServingModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServingModel.class);

    private final String version;
    private final MetaDataset data;
    private final NDManager manager;
    private final MmlModel.FusedRecommender adapted;
    private final Recommender forwardOnly;
    private final Recommender popular;
    private final MmlModel model;
    private final Set<String> removed;
    private final AdaptationTuning.Choice adaptation;

    /** One recommended item. */
    public record Scored(String itemId, double score) {
    }

    /**
     * A ranking and how it was made.
     *
     * @param items        the top-k items, best first
     * @param method       {@code mml} (adapted) or {@code popularity} (no known item to adapt on)
     * @param steps        inner steps run for this user
     * @param learningRate their rate
     * @param used         the request's items the model adapted on, oldest first
     * @param unknown      the request's items the model has no ID embedding for (added after training)
     * @param fusionWeights how much the ID, text and image learners counted for this user (MML Eq. 12-13); empty for
     *                     popularity
     * @param rateFrom     the remembered users the main learner's PAML rate came from (empty without PAML)
     */
    public record Ranking(List<Scored> items, String method, int steps, double learningRate, List<String> used,
                          List<String> unknown, java.util.Map<String, Double> fusionWeights,
                          List<PamlRates.RateSource> rateFrom) {
    }

    private ServingModel(String version, MetaDataset data, NDManager manager, MmlModel model,
                         MmlModel.FusedRecommender adapted,
                         Recommender forwardOnly, Recommender popular, Set<String> removed,
                         AdaptationTuning.Choice adaptation) {
        this.adaptation = adaptation;
        this.forwardOnly = forwardOnly;
        this.version = version;
        this.removed = Set.copyOf(removed);
        this.model = model;
        this.data = data;
        this.manager = manager;
        this.adapted = adapted;
        this.popular = popular;
    }

    /**
     * Loads the current version under {@code models} (see {@link ModelDirectory}) with its items' features. A model
     * trained with PAML finds each new user's nearest remembered users in the index's {@code users} collection.
     */
    public static ServingModel load(Path models, Store store, VectorIndex index, NDManager parent) {
        long start = System.nanoTime();
        NDManager manager = parent.newSubManager();
        try {
            ModelDirectory.Loaded loaded = ModelDirectory.load(models, manager);
            List<String> ids = new ArrayList<>(loaded.itemIds());
            int trained = ids.size();
            Set<String> known = new HashSet<>(ids);
            Set<String> removed = new HashSet<>(ids);
            String cursor = null;
            do {
                var page = store.items(cursor, 10_000);
                for (var item : page.rows()) {
                    removed.remove(item.id());
                    if (!known.contains(item.id())) {
                        ids.add(item.id());
                    }
                }
                cursor = page.next();
            } while (cursor != null);
            MetaDataset data = MetaDataset.forModel(store, ids, loaded.manifest().cut());
            ItemFeatures features = data.features(store, manager, DataType.FLOAT32);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            MmlModel model = new MmlModel(data, features, loaded.manifest().learner(), s, manager);
            if (loaded.groups().containsKey("paml")) {
                model.withPaml(MmlModel.Paml.defaults(new UserRateMemory(index, loaded.manifest().learner().hidden(),
                        UserRateMemory.DEFAULT_CAPACITY)));
            }
            model.restore(loaded.groups(), MmlModel.Stages.DEFAULT.neighbours());
            AdaptationTuning.Choice adaptation = loaded.manifest().servingAdaptation();
            MmlModel.FusedRecommender adapted = model.recommender("mml", adaptation.steps(), adaptation.rate(), 1);
            Recommender popular = new PopularityRecommender(data.oldUsers(), data.itemCount());
            LOG.info("model {} loaded in {} s: {} items ({} added since training, with generated embeddings)",
                    loaded.manifest().version(), String.format("%.1f", (System.nanoTime() - start) / 1e9),
                    data.itemCount(), data.itemCount() - trained);
            Recommender forwardOnly = model.recommender("mml", 0, adaptation.rate(), 1);
            return new ServingModel(loaded.manifest().version(), data, manager, model, adapted, forwardOnly, popular,
                    removed, adaptation);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public String version() {
        return version;
    }

    /** How this model adapts to each new user (J, alpha), as chosen when it was trained. */
    public AdaptationTuning.Choice adaptation() {
        return adaptation;
    }

    /** The user embedding h (see {@link MmlModel#userEmbedding}) from a history, or null when no item is known. */
    public float[] userEmbedding(List<String> history) {
        lock.readLock().lock();
        try {
            requireOpen();
            int[] sequence = knownIndices(history);
            return sequence.length == 0 ? null : model.userEmbedding(sequence);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The embedding's dimension. */
    public int userDimension() {
        return model.userDimension();
    }

    /**
     * Scores every item for a history without adapting (the plain forward pass: what each request would cost without
     * MML's inner steps); for benchmarks. Returns the number of items scored.
     */
    public int scoreWithoutAdaptation(List<String> history) {
        lock.readLock().lock();
        try {
            requireOpen();
            int[] sequence = knownIndices(history);
            Autograd.record(true);
            return forwardOnly.scores(sequence).length - 1;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The model's item indices of the known items of a history, in order (unknown ids are skipped). */
    private int[] knownIndices(List<String> history) {
        return history.stream().map(data::itemIndex).filter(java.util.Objects::nonNull).mapToInt(Integer::intValue)
                .toArray();
    }

    /** Items this model ranks. */
    public int itemCount() {
        return data.itemCount();
    }

    /** Whether the model has an ID embedding for this item. */
    public boolean knows(String itemId) {
        return data.itemIndex(itemId) != null;
    }

    /**
     * The k best items for a user known by these items (oldest first).
     *
     * @param excludeSeen leave out the user's own items
     * @param allowed     only items passing this filter are returned
     */
    public Ranking recommend(List<String> history, int k, boolean excludeSeen, Predicate<String> allowed) {
        lock.readLock().lock();
        try {
            requireOpen();
            return rank(history, k, excludeSeen, allowed);
        } finally {
            lock.readLock().unlock();
        }
    }

    private Ranking rank(List<String> history, int k, boolean excludeSeen, Predicate<String> allowed) {
        List<String> used = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        List<Integer> sequence = new ArrayList<>();
        for (String id : history) {
            Integer index = data.itemIndex(id);
            if (index == null) {
                unknown.add(id);
            } else {
                used.add(id);
                sequence.add(index);
            }
        }
        float[] scores;
        String method;
        int steps = 0;
        double rate = 0;
        java.util.Map<String, Double> weights = new java.util.LinkedHashMap<>();
        List<PamlRates.RateSource> rateFrom = List.of();
        if (sequence.isEmpty()) {
            scores = popular.scores(new int[0]);
            method = "popularity";
        } else {
            Autograd.record(true); // per thread: adaptation takes gradients
            MmlModel.FusedScores fused = adapted.fusedScores(sequence.stream().mapToInt(Integer::intValue).toArray());
            scores = fused.scores();
            if (fused.weights() != null && fused.weights().length == 3) {
                weights.put("id", (double) fused.weights()[0]);
                weights.put("text", (double) fused.weights()[1]);
                weights.put("image", (double) fused.weights()[2]);
            }
            method = "mml";
            steps = sequence.size() >= 2 ? adaptation.steps() : 0;
            rate = steps > 0 ? fused.mainRate() : 0;
            rateFrom = fused.rateFrom();
        }
        boolean[] seen = new boolean[scores.length];
        if (excludeSeen) {
            sequence.forEach(i -> seen[i] = true);
        }
        PriorityQueue<Scored> top = new PriorityQueue<>((a, b) -> Double.compare(a.score(), b.score()));
        for (int i = 1; i < scores.length; i++) {
            // The score test first: once k items are held, most items are skipped without looking at their id.
            if (seen[i] || top.size() == k && scores[i] <= top.peek().score()) {
                continue;
            }
            String id = data.itemId(i);
            if (removed.contains(id) || !allowed.test(id)) {
                continue;
            }
            top.add(new Scored(id, scores[i]));
            if (top.size() > k) {
                top.poll();
            }
        }
        List<Scored> out = new ArrayList<>(top);
        out.sort((a, b) -> Double.compare(b.score(), a.score()));
        return new Ranking(out, method, steps, rate, used, unknown, weights, rateFrom);
    }

    /** Rankings run concurrently (each on its own adapted copy of Theta); closing waits for them. */
    private final java.util.concurrent.locks.ReadWriteLock lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile boolean closed;

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("model " + version + " was replaced and closed");
        }
    }

    /** Frees the model's tensors once the rankings in progress are done. */
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
