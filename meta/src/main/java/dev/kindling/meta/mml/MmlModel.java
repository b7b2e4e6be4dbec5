package dev.kindling.meta.mml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.generator.ColdItemEmbeddings;
import dev.kindling.generator.ItemEmbeddingGenerator;
import dev.kindling.generator.NeighbourTable;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.Recommender;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.baseline.CollaborativeLists;
import dev.kindling.meta.baseline.ContentKnnRecommender;
import dev.kindling.meta.baseline.NeighbourLists;
import dev.kindling.meta.baseline.SequentialRules;
import dev.kindling.meta.learners.FeatureLearner;
import dev.kindling.meta.learners.FusionLayer;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.InnerLoop;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.paml.PamlLearningRate;
import dev.kindling.meta.paml.PamlRates;
import dev.kindling.meta.paml.UserRateMemory;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MML (section 4), the model: the learner group (feature-aware ID learner, text and image auxiliary learners), the
 * cold-start item embedding generator (Eq. 14-17) and the fusion layer (Eq. 9-13), and ranking with them (adapt each
 * learner to the user's support, fuse). {@link MmlTraining} trains it; {@link #restore} puts saved parameters back.
 * Beyond the paper, and measured as its own variant ({@link Variant#CF}), a collaborative learner (EASE or item-kNN
 * scores over the old users' interactions), content similarity ({@link ContentKnnRecommender} over the text vectors)
 * and sequential rules ({@link SequentialRules} over the old users' sequences) join the learners as fourth to sixth
 * members, weighed by {@link BlendWeights} chosen on held-out new users (models saved before 2026-12-02 fuse the first
 * four with an attention layer of their own; models saved before the rules have none, and their member is zero).
 *
 * <p>The parameter groups are package-private fields because {@link MmlTraining} sets them, stage by stage.
 */
public final class MmlModel {

    /**
     * PAML for the main learner's inner loop.
     *
     * @param memory     where seen users' embeddings and rates are kept (the index's {@code users} collection)
     * @param neighbours K nearest users
     * @param delta      the Gaussian kernel's delta
     * @param rate       Adam's learning rate for the rate MLP
     * @param regularisation REG-PAML's gamma (0: plain PAML)
     */
    public record Paml(UserRateMemory memory, int neighbours, double delta, double rate, double regularisation) {
        public Paml(UserRateMemory memory, int neighbours, double delta, double rate) {
            this(memory, neighbours, delta, rate, 0);
        }

        /** What {@code kindling train --paml} uses and serving reads back: K = 10, delta = 1, Adam 1e-3. */
        public static Paml defaults(UserRateMemory memory) {
            return new Paml(memory, 10, 1.0, 1e-3);
        }
    }

    /** MML's variants, each a way of ranking with the same trained model. */
    public enum Variant {
        /** The paper's MML: three learners fused, generated embeddings for cold items. */
        MML("mml"),
        /** Ablation: no generated embeddings (cold items keep their untrained ID embeddings). */
        NO_GEN("mml-no-gen"),
        /** Ablation: the main learner alone (with generated embeddings). */
        NO_FUSION("mml-no-fusion"),
        /** MML with PAML's per-user rates for the main learner (a model trained with PAML). */
        PAML("mml-paml"),
        /** Beyond the paper: MML's learners and a collaborative learner, blended ({@link BlendWeights}). */
        CF("mml-cf");

        private final String label;

        Variant(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Variant of(String label) {
            for (Variant v : values()) {
                if (v.label.equals(label)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("unknown MML variant '" + label + "'");
        }
    }

    /**
     * What a model is built with beyond its data.
     *
     * @param neighbours the generator's neighbours (Eq. 14), normally found through the vector index
     *                   ({@link NeighbourTable#fromIndex}); null: computed exactly from the features
     * @param paml       PAML's per-user inner rates for the main learner (training and restoring); null: a fixed rate
     */
    public record Setup(NeighbourTable neighbours, Paml paml, int[] removed) {
        public static final Setup NONE = new Setup(null, null, new int[0]);

        public Setup withNeighbours(NeighbourTable table) {
            return new Setup(table, paml, removed);
        }

        public Setup withPaml(Paml p) {
            return new Setup(neighbours, p, removed);
        }

        /** Item indices deleted from the catalogue since the data set was made: adaptation leaves them out. */
        public Setup withRemoved(int[] items) {
            return new Setup(neighbours, paml, items.clone());
        }
    }

    /** Hidden size of PAML's rate MLP alpha'. */
    static final int PAML_HIDDEN = 32;
    /** Saved with the generator: 1 for the items whose ID embeddings were trained (the others are generated). */
    private static final String TRAINED_ITEMS = "gen.trained";
    /** The parameter group of the sequential rules. */
    private static final String SEQUENTIAL = "sequential";

    /** The collaborative learner for serving (fitted on every old user); null without. */
    NeighbourLists collaborative;
    /** The sequential rules of the collaborative variant (fitted on every old user); null in models saved before. */
    SequentialRules sequential;
    /** Content similarity over this model's text vectors, made when restored or on first use by {@link Variant#CF}. */
    private volatile ContentMember content;
    /** The attention fusion of the collaborative variant in models saved before its blend; null in newer ones. */
    private Params cfFusionParams;
    PamlRates pamlRates;

    private final Setup setup;
    final MetaDataset data;
    private final ItemFeatures features;
    final LearnerConfig config;
    final Scalars s;
    final NDManager manager;
    final IdLearner main;
    final FeatureLearner text;
    final FeatureLearner image;
    final ItemEmbeddingGenerator generator;
    final FusionLayer fusion;
    private final Tasks tasks;
    Params mainParams;
    Params textParams;
    Params imageParams;
    Params generatorParams;
    Params fusionParams;
    /** The generator in use, over its neighbour table (set by {@link #useNeighbours}). */
    ColdItemEmbeddings coldItems;
    NDArray warmTable;
    /** Per item index: whether its ID embedding was trained (seen by the learner users); the others are generated. */
    private final boolean[] trained;
    /**
     * The text and image learners with their item vectors computed once ({@link FeatureLearner#frozen}), made when the
     * learners stop training (stage 3, restore); null while they still train.
     */
    private FeatureLearner frozenText;
    private FeatureLearner frozenImage;

    public MmlModel(MetaDataset data, ItemFeatures features, LearnerConfig config, Scalars s, NDManager manager) {
        this(data, features, config, s, manager, Setup.NONE);
    }

    public MmlModel(MetaDataset data, ItemFeatures features, LearnerConfig config, Scalars s, NDManager manager,
                    Setup setup) {
        this.setup = setup;
        this.data = data;
        this.features = features;
        this.config = config;
        this.s = s;
        this.manager = manager;
        DataType type = s.type();
        this.main = new IdLearner(config, data.itemCount(), true, manager, type);
        NDArray allText = features.hasImage().onesLike();
        this.text = new FeatureLearner(config, features.text(), allText, manager, type);
        this.image = new FeatureLearner(config, features.image(), features.hasImage(), manager, type);
        this.generator = new ItemEmbeddingGenerator(List.of("text", "image"),
                List.of((int) features.text().getShape().get(1), (int) features.image().getShape().get(1)),
                config.hidden());
        this.fusion = new FusionLayer(config.maxLength(), config.hidden(), 128);
        this.tasks = Tasks.forLearner(config, features, data.itemCount(), type).without(setup.removed());
        this.trained = data.oldItems();
    }

    public Setup setup() {
        return setup;
    }

    NeighbourTable neighbourTable(int count) {
        return setup.neighbours() != null ? setup.neighbours() : NeighbourTable.build(features.vectors(), trained, count, manager,
                i -> true);
    }

    private NDArray trainedMask() {
        float[] mask = new float[trained.length];
        for (int i = 0; i < trained.length; i++) {
            mask[i] = trained[i] ? 1f : 0f;
        }
        return manager.create(mask);
    }

    public Tasks tasks() {
        return tasks;
    }

    /** The trained parameters by group (main, text, image, generator, fusion and, with PAML, paml). */
    public Map<String, Params> parameters() {
        Map<String, Params> out = new LinkedHashMap<>();
        out.put("main", mainParams);
        out.put("text", textParams);
        out.put("image", imageParams);
        out.put("generator", generatorParams.with(new Params().put(TRAINED_ITEMS, trainedMask())));
        out.put("fusion", fusionParams);
        if (pamlRates != null) {
            out.put("paml", pamlRates.params());
        }
        if (collaborative != null) {
            out.put("collaborative", CollaborativeLists.toParams(collaborative, manager));
            if (cfFusionParams != null) {
                out.put("fusion-cf", cfFusionParams);
            }
            if (sequential != null) {
                out.put(SEQUENTIAL, CollaborativeLists.toParams(sequential.rules(), manager));
            }
        }
        return out;
    }

    /**
     * Puts saved parameters back (see {@link ModelDirectory}); the neighbour table is rebuilt from the features. When
     * this data set has more items than the model was trained on (items added since, appended after the model's own),
     * those items get generated ID embeddings (Eq. 15-17) on both sides, as inputs and as candidates: they can be
     * recommended without retraining.
     */
    public void restore(Map<String, Params> groups, int neighbourCount) {
        restore(groups, neighbourCount, null, new int[0]);
    }

    /**
     * {@link #restore} after a catalogue change: {@code previous} restored the same parameters over the catalogue
     * before it (this data set has its items, in its order, then the added ones), and what it computed is reused for
     * every item but the changed ones: the feature learners' item vectors and the generated ID embeddings. The
     * neighbour rows come from the setup ({@link Setup#withNeighbours}).
     *
     * @param changed the item indices whose vectors changed or that were added
     */
    public void restoreAfter(Map<String, Params> groups, MmlModel previous, int[] changed) {
        if (previous.data.itemCount() > data.itemCount() || setup.neighbours() == null) {
            throw new IllegalArgumentException("a catalogue change restores over the items before it, with neighbours");
        }
        restore(groups, 0, previous, changed);
    }

    private void restore(Map<String, Params> groups, int neighbourCount, MmlModel previous, int[] changed) {
        mainParams = groups.get("main");
        NDArray table = mainParams.get("item.emb");
        int modelItems = (int) table.getShape().get(0) - 1;
        if (modelItems > data.itemCount()) {
            throw new IllegalArgumentException("the model has " + modelItems + " items, the data set only "
                    + data.itemCount());
        }
        if (modelItems < data.itemCount()) {
            NDArray pad = table.getManager().zeros(new Shape(data.itemCount() - modelItems, table.getShape().get(1)),
                    table.getDataType());
            mainParams.put("item.emb", table.concat(pad, 0));
        }
        textParams = groups.get("text");
        imageParams = groups.get("image");
        Params savedGenerator = groups.get("generator");
        Arrays.fill(trained, false);
        if (savedGenerator.has(TRAINED_ITEMS)) {
            // the items whose ID embeddings were trained, as saved (items added since were not)
            float[] mask = savedGenerator.get(TRAINED_ITEMS).toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 1; i < Math.min(mask.length, trained.length); i++) {
                trained[i] = mask[i] > 0;
            }
        } else {
            // models saved before the fusion users were held out trained on every old user's items
            for (UserSequence u : data.oldUsers()) {
                for (int i : u.items()) {
                    trained[i] = i <= modelItems;
                }
            }
        }
        generatorParams = savedGenerator.select(n -> !n.equals(TRAINED_ITEMS));
        fusionParams = groups.get("fusion");
        if (groups.containsKey("collaborative")) {
            collaborative = previous != null && previous.collaborative != null
                    ? previous.collaborative.withItemCount(data.itemCount())
                    : CollaborativeLists.fromParams(groups.get("collaborative"), data.itemCount());
            cfFusionParams = groups.get("fusion-cf");
            sequential = previous != null && previous.sequential != null
                    ? previous.sequential.withItemCount(data.itemCount())
                    : groups.containsKey(SEQUENTIAL) ? new SequentialRules(CollaborativeLists.fromParams(
                            groups.get(SEQUENTIAL), data.itemCount())) : null;
            contentMember(); // now, not in the first ranking after a load or a catalogue change
        }
        // Serving generates embeddings only for items never seen in D_old: only their rows are needed.
        useNeighbours(setup.neighbours() != null ? setup.neighbours()
                : NeighbourTable.build(features.vectors(), trained, neighbourCount, manager, i -> !trained[i]));
        // Eq. 15-17: the warm table (generated rows for the items never seen in D_old) and the candidates' table
        // (generated rows for the items added since training); after a catalogue change only the changed rows.
        int rows = data.itemCount() + 1;
        NDArray warmBase = previous == null ? mainParams.get("item.emb") : extendRows(previous.warmTable, rows);
        NDArray candidateBase = previous == null ? mainParams.get("item.emb")
                : extendRows(previous.mainParams.get("item.emb"), rows);
        int[] cold = previous == null ? IntStream.range(1, rows).filter(i -> !trained[i]).toArray()
                : IntStream.of(changed).filter(i -> !trained[i]).toArray();
        int[] added = IntStream.of(previous == null ? IntStream.range(1, rows).toArray() : changed)
                .filter(i -> i > modelItems).toArray();
        warmTable = coldItems.warmDetached(generatorParams, warmBase, cold);
        if (modelItems < data.itemCount()) {
            mainParams.put("item.emb", coldItems.warmDetached(generatorParams, candidateBase, added));
        }
        if (groups.containsKey("paml") && setup.paml() != null) {
            // base rate 1 is only an initial value, unused here: the trained MLP parameters are restored.
            PamlLearningRate paml = new PamlLearningRate(PAML_HIDDEN, setup.paml().delta(), 1);
            pamlRates = new PamlRates(paml, groups.get("paml"), setup.paml().memory(), main, mainParams,
                    setup.paml().neighbours(), setup.paml().rate(), s, manager);
        }
        if (previous == null) {
            freezeFeatureVectors();
        } else {
            releaseFeatureVectors();
            frozenText = text.frozen(textParams, previous.frozenText, changed);
            frozenImage = image.frozen(imageParams, previous.frozenImage, changed);
        }
    }

    /** A copy of the table in this model's memory with zero rows appended up to {@code rows}. */
    private NDArray extendRows(NDArray table, int rows) {
        long d = table.getShape().get(1);
        float[] values = Arrays.copyOf(table.toType(DataType.FLOAT32, false).toFloatArray(), (int) (rows * d));
        return manager.create(values, new Shape(rows, d)).toType(table.getDataType(), false);
    }

    /** The generator's neighbour rows in use (after {@link #restore}: the rows of the items it generates for). */
    public NeighbourTable neighbours() {
        return coldItems.neighbours();
    }

    /** Per item index, whether its ID embedding was trained (the others are generated); a copy. */
    public boolean[] trainedItems() {
        return trained.clone();
    }

    /** Whether the main learner adapts at per-user PAML rates (trained with PAML and restored with its memory). */
    public boolean hasPaml() {
        return pamlRates != null;
    }

    void freezeFeatureVectors() {
        releaseFeatureVectors();
        frozenText = text.frozen(textParams);
        frozenImage = image.frozen(imageParams);
    }

    void releaseFeatureVectors() {
        if (frozenText != null) {
            frozenText.release();
            frozenImage.release();
            frozenText = null;
            frozenImage = null;
        }
    }

    /** The main, text and image learners to rank with: the feature learners frozen once training is over. */
    private SequenceLearner[] rankingLearners() {
        return frozenText == null ? new SequenceLearner[] {main, text, image}
                : new SequenceLearner[] {main, frozenText, frozenImage};
    }

    /** Generated ID embeddings (Eq. 15-17) for the given item indices: [count, d]. */
    public NDArray generated(int[] items) {
        return coldItems.generated(generatorParams, items);
    }

    /**
     * The main learner's item table with generated rows for every item never seen in D_old (the cold-start items of
     * 4.3); the trained model's recommenders use it on both sides (see {@link #recommender}).
     */
    NDArray warmTable() {
        int[] fresh = IntStream.rangeClosed(1, data.itemCount()).filter(i -> !trained[i]).toArray();
        return coldItems.warm(generatorParams, mainParams.get("item.emb").stopGradient(), fresh);
    }

    /** The generator's neighbours (Eq. 14) from now on. */
    void useNeighbours(NeighbourTable table) {
        coldItems = new ColdItemEmbeddings(generator, table, features.vectors(), s);
    }

    /**
     * The learners' outputs for a batch of users: F^L of each learner [users, n, d] and its scores over all items at
     * the last position [users, items + 1] (Eq. 7-8), after {@code steps} inner steps on each user's support.
     */
    record LearnerOutputs(NDArray[] encoded, NDArray[] scores) {
        NDArray[] scores(int learners) {
            return Arrays.copyOf(scores, learners);
        }

        NDArray[] encoded(int learners) {
            return Arrays.copyOf(encoded, learners);
        }

        /**
         * With the collaborative learner's scores as a fourth member and, when {@code content} is given, content
         * similarity's as a fifth and the sequential rules' as a sixth (zeros when {@code rules} is null: a model
         * saved before them). None has a sequence output, so their F is zero (in the attention fusion of models saved
         * before {@link BlendWeights}, the collaborative learner's logit is the fusion MLP's bias).
         */
        LearnerOutputs withCollaborative(NeighbourLists cf, NDArray content, SequentialRules rules, List<int[]> users,
                                         NDManager manager) {
            NDArray none = manager.zeros(new Shape(users.size(), 1, encoded[0].getShape().get(2)),
                    encoded[0].getDataType());
            int members = content == null ? 4 : BlendWeights.MEMBERS;
            NDArray[] out = Arrays.copyOf(scores, members);
            NDArray[] e = Arrays.copyOf(encoded, members);
            out[3] = matrix(cf.scores(users), manager);
            e[3] = none;
            if (content != null) {
                out[4] = content.toType(scores[0].getDataType(), false);
                e[4] = none;
                out[5] = rules == null ? manager.zeros(out[3].getShape(), out[3].getDataType())
                        : matrix(rules.scores(users), manager);
                e[5] = none;
            }
            return new LearnerOutputs(e, out);
        }

        private NDArray matrix(List<float[]> rows, NDManager manager) {
            int width = rows.get(0).length;
            float[] flat = new float[rows.size() * width];
            for (int u = 0; u < rows.size(); u++) {
                System.arraycopy(rows.get(u), 0, flat, u * width, width);
            }
            return manager.create(flat, new Shape(rows.size(), width)).toType(scores[0].getDataType(), false);
        }
    }

    /**
     * The three learners (or the main one alone) adapted to each user in one batch and run on each user's recent
     * window. The main learner uses generated embeddings for cold items on both sides when {@code generated}.
     *
     * @param mainRates per user, the main learner's rate (PAML's); null: {@code rate} for everyone
     */
    private LearnerOutputs learnerOutputs(List<int[]> users, int steps, double rate, boolean all, boolean generated,
                                          double[] mainRates, NDManager sub) {
        return learnerOutputs(users, new int[] {steps}, rate, all, generated, mainRates, null, sub).get(0);
    }

    /**
     * {@link #learnerOutputs} after each of several step counts (ascending), from one adaptation per learner.
     *
     * @param skipped per learner (ID, text, image), true where its outputs will be weighed by 0 (a blend's weight):
     *                it is neither adapted nor run, and its F and scores are zeros (null: run every learner)
     */
    private List<LearnerOutputs> learnerOutputs(List<int[]> users, int[] stepCounts, double rate, boolean all,
                                                boolean generated, double[] mainRates, boolean[] skipped,
                                                NDManager sub) {
        Params mainP = generated
                ? mainParams.with(new Params().put(IdLearner.INPUT_TABLE, warmTable).put("item.emb", warmTable))
                : mainParams;
        SequenceLearner[] learners = rankingLearners();
        Params[] base = {mainP, textParams, imageParams};
        int count = all ? 3 : 1;
        int maxSteps = stepCounts[stepCounts.length - 1];
        boolean adapt = maxSteps > 0 && users.stream().anyMatch(u -> u.length >= 2);
        SequenceBatch support = adapt ? tasks.adaptations(users, sub) : null;
        SequenceBatch batch = tasks.batch(users.stream().map(tasks::recentWindow).toList(), sub);
        long n = batch.length();
        NDArray[][] encoded = new NDArray[stepCounts.length][count];
        NDArray[][] scores = new NDArray[stepCounts.length][count];
        for (int i = 0; i < count; i++) {
            if (skipped != null && skipped[i]) {
                for (int c = 0; c < stepCounts.length; c++) {
                    encoded[c][i] = sub.zeros(new Shape(users.size(), n, config.hidden()), s.type());
                    scores[c][i] = sub.zeros(new Shape(users.size(), data.itemCount() + 1), s.type());
                }
                continue;
            }
            Params p = base[i].detached();
            List<Params> thetas = null;
            if (adapt) {
                NDArray r = i == 0 && mainRates != null ? sub.create(mainRates).toType(s.type(), false)
                        : s.temporary(rate, sub);
                thetas = new InnerLoop(learners[i], maxSteps).adaptForRanking(p, support, r, stepCounts, s, sub);
            }
            for (int c = 0; c < stepCounts.length; c++) {
                Params at = thetas == null || stepCounts[c] == 0 ? p : p.with(thetas.get(c));
                encoded[c][i] = learners[i].encode(at, batch, false, s);
                scores[c][i] = encoded[c][i].get(":, " + (n - 1) + ", :").matMul(learners[i].allItemVectors(at)
                        .transpose());
            }
        }
        List<LearnerOutputs> out = new ArrayList<>();
        for (int c = 0; c < stepCounts.length; c++) {
            out.add(new LearnerOutputs(encoded[c], scores[c]));
        }
        return out;
    }

    LearnerOutputs learnerOutputs(List<int[]> users, int steps, double rate, boolean generated, NDManager sub) {
        return learnerOutputs(users, steps, rate, true, generated, null, sub);
    }

    /**
     * A recommender for one of MML's variants. Deterministic: adaptation samples nothing and ranking has no dropout,
     * so the same user always gets the same scores.
     */
    public FusedRecommender recommender(Variant variant, int steps, double rate) {
        return recommender(variant, steps, rate, null);
    }

    /**
     * @param blend how {@link Variant#CF} weighs its members (null: the attention layer of a model saved with one,
     *              else {@link BlendWeights#EQUAL}); the other variants ignore it
     */
    public FusedRecommender recommender(Variant variant, int steps, double rate, BlendWeights blend) {
        if (variant == Variant.PAML && pamlRates == null) {
            throw new IllegalStateException("mml-paml needs a model trained with PAML");
        }
        if (variant == Variant.CF && collaborative == null) {
            throw new IllegalStateException("mml-cf needs a model trained with the collaborative learner");
        }
        return new FusedRecommender() {
            @Override
            public FusedScores fusedScores(int[] sequence) {
                return rankAt(List.of(sequence), new int[] {steps}, rate, variant, blend).get(0).get(0);
            }

            @Override
            public List<FusedScores> fusedScores(List<int[]> sequences) {
                return rankAt(sequences, new int[] {steps}, rate, variant, blend).get(0);
            }
        };
    }

    /** The variants this trained model can rank with. */
    public List<Variant> variants() {
        List<Variant> out = new ArrayList<>(List.of(Variant.MML, Variant.NO_GEN, Variant.NO_FUSION));
        if (pamlRates != null) {
            out.add(Variant.PAML);
        }
        if (collaborative != null) {
            out.add(Variant.CF);
        }
        return out;
    }

    /**
     * MML's fused scores of a user after each of the given numbers of inner steps (ascending) at this rate, from one
     * adaptation: what serving would answer with each J, for the cost of the largest (see {@link AdaptationTuning}).
     */
    public List<FusedScores> fusedScoresAtSteps(int[] sequence, int[] stepCounts, double rate) {
        return fusedScoresAtSteps(List.of(sequence), stepCounts, rate, Variant.MML).stream().map(c -> c.get(0)).toList();
    }

    /** {@link #fusedScoresAtSteps} of several users in one batch: [checkpoint][user]. */
    public List<List<FusedScores>> fusedScoresAtSteps(List<int[]> users, int[] stepCounts, double rate,
                                                      Variant variant) {
        return rankAt(users, stepCounts, rate, variant, null);
    }

    /**
     * The members of {@link Variant#CF} for a batch of users after each of the step counts (ascending), from one
     * adaptation: each member's standardised scores p' (Eq. 9) in the order ID, text, image, collaborative, content,
     * sequential, [checkpoint][user][member][item]. A blend of them is {@link BlendWeights}' weighted sum (what
     * {@link AdaptationTuning} searches).
     */
    public List<List<float[][]>> standardisedMembersAtSteps(List<int[]> users, int[] stepCounts, double rate) {
        if (collaborative == null) {
            throw new IllegalStateException("mml-cf needs a model trained with the collaborative learner");
        }
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            List<List<float[][]>> out = new ArrayList<>();
            for (LearnerOutputs outputs : learnerOutputs(users, stepCounts, rate, true, true, null, null, sub)) {
                NDArray pPrime = standardisedMembers(outputs, users, sub);
                List<float[][]> row = new ArrayList<>();
                for (int u = 0; u < users.size(); u++) {
                    row.add(rowsOf(pPrime.get(u)));
                }
                out.add(row);
            }
            return out;
        }
    }

    /** Eq. 9 over the six members of {@link Variant#CF}: p' [users, 6, items + 1]. */
    private NDArray standardisedMembers(LearnerOutputs outputs, List<int[]> users, NDManager sub) {
        return fusion.standardisedScores(outputs.withCollaborative(collaborative, contentScores(users, sub), sequential,
                users, sub).scores(BlendWeights.MEMBERS), s);
    }

    /**
     * Content similarity ({@link ContentKnnRecommender}) with its centred unit vectors as a tensor of the model's manager,
     * [d, items + 1] (null when no item has a text), so that a batch of users is one matrix product.
     */
    private record ContentMember(ContentKnnRecommender similarity, NDArray columns) {
    }

    private ContentMember contentMember() {
        ContentMember c = content;
        if (c == null) {
            synchronized (this) {
                if (content == null) {
                    ContentKnnRecommender made = new ContentKnnRecommender(features.textRows());
                    NDArray columns = null;
                    if (made.dimension() > 0) {
                        // a copy that owns its memory: create() views a Java buffer that the scope asking first
                        // closes, and toType to the same type returns a view of it (read after the buffer was freed,
                        // mml-cf's content scores turned to garbage and its NDCG to 0 within an evaluation); the
                        // buffer's array and its typed view go with the temporary manager
                        try (NDManager temporary = manager.newSubManager()) {
                            columns = temporary.create(made.centredColumns(), new Shape(made.dimension(), made.rows()))
                                    .toType(s.type(), false).duplicate();
                            columns.attach(manager);
                        }
                        NDScope.unregister(columns); // owned by the model, not by the scope that first asks for it
                    }
                    content = new ContentMember(made, columns);
                }
                c = content;
            }
        }
        return c;
    }

    /** Content similarity's scores of a batch of users [users, items + 1]: their mean centred vectors times the table. */
    private NDArray contentScores(List<int[]> users, NDManager sub) {
        ContentMember c = contentMember();
        if (c.columns() == null) { // no item has a text: no evidence for any
            return sub.zeros(new Shape(users.size(), c.similarity().rows()), s.type());
        }
        int d = c.similarity().dimension();
        float[] means = new float[users.size() * d];
        for (int u = 0; u < users.size(); u++) {
            System.arraycopy(c.similarity().supportMean(users.get(u)), 0, means, u * d, d);
        }
        return sub.create(means, new Shape(users.size(), d)).toType(s.type(), false).matMul(c.columns());
    }

    /** Scores of a batch of users after each of the step counts (ascending), [checkpoint][user]. */
    private List<List<FusedScores>> rankAt(List<int[]> users, int[] stepCounts, double rate, Variant variant,
                                           BlendWeights blend) {
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            boolean generated = variant != Variant.NO_GEN;
            boolean fused = variant != Variant.NO_FUSION;
            double[] mainRates = new double[users.size()];
            Arrays.fill(mainRates, rate);
            List<List<PamlRates.RateSource>> rateFrom = new ArrayList<>();
            for (int u = 0; u < users.size(); u++) {
                List<PamlRates.RateSource> from = List.of();
                if (pamlRates != null && users.get(u).length >= 2) {
                    PamlRates.UserRate personal = pamlRates.rateFor(null, tasks.adaptation(users.get(u), sub), sub);
                    mainRates[u] = personal.rate();
                    from = personal.from();
                }
                rateFrom.add(from);
            }
            List<List<FusedScores>> out = new ArrayList<>();
            boolean blended = variant == Variant.CF && (blend != null || cfFusionParams == null);
            // a learner the blend weighs by 0 changes no score: it is not run (a third less work per request when,
            // as on ml-latest-small, the image learner's weight is 0)
            double[] b = blended ? (blend == null ? BlendWeights.EQUAL : blend).normalised() : null;
            boolean[] skipped = blended ? new boolean[] {b[0] == 0, b[1] == 0, b[2] == 0} : null;
            List<LearnerOutputs> byStep = learnerOutputs(users, stepCounts, rate, fused, generated,
                    pamlRates != null ? mainRates : null, skipped, sub);
            for (int c = 0; c < stepCounts.length; c++) {
                LearnerOutputs outputs = byStep.get(c);
                float[][] scores;
                float[][] weights = null;
                NDArray parts = null;
                if (!fused) {
                    scores = rowsOf(outputs.scores()[0]);
                } else {
                    NDArray a;
                    NDArray pPrime;
                    NDArray fusedScores;
                    if (blended) {
                        // Eq. 13 with fixed weights: b_l p'_l summed over the six members
                        pPrime = standardisedMembers(outputs, users, sub);
                        a = sub.create(b).toType(s.type(), false).expandDims(0).repeat(0, users.size());
                        fusedScores = a.expandDims(1).matMul(pPrime).squeeze(1);
                    } else {
                        LearnerOutputs in = variant == Variant.CF
                                ? outputs.withCollaborative(collaborative, null, null, users, sub) : outputs;
                        int count = variant == Variant.CF ? 4 : 3;
                        NDList f = fusion.forward(variant == Variant.CF ? cfFusionParams : fusionParams,
                                in.scores(count), in.encoded(count), s);
                        a = f.get(1);
                        pPrime = f.get(2);
                        fusedScores = f.get(0);
                    }
                    scores = rowsOf(fusedScores);
                    weights = rowsOf(a);
                    parts = a.expandDims(2).mul(pPrime); // Eq. 13 term by term: a_l p'_l [users, L, c]
                }
                List<FusedScores> row = new ArrayList<>();
                for (int u = 0; u < users.size(); u++) {
                    boolean adapted = stepCounts[c] > 0 && users.get(u).length >= 2;
                    float[][] contributions = null;
                    if (parts != null) {
                        int learners = (int) parts.getShape().get(1);
                        float[] flat = parts.get(u).toType(DataType.FLOAT32, false).toFloatArray();
                        int items = flat.length / learners;
                        contributions = new float[learners][];
                        for (int l = 0; l < learners; l++) {
                            contributions[l] = Arrays.copyOfRange(flat, l * items, (l + 1) * items);
                        }
                    }
                    row.add(new FusedScores(scores[u], weights == null ? null : weights[u], contributions,
                            adapted ? mainRates[u] : 0, rateFrom.get(u)));
                }
                out.add(row);
            }
            return out;
        }
    }

    private static float[][] rowsOf(NDArray matrix) {
        return AdaptedRecommender.rows(matrix).toArray(new float[0][]);
    }

    /**
     * Scores over all items and how they were made.
     *
     * @param weights  the fusion layer's attention weights over the ID, text and image learners and, in
     *                 {@link Variant#CF}, the collaborative one (Eq. 12-13; null without fusion)
     * @param contributions per learner (the order of the weights), each item's part of its fused score, a_l p'_l
     *                 (Eq. 13's terms; they sum to the fused score); null without fusion
     * @param mainRate the main learner's inner rate for this user (PAML's alpha(h_i) when the model has PAML; 0 when
     *                 the user was not adapted to)
     * @param rateFrom the remembered users PAML's rate came from (empty without PAML)
     */
    public record FusedScores(float[] scores, float[] weights, float[][] contributions, double mainRate,
                              List<PamlRates.RateSource> rateFrom) {
    }

    /** A recommender that can also say how much each learner counted for this user. */
    public interface FusedRecommender extends Recommender {
        FusedScores fusedScores(int[] sequence);

        /** Several users ranked as one batch (each adapted to its own support), in their order. */
        List<FusedScores> fusedScores(List<int[]> sequences);

        @Override
        default List<float[]> scores(List<int[]> sequences) {
            return fusedScores(sequences).stream().map(FusedScores::scores).toList();
        }

        @Override
        default float[] scores(int[] sequence) {
            return fusedScores(sequence).scores();
        }
    }

    /**
     * A user's embedding h: the main learner's output at the last position of the user's recent window (global
     * parameters, generated embeddings for cold items, no dropout); PAML's h_i and what similar users are found by.
     */
    public int userDimension() {
        return config.hidden();
    }

    public float[] userEmbedding(int[] sequence) {
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            Params p = mainParams.with(new Params().put(IdLearner.INPUT_TABLE, warmTable)).detached();
            SequenceBatch batch = tasks.batch(List.of(tasks.recentWindow(sequence)), sub);
            NDArray encoded = main.encode(p, batch, false, s);
            return encoded.get("0, " + (batch.length() - 1) + ", :").toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

}
