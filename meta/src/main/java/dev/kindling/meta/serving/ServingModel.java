package dev.kindling.meta.serving;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Predicate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Store;
import dev.kindling.generator.NeighbourTable;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.Recommender;
import dev.kindling.meta.baseline.CollaborativeLists;
import dev.kindling.meta.baseline.PopularityRecommender;
import dev.kindling.meta.metacsr.MetaCsrModel;
import dev.kindling.meta.metacsr.MetaCsrRecommender;
import dev.kindling.meta.mml.AdaptationTuning;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.paml.PamlRates;
import dev.kindling.meta.paml.UserRateMemory;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A trained model ready to answer requests: the current model version loaded with the features of the catalogue. It
 * serves the method chosen when it was trained ({@link ServedMethod}): MML (or MML with its collaborative learner),
 * adapting to each new user's few interactions (J inner steps on their prefixes, MML 3) before ranking every item, or
 * a baseline. Items added to the catalogue after training get generated ID embeddings (MML 4.3) when the model is
 * loaded, so they are recommended without retraining; items added after loading are reported as unknown until the next
 * load. A user with no known item gets the most popular items of the training users. Answers are deterministic.
 */
public final class ServingModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServingModel.class);

    private final String version;
    private final MetaDataset data;
    private final NDManager manager;
    private final ServedMethod method;
    /** The served MML variant (null when a baseline is served). */
    private final MmlModel.FusedRecommender adapted;
    /** The served baseline (null when MML is served). */
    private final Recommender baseline;
    private final Recommender forwardOnly;
    private final Recommender popular;
    /** The trained learners (null for a baseline trained alone: no user embeddings then). */
    private final MmlModel model;
    private final Set<String> removed;
    /** The version's manifest and parameters as saved (restoring does not change them), for catalogue changes. */
    private final ModelDirectory.Manifest manifest;
    private final Map<String, Params> parameters;
    /** The items' encoder vectors (null without learners). */
    private final ItemFeatures features;
    private final AdaptationTuning.Choice adaptation;
    /** The threads that rank concurrent requests' adaptations together (null: each ranked alone, as by default). */
    private volatile RankingThreads batches;
    /** MML's batched ranking, one instance for this model (a batch never mixes instances); null for a baseline. */
    private final RankingThreads.Batched<MmlModel.FusedScores> fusedBatch;
    /** metaCSR's batched ranking (it adapts to each request too); null for MML and the other baselines. */
    private final RankingThreads.Batched<float[]> metaCsrBatch;

    /** One recommended item. */
    public record Scored(String itemId, double score) {
    }

    /**
     * A ranking and how it was made.
     *
     * @param items        the top-k items, best first
     * @param method       the served method ({@code mml}, {@code mml-cf}, {@code ease}, ...) or {@code popularity}
     *                     (no known item)
     * @param steps        inner steps run for this user
     * @param learningRate their rate
     * @param used         the request's items the model adapted on, oldest first
     * @param unknown      the request's items the model has no ID embedding for (added after training)
     * @param fusionWeights how much the ID, text and image learners counted for this user (MML Eq. 12-13); empty for
     *                     popularity
     * @param rateFrom     the remembered users the main learner's PAML rate came from (empty without PAML)
     * @param contributions per ranked item, each learner's part of its score (MML Eq. 13's terms a_l p'_l, which sum
     *                     to the score); empty without fusion
     */
    public record Ranking(List<Scored> items, String method, int steps, double learningRate, List<String> used,
                          List<String> unknown, Map<String, Double> fusionWeights,
                          List<PamlRates.RateSource> rateFrom, Map<String, Map<String, Double>> contributions) {
    }

    private ServingModel(ModelDirectory.Manifest manifest, Map<String, Params> parameters, MetaDataset data,
                         ItemFeatures features, NDManager manager, MmlModel model,
                         MmlModel.FusedRecommender adapted, Recommender baseline, Recommender forwardOnly,
                         Recommender popular, Set<String> removed) {
        this.manifest = manifest;
        this.parameters = parameters;
        this.features = features;
        this.method = manifest.servedMethod();
        this.baseline = baseline;
        this.adaptation = manifest.servingAdaptation();
        this.forwardOnly = forwardOnly;
        this.version = manifest.version();
        this.removed = Set.copyOf(removed);
        this.model = model;
        this.data = data;
        this.manager = manager;
        this.adapted = adapted;
        this.popular = popular;
        this.fusedBatch = adapted == null ? null : adapted::fusedScores;
        this.metaCsrBatch = adapted == null && method == ServedMethod.METACSR ? baseline::scores : null;
    }

    /**
     * Loads the current version under {@code models} (see {@link ModelDirectory}) with its items' features. A model
     * trained with PAML finds each new user's nearest remembered users in the index's one collection of users.
     */
    public static ServingModel load(Path models, Store store, VectorIndex index, NDManager parent) {
        long start = System.nanoTime();
        NDManager manager = parent.newSubManager();
        try {
            ModelDirectory.Loaded loaded = ModelDirectory.load(models, manager);
            List<String> ids = new ArrayList<>(loaded.itemIds());
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
            boolean needsFeatures = loaded.groups().containsKey("main")
                    || loaded.groups().containsKey(MetaCsrModelTraining.TABLE_GROUP);
            ItemFeatures features = needsFeatures ? data.features(store, manager, DataType.FLOAT32) : null;
            ServingModel m = assemble(loaded.manifest(), loaded.groups(), data, features, removed, null, index,
                    manager);
            LOG.info("model {} ({}) loaded in {} s: {} items ({} added since training{})", m.version,
                    m.method.label(), seconds(start), data.itemCount(), data.itemCount() - loaded.itemIds().size(),
                    m.model == null ? "" : ", with generated embeddings");
            return m;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * This model with a catalogue change applied, without reading the model or the users again: items added since get
     * item indices after the others, their vectors, neighbour rows (Eq. 14) and generated ID embeddings (Eq. 15-17);
     * replaced items get their new vectors and neighbour rows; deleted ones are no longer recommended. Every other
     * item keeps its neighbour row, so the work is that of the changed items plus copying the parameters into the new
     * model's own memory (this one is freed when it is replaced).
     *
     * @param itemIds the items added, replaced or deleted since this model was made
     */
    public ServingModel withCatalogueChanges(Store store, VectorIndex index, Collection<String> itemIds,
                                             NDManager parent) {
        lock.readLock().lock();
        NDManager m = parent.newSubManager();
        try {
            requireOpen();
            long start = System.nanoTime();
            Set<String> changed = new LinkedHashSet<>(itemIds);
            Set<String> missing = store.missingItems(changed);
            Set<String> removedNow = new HashSet<>(removed);
            List<String> added = new ArrayList<>();
            for (String id : changed) {
                if (missing.contains(id)) {
                    removedNow.add(id);
                } else {
                    removedNow.remove(id);
                    if (data.itemIndex(id) == null) {
                        added.add(id);
                    }
                }
            }
            MetaDataset grown = added.isEmpty() ? data : data.withMoreItems(added);
            Map<String, Params> copied = new LinkedHashMap<>();
            parameters.forEach((group, p) -> copied.put(group, p.copy(m)));
            ItemFeatures grownFeatures = null;
            Reuse reuse = null;
            if (features != null) {
                List<String> present = changed.stream().filter(id -> !missing.contains(id)).toList();
                grownFeatures = features.withRows(grown.itemCount(), vectors(store, Modality.TEXT, present, grown),
                        vectors(store, Modality.IMAGE, present, grown), m);
                if (model != null) {
                    boolean[] trained = model.trainedItems();
                    // a trained item is every other item's possible neighbour: when its vectors change, all rows are
                    // redone
                    boolean neighbourChanged = present.stream().map(data::itemIndex)
                            .anyMatch(i -> i != null && trained[i]);
                    if (!neighbourChanged) {
                        int[] indices = present.stream().mapToInt(grown::itemIndex).toArray();
                        reuse = new Reuse(model, indices, neighbourRows(grown, grownFeatures, present, m));
                    }
                }
            }
            ServingModel next = assemble(manifest, copied, grown, grownFeatures, removedNow, reuse, index, m);
            LOG.info("model {}: catalogue change applied in {} s ({} items added, {} changed or deleted)", version,
                    seconds(start), added.size(), changed.size() - added.size());
            return next;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The stored vectors of these items in a modality, by their index in the grown data set (null: none). */
    private static Map<Integer, float[]> vectors(Store store, Modality modality, List<String> ids, MetaDataset grown) {
        Map<String, ItemVector> stored = store.itemVectorsOf(modality.key(), ids);
        Map<Integer, float[]> out = new HashMap<>();
        for (String id : ids) {
            ItemVector v = stored.get(id);
            out.put(grown.itemIndex(id), v == null ? null : v.vector());
        }
        return out;
    }

    /**
     * The generator's neighbour rows after a catalogue change: every unchanged item's row as it was (neighbours are
     * trained items, whose indices do not move), the changed and added items' rows computed exactly.
     */
    private NeighbourTable neighbourRows(MetaDataset grown, ItemFeatures grownFeatures, List<String> present,
                                         NDManager m) {
        NeighbourTable before = model.neighbours();
        boolean[] trained = Arrays.copyOf(model.trainedItems(), grown.itemCount() + 1);
        boolean[] compute = new boolean[grown.itemCount() + 1];
        int[][] rows = new int[grown.itemCount() + 1][];
        for (int i = 1; i < before.size(); i++) {
            rows[i] = before.of(i);
        }
        for (String id : present) {
            int i = grown.itemIndex(id);
            rows[i] = null;
            compute[i] = !trained[i];
        }
        NeighbourTable computed = NeighbourTable.build(grownFeatures.vectors(), trained,
                MmlTraining.Stages.DEFAULT.neighbours(), m, i -> compute[i]);
        for (int i = 1; i < rows.length; i++) {
            if (compute[i]) {
                rows[i] = computed.of(i);
            }
        }
        return NeighbourTable.ofRows(rows);
    }

    /**
     * What a catalogue change reuses of the model before it: its computed tables for every item but the changed ones,
     * and the neighbour rows after the change.
     */
    private record Reuse(MmlModel before, int[] changed, NeighbourTable neighbours) {
    }

    /**
     * The served model over these parameters (restored into a copy of the groups' maps: the parameters given stay as
     * they were saved, so that a catalogue change can restore them again).
     *
     * @param reuse what a catalogue change keeps of the model before it, or null to compute everything
     */
    private static ServingModel assemble(ModelDirectory.Manifest manifest, Map<String, Params> parameters,
                                         MetaDataset data, ItemFeatures features, Set<String> removed,
                                         Reuse reuse, VectorIndex index, NDManager manager) {
        ServedMethod method = manifest.servedMethod();
        AdaptationTuning.Choice adaptation = manifest.servingAdaptation();
        MmlModel model = null;
        MmlModel.FusedRecommender adapted = null;
        Recommender forwardOnly = null;
        if (parameters.containsKey("main")) {
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            MmlModel.Setup setup = parameters.containsKey("paml")
                    ? MmlModel.Setup.NONE.withPaml(MmlModel.Paml.defaults(new UserRateMemory(index,
                            manifest.learner().hidden(), UserRateMemory.DEFAULT_CAPACITY)))
                    : MmlModel.Setup.NONE;
            if (reuse != null) {
                setup = setup.withNeighbours(reuse.neighbours());
            }
            setup = setup.withRemoved(removed.stream().map(data::itemIndex).filter(Objects::nonNull)
                    .mapToInt(Integer::intValue).sorted().toArray());
            model = new MmlModel(data, features, manifest.learner(), s, manager, setup);
            Map<String, Params> restored = new LinkedHashMap<>();
            parameters.forEach((group, p) -> restored.put(group, p.select(name -> true)));
            if (reuse == null) {
                model.restore(restored, MmlTraining.Stages.DEFAULT.neighbours());
            } else {
                model.restoreAfter(restored, reuse.before(), reuse.changed());
            }
            MmlModel.Variant variant = method.isMml() ? method.variant() : MmlModel.Variant.MML;
            adapted = method.isMml() ? model.recommender(variant, adaptation.steps(), adaptation.rate(),
                    adaptation.blend()) : null;
            forwardOnly = model.recommender(variant, 0, adaptation.rate(), adaptation.blend());
        } else if (method.isMml()) {
            throw new IllegalArgumentException("model " + manifest.version() + " serves " + method.label()
                    + " but has no learners");
        }
        Recommender popular = new PopularityRecommender(data.oldUsers(), data.itemCount());
        Recommender baseline = switch (method) {
            case EASE, ITEM_KNN -> CollaborativeLists.fromParams(parameters.get(ModelTraining.BASELINE_GROUP),
                    data.itemCount());
            case POPULARITY -> popular;
            case METACSR -> metaCsr(manifest, parameters, data, features, manager);
            default -> null;
        };
        return new ServingModel(manifest, parameters, data, features, manager, model, adapted, baseline,
                forwardOnly != null ? forwardOnly : baseline, popular, removed);
    }

    /**
     * A saved metaCSR: its item table, with a row for each item added since training (outside the graph it was
     * trained on): the mean of the rows of its nearest trained items by Eq. 14 over its text and picture vectors, as
     * MML's generator finds neighbours (metaCSR is silent on new items; a plain mean, not a learned attention, since
     * nothing was trained for it). An item with neither vector gets a zero row.
     */
    private static Recommender metaCsr(ModelDirectory.Manifest manifest, Map<String, Params> parameters,
                                       MetaDataset data, ItemFeatures features, NDManager manager) {
        MetaCsrServing settings = manifest.metacsr();
        NDArray saved = parameters.get(MetaCsrModelTraining.TABLE_GROUP).get(MetaCsrModelTraining.TABLE);
        int trainedItems = (int) saved.getShape().get(0) - 1;
        int d = (int) saved.getShape().get(1);
        int rows = data.itemCount() + 1;
        float[] values = Arrays.copyOf(saved.toType(DataType.FLOAT32, false).toFloatArray(), rows * d);
        if (rows - 1 > trainedItems && features != null) {
            boolean[] trained = new boolean[rows];
            Arrays.fill(trained, 1, trainedItems + 1, true);
            NeighbourTable near = NeighbourTable.build(features.vectors(), trained, settings.neighbours(), manager,
                    i -> i > trainedItems);
            // the added items' rows only (index trainedItems + 1 on): a catalogue update does not copy every item's
            float[] text = features.text().get((trainedItems + 1) + ":").toType(DataType.FLOAT32, false).toFloatArray();
            float[] hasImage = features.hasImage().get((trainedItems + 1) + ":").toType(DataType.FLOAT32, false)
                    .toFloatArray();
            int textDim = (int) features.text().getShape().get(1);
            for (int i = trainedItems + 1; i < rows; i++) {
                int a = i - trainedItems - 1;
                boolean hasText = false;
                for (int j = 0; j < textDim && !hasText; j++) {
                    hasText = text[a * textDim + j] != 0;
                }
                if (!hasText && hasImage[a] == 0) {
                    continue;
                }
                int[] nearest = near.of(i);
                for (int o : nearest) {
                    for (int j = 0; j < d; j++) {
                        values[i * d + j] += values[o * d + j] / nearest.length;
                    }
                }
            }
        }
        NDArray table = manager.create(values, new Shape(rows, d));
        return new MetaCsrRecommender(new MetaCsrModel(settings.model(), null, manager, DataType.FLOAT32),
                parameters.get(MetaCsrModelTraining.SEQUENCE_GROUP), table, settings.tasks(), settings.innerSteps(),
                settings.innerRate(), settings.negatives(), new Scalars(manager, DataType.FLOAT32), manager);
    }

    private static String seconds(long start) {
        return String.format("%.2f", (System.nanoTime() - start) / 1e9);
    }

    public String version() {
        return version;
    }

    /** How this model adapts to each new user (J, alpha), as chosen when it was trained. */
    public AdaptationTuning.Choice adaptation() {
        return adaptation;
    }

    /** The method this model serves. */
    public ServedMethod method() {
        return method;
    }

    /** Whether the model has user embeddings (its learners were trained; a baseline trained alone has none). */
    public boolean hasUserEmbeddings() {
        return model != null;
    }

    /**
     * The user embedding h (see {@link MmlModel#userEmbedding}) from a history, or null when no item is known or the
     * model has no learners.
     */
    public float[] userEmbedding(List<String> history) {
        lock.readLock().lock();
        try {
            requireOpen();
            int[] sequence = knownIndices(history);
            return sequence.length == 0 || model == null ? null : model.userEmbedding(sequence);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The embedding's dimension (0 without learners). */
    public int userDimension() {
        return model == null ? 0 : model.userDimension();
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
        return history.stream().map(data::itemIndex).filter(Objects::nonNull).mapToInt(Integer::intValue)
                .toArray();
    }

    /** Items this model ranks. */
    public int itemCount() {
        return data.itemCount();
    }

    /**
     * Ranks the adaptations of requests that arrive together as one batch, on the given ranking threads (shared by
     * every model version a server serves; see {@link RankingThreads}); without them (the default), each request is
     * ranked alone on its own thread. For MML's variants and metaCSR (both adapt to each request); no effect on a
     * model that serves another baseline. Once only.
     */
    public void batchAdaptations(RankingThreads threads) {
        if (fusedBatch == null && metaCsrBatch == null) {
            return;
        }
        lock.writeLock().lock();
        try {
            requireOpen();
            if (batches != null) {
                throw new IllegalStateException("this model batches its adaptations already");
            }
            batches = threads;
        } finally {
            lock.writeLock().unlock();
        }
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

    /**
     * The top 10 item ids of histories ranked with another method than the served one, as this model would serve it
     * (MML's variants with its learners and chosen adaptation; baselines are not kept in a model that does not serve
     * them): to compare what the selection chose between.
     */
    public Function<List<String>, List<String>> rankWith(ServedMethod other) {
        if (!other.isMml() || model == null) {
            throw new IllegalArgumentException("this model ranks with " + method.label() + " and MML's variants only"
                    + (model == null ? " (it has no learners)" : ""));
        }
        // the blend chosen for mml-cf when it is served (else its default)
        MmlModel.FusedRecommender r = model.recommender(other.variant(), adaptation.steps(), adaptation.rate(),
                adaptation.blend());
        return history -> {
            lock.readLock().lock();
            try {
                requireOpen();
                Autograd.record(true);
                int[] sequence = knownIndices(history);
                return top(r.scores(sequence), sequence, 10, true, id -> true).stream().map(Scored::itemId).toList();
            } finally {
                lock.readLock().unlock();
            }
        };
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
        float[][] parts = null;
        String method;
        int steps = 0;
        double rate = 0;
        Map<String, Double> weights = new LinkedHashMap<>();
        List<PamlRates.RateSource> rateFrom = List.of();
        if (sequence.isEmpty()) {
            scores = popular.scores(new int[0]);
            method = "popularity";
        } else if (adapted == null) {
            int[] indices = sequence.stream().mapToInt(Integer::intValue).toArray();
            RankingThreads together = batches;
            scores = together != null && metaCsrBatch != null ? together.rank(metaCsrBatch, indices)
                    : baseline.scores(indices);
            method = this.method.label();
        } else {
            Autograd.record(true); // per thread: adaptation takes gradients
            int[] indices = sequence.stream().mapToInt(Integer::intValue).toArray();
            RankingThreads together = batches;
            MmlModel.FusedScores fused = together != null ? together.rank(fusedBatch, indices)
                    : adapted.fusedScores(indices);
            scores = fused.scores();
            parts = fused.contributions();
            if (fused.weights() != null) {
                for (int i = 0; i < fused.weights().length; i++) {
                    weights.put(LEARNERS[i], (double) fused.weights()[i]);
                }
            }
            method = this.method.label();
            steps = sequence.size() >= 2 ? adaptation.steps() : 0;
            rate = steps > 0 ? fused.mainRate() : 0;
            rateFrom = fused.rateFrom();
        }
        List<Scored> ranked = top(scores, sequence.stream().mapToInt(Integer::intValue).toArray(), k, excludeSeen,
                allowed);
        Map<String, Map<String, Double>> contributions = new LinkedHashMap<>();
        if (parts != null) {
            for (Scored item : ranked) {
                int index = data.itemIndex(item.itemId());
                Map<String, Double> perLearner = new LinkedHashMap<>();
                for (int l = 0; l < parts.length; l++) {
                    perLearner.put(LEARNERS[l], (double) parts[l][index]);
                }
                contributions.put(item.itemId(), perLearner);
            }
        }
        return new Ranking(ranked, method, steps, rate, used, unknown, weights, rateFrom, contributions);
    }

    /** The k best items by score, best first, without the seen ones and those not allowed (the same scores, the same list). */
    private List<Scored> top(float[] scores, int[] sequence, int k, boolean excludeSeen, Predicate<String> allowed) {
        boolean[] seen = new boolean[scores.length];
        if (excludeSeen) {
            for (int i : sequence) {
                seen[i] = true;
            }
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
        return out;
    }

    /** The fused learners' names, in the fusion layer's order. */
    private static final String[] LEARNERS = {"id", "text", "image", "collaborative", "content", "sequential"};

    /** Thrown by a model that was replaced and freed: the caller asks for the model serving now and tries again. */
    public static final class Replaced extends IllegalStateException {
        Replaced(String message) {
            super(message);
        }
    }

    /** Rankings run concurrently (each on its own adapted copy of Theta); closing waits for them. */
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private void requireOpen() {
        if (closed) {
            throw new Replaced("model " + version + " was replaced and closed");
        }
    }

    /** Frees the model's tensors once the rankings in progress are done. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                manager.close(); // no ranking thread is using it: each ranking's request holds the read lock
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
