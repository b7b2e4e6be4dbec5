package dev.kindling.meta;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.generator.ItemEmbeddingGenerator;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Layers;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MML (section 4) put together: the learner group (feature-aware ID learner, text and image auxiliary learners), the
 * cold-start item embedding generator and the fusion layer, trained in three stages (4.4.2): 1. MAML for each learner,
 * 2. the generator with the main learner frozen and items "forgotten" at rate p0, 3. the fusion layer with everything
 * else frozen, cross-entropy on the next item.
 */
public final class MmlModel {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MmlModel.class);
    /** Generator training and fusion training settings. */
    public record Stages(int generatorEpochs, int fusionEpochs, double forgetRate, int neighbours, double generatorRate,
                         double fusionRate) {
        public static final Stages DEFAULT = new Stages(3, 3, 0.1, 5, 1e-3, 1e-3);
    }

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

    /** Hidden size of PAML's rate MLP alpha'. */
    private static final int PAML_HIDDEN = 32;
    private Paml pamlSettings;
    private PamlRates pamlRates;

    private NeighbourTable givenNeighbours;

    /**
     * The generator's neighbours (Eq. 14), normally found through the vector index ({@link NeighbourTable#fromIndex});
     * without this call they are computed exactly from the features.
     */
    public MmlModel withNeighbours(NeighbourTable table) {
        this.givenNeighbours = table;
        return this;
    }

    private NeighbourTable neighbourTable(int count) {
        return givenNeighbours != null ? givenNeighbours : NeighbourTable.build(features, data, count, manager);
    }

    private int pretrainEpochs;

    /**
     * Initialise each learner by plain next-item training (SASRec-style, at most {@code epochs} epochs, early-stopped on
     * the validation users when given) before its MAML stage: meta-training then starts from a useful model rather
     * than from random weights. Not in the MML paper; an option for small data sets.
     */
    public MmlModel withPretraining(int epochs) {
        this.pretrainEpochs = epochs;
        return this;
    }

    private void pretrain(String name, SequenceLearner learner, Params params, Training.MamlSettings maml, long seed) {
        if (pretrainEpochs <= 0) {
            return;
        }
        Training.Validation v = validationUsers == null ? null : Training.Validation.ofAdaptation(name + " pre-training",
                learner, tasks, maml.innerSteps(), maml.innerRate(), s, manager, seed, validationUsers, patience, 5);
        Training.pretrain(learner, params, data.oldUsers(), tasks, pretrainEpochs, 64, 1e-3, seed, s, manager, e -> { }, v);
    }

    private HeldOutUsers validationUsers;
    private int patience;

    /**
     * Early stopping of every stage on these users (the validation half of the new users, never the test half):
     * NDCG@10 of their queries after adaptation on their support.
     */
    public MmlModel withValidation(HeldOutUsers users, int patience) {
        this.validationUsers = users;
        this.patience = patience;
        return this;
    }

    private Training.Validation validation(String name, SequenceLearner learner, Training.MamlSettings maml,
                                           long seed) {
        if (validationUsers == null) {
            return null;
        }
        return Training.Validation.ofAdaptation(name, learner, tasks, maml.innerSteps(), maml.innerRate(), s, manager,
                seed, validationUsers, patience, 1);
    }

    /** Use PAML's per-user inner rates for the main learner (call before {@link #train}). */
    public MmlModel withPaml(Paml paml) {
        this.pamlSettings = paml;
        return this;
    }

    private final MetaDataset data;
    private final ItemFeatures features;
    private final LearnerConfig config;
    private final Scalars s;
    private final NDManager manager;
    private final IdLearner main;
    private final FeatureLearner text;
    private final FeatureLearner image;
    private final ItemEmbeddingGenerator generator;
    private final FusionLayer fusion;
    private final Tasks tasks;
    private Params mainParams;
    private Params textParams;
    private Params imageParams;
    private Params generatorParams;
    private Params fusionParams;
    private NeighbourTable neighbours;
    private NDArray warmTable;
    /**
     * The text and image learners with their item vectors computed once ({@link FeatureLearner#frozen}), made when the
     * learners stop training (stage 3, restore); null while they still train.
     */
    private FeatureLearner frozenText;
    private FeatureLearner frozenImage;

    public MmlModel(MetaDataset data, ItemFeatures features, LearnerConfig config, Scalars s, NDManager manager) {
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
        this.tasks = config.tasks(features, data.itemCount(), type);
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
        out.put("generator", generatorParams);
        out.put("fusion", fusionParams);
        if (pamlRates != null) {
            out.put("paml", pamlRates.params());
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
        mainParams = groups.get("main");
        NDArray table = mainParams.get("item.emb");
        int trained = (int) table.getShape().get(0) - 1;
        if (trained > data.itemCount()) {
            throw new IllegalArgumentException("the model has " + trained + " items, the data set only "
                    + data.itemCount());
        }
        if (trained < data.itemCount()) {
            NDArray pad = table.getManager().zeros(new Shape(data.itemCount() - trained, table.getShape().get(1)),
                    table.getDataType());
            mainParams.put("item.emb", table.concat(pad, 0));
        }
        textParams = groups.get("text");
        imageParams = groups.get("image");
        generatorParams = groups.get("generator");
        fusionParams = groups.get("fusion");
        // Serving generates embeddings only for items never seen in D_old: only their rows are needed.
        neighbours = givenNeighbours != null ? givenNeighbours
                : NeighbourTable.build(features, data, neighbourCount, manager, i -> !data.oldItem(i));
        warmTable = warmTable(null).stopGradient();
        if (trained < data.itemCount()) {
            int[] added = new int[data.itemCount() - trained];
            for (int i = 0; i < added.length; i++) {
                added[i] = trained + 1 + i;
            }
            NDArray candidates = mainParams.get("item.emb").get("0:" + (trained + 1)).concat(generated(added), 0);
            mainParams.put("item.emb", candidates.stopGradient());
        }
        if (groups.containsKey("paml") && pamlSettings != null) {
            // base rate 1 is only an initial value, unused here: the trained MLP parameters are restored.
            PamlLearningRate paml = new PamlLearningRate(PAML_HIDDEN, pamlSettings.delta(), 1);
            pamlRates = new PamlRates(paml, groups.get("paml"), pamlSettings.memory(), main, mainParams,
                    pamlSettings.neighbours(), pamlSettings.rate(), s, manager);
        }
        freezeFeatureVectors();
    }

    /** Whether the main learner adapts at per-user PAML rates (trained with PAML and restored with its memory). */
    public boolean hasPaml() {
        return pamlRates != null;
    }

    private void freezeFeatureVectors() {
        releaseFeatureVectors();
        frozenText = text.frozen(textParams);
        frozenImage = image.frozen(imageParams);
    }

    private void releaseFeatureVectors() {
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

    /** All three stages. */
    public void train(Training.MamlSettings maml, Stages stages, long seed, Consumer<String> progress) {
        releaseFeatureVectors();
        mainParams = main.initialise(seed);
        textParams = text.initialise(seed + 1);
        imageParams = image.initialise(seed + 2);
        pretrain("main learner", main, mainParams, maml, seed);
        pretrain("text learner", text, textParams, maml, seed + 1);
        pretrain("image learner", image, imageParams, maml, seed + 2);
        if (pamlSettings == null) {
            Training.metaTrain(main, mainParams, data.oldUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s), seed,
                    s, manager, e -> { }, validation("main learner", main, maml, seed));
        } else {
            PamlLearningRate paml = new PamlLearningRate(PAML_HIDDEN, pamlSettings.delta(), maml.innerRate());
            pamlRates = new PamlRates(paml, paml.initialise(config.hidden(), manager, s.type(), seed + 7),
                    pamlSettings.memory(), main, mainParams, pamlSettings.neighbours(), pamlSettings.rate(), s, manager)
                    .withRegularisation(pamlSettings.regularisation());
            Training.metaTrain(main, mainParams, data.oldUsers(), tasks, maml, pamlRates, seed, s, manager, e -> { },
                    validation("main learner (PAML)", main, maml, seed));
        }
        progress.accept("stage 1: main learner meta-trained" + (pamlSettings == null ? "" : " with PAML rates"));
        Training.metaTrain(text, textParams, data.oldUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s),
                seed + 1, s, manager, e -> { }, validation("text learner", text, maml, seed));
        Training.metaTrain(image, imageParams, data.oldUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s),
                seed + 2, s, manager, e -> { }, validation("image learner", image, maml, seed));
        progress.accept("stage 1: auxiliary learners meta-trained");
        neighbours = neighbourTable(stages.neighbours());
        generatorParams = generator.initialise(manager, s.type(), seed + 3);
        trainGenerator(stages, seed);
        progress.accept("stage 2: generator trained");
        warmTable = warmTable(null).stopGradient();
        freezeFeatureVectors();
        fusionParams = fusion.initialise(manager, s.type(), seed + 4);
        trainFusion(stages, seed, maml);
        progress.accept("stage 3: fusion trained");
    }

    /** Generated ID embeddings (Eq. 15-17) for the given item indices: [count, d]. */
    NDArray generated(int[] items) {
        int k = neighbours.of(items[0]).length;
        long[] query = new long[items.length];
        long[] nb = new long[items.length * k];
        for (int i = 0; i < items.length; i++) {
            query[i] = items[i];
            int[] row = neighbours.of(items[i]);
            for (int j = 0; j < k; j++) {
                nb[i * k + j] = row[j];
            }
        }
        NDManager m = features.text().getManager();
        NDArray q = m.create(query);
        NDArray n = m.create(nb, new Shape(items.length, k));
        return generator.generate(generatorParams, List.of(features.text().get(q), features.image().get(q)),
                List.of(features.text().get(n), features.image().get(n)),
                List.of(features.hasImage().get(q).onesLike(), features.hasImage().get(q)), s);
    }

    /**
     * The main learner's item table with generated rows for the given items (or, when null, for every item never seen
     * in D_old: the cold-start items of 4.3). In stages 2 and 3 it replaces the table on the input side only (the
     * forgotten items of a batch); the trained model's recommenders use it on both sides (see {@link #recommender}).
     */
    NDArray warmTable(int[] forgotten) {
        int[] items = forgotten;
        if (items == null) {
            List<Integer> fresh = new ArrayList<>();
            for (int i = 1; i <= data.itemCount(); i++) {
                if (!data.oldItem(i)) {
                    fresh.add(i);
                }
            }
            items = fresh.stream().mapToInt(Integer::intValue).toArray();
        }
        NDArray table = mainParams.get("item.emb").stopGradient();
        if (items.length == 0) {
            return table;
        }
        NDArray gen = generated(items);
        float[] keep = new float[data.itemCount() + 1];
        java.util.Arrays.fill(keep, 1f);
        float[] scatter = new float[(data.itemCount() + 1) * items.length];
        for (int i = 0; i < items.length; i++) {
            keep[items[i]] = 0f;
            scatter[items[i] * items.length + i] = 1f;
        }
        NDManager m = gen.getManager();
        NDArray keepMask = m.create(keep).toType(s.type(), false).reshape(-1, 1);
        NDArray place = m.create(scatter, new Shape(data.itemCount() + 1, items.length)).toType(s.type(), false);
        return table.mul(keepMask).add(place.matMul(gen));
    }

    private int[] forget(SequenceBatch batch, double rate, Random random) {
        Set<Integer> distinct = new HashSet<>();
        for (long id : batch.items().toLongArray()) {
            if (id != 0) {
                distinct.add((int) id);
            }
        }
        for (long id : batch.positives().toLongArray()) {
            if (id != 0) {
                distinct.add((int) id);
            }
        }
        List<Integer> chosen = new ArrayList<>();
        for (int id : distinct) {
            if (random.nextDouble() < rate) {
                chosen.add(id);
            }
        }
        if (chosen.isEmpty()) {
            chosen.add(distinct.iterator().next());
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Stage 2: the frozen main learner's loss (the paper's BPR, or the learner's own) with the embeddings of the
     * "forgotten" items of each batch generated. The generated rows replace the forgotten items on both sides, as
     * inputs and as candidates, because that is how they are used afterwards: trained on the input side only (the
     * paper's 4.3), they were never compared with trained candidates and, unscaled, took the top of new users'
     * rankings (29% of the top-10 slots for 3.4% of the items, issue 12).
     */
    private void trainGenerator(Stages stages, long seed) {
        Autograd.record(true);
        generatorParams.requireGradients();
        Adam adam = new Adam(manager, stages.generatorRate());
        Random random = new Random(seed + 5);
        Params frozen = mainParams.detached();
        for (int epoch = 0; epoch < stages.generatorEpochs(); epoch++) {
            List<int[]> windows = Training.windows(data.oldUsers(), config.maxLength(), random);
            java.util.Collections.shuffle(windows, random);
            double total = 0;
            int batches = 0;
            for (int from = 0; from < windows.size(); from += 64) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    SequenceBatch batch = tasks.training(windows.subList(from, Math.min(windows.size(), from + 64)),
                            random, step);
                    NDArray table = warmTable(forget(batch, stages.forgetRate(), random));
                    NDArray loss = main.loss(frozen.with(new Params().put(IdLearner.INPUT_TABLE, table)
                            .put("item.emb", table)), batch, true, s);
                    Autograd.backward(loss, false, false);
                    total += loss.toType(DataType.FLOAT64, false).getDouble();
                    batches++;
                    adam.step(generatorParams, generatorParams.gradients(step));
                    zero(generatorParams);
                }
            }
            LOG.info("generator epoch {}: loss {}", epoch + 1, String.format("%.4f", total / Math.max(1, batches)));
        }
    }

    /** Stage 3: cross-entropy of the fused next-item scores, learners and generator frozen. */
    private void trainFusion(Stages stages, long seed, Training.MamlSettings maml) {
        EarlyStopping stop = validationUsers == null ? null : new EarlyStopping("fusion", p -> validationUsers.ndcg10(
                recommender("mml", maml.innerSteps(), maml.innerRate(), seed)), patience, manager);
        Autograd.record(true);
        fusionParams.requireGradients();
        Adam adam = new Adam(manager, stages.fusionRate());
        Random random = new Random(seed + 6);
        for (int epoch = 0; epoch < stages.fusionEpochs(); epoch++) {
            // next-item examples: each window cut at a random point (at least 2 items), its last item the target
            List<int[]> sequences = new ArrayList<>();
            for (int[] w : Training.windows(data.oldUsers(), config.maxLength(), random)) {
                sequences.add(java.util.Arrays.copyOf(w, 2 + random.nextInt(w.length - 1)));
            }
            java.util.Collections.shuffle(sequences, random);
            double total = 0;
            int batches = 0;
            for (int from = 0; from < sequences.size(); from += 32) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    List<int[]> part = sequences.subList(from, Math.min(sequences.size(), from + 32));
                    List<long[]> windows = new ArrayList<>();
                    long[] targets = new long[part.size()];
                    for (int b = 0; b < part.size(); b++) {
                        int[] seq = part.get(b);
                        int m = Math.min(seq.length, config.maxLength() + 1);
                        long[] w = new long[m - 1];
                        for (int t = 0; t < m - 1; t++) {
                            w[t] = seq[seq.length - m + t];
                        }
                        windows.add(w);
                        targets[b] = seq[seq.length - 1];
                    }
                    SequenceBatch batch = tasks.batch(windows, step);
                    NDArray table = warmTable(forget(batch, stages.forgetRate(), random)).stopGradient();
                    NDList fused = fuse(mainParams.detached().with(new Params().put(IdLearner.INPUT_TABLE, table)),
                            textParams.detached(), imageParams.detached(), batch);
                    NDArray loss = Layers.crossEntropy(fused.get(0), step.create(targets));
                    Autograd.backward(loss, false, false);
                    total += loss.toType(DataType.FLOAT64, false).getDouble();
                    batches++;
                    adam.step(fusionParams, fusionParams.gradients(step));
                    zero(fusionParams);
                }
            }
            LOG.info("fusion epoch {}: cross-entropy {}", epoch + 1, String.format("%.4f", total / Math.max(1, batches)));
            if (stop != null && !stop.afterEpoch(epoch + 1, fusionParams)) {
                break;
            }
        }
        if (stop != null) {
            stop.restoreBest(fusionParams);
            stop.close();
        }
    }

    /** Fused scores over all items [batch, items + 1] and the learners' attention weights [batch, 3] (Eq. 9-13). */
    NDList fuse(Params mainP, Params textP, Params imageP, SequenceBatch batch) {
        SequenceLearner[] learners = rankingLearners();
        Params[] params = {mainP, textP, imageP};
        NDArray[] scores = new NDArray[3];
        NDArray[] outputs = new NDArray[3];
        long n = batch.length();
        for (int i = 0; i < 3; i++) {
            NDArray encoded = learners[i].encode(params[i], batch, false, s);
            outputs[i] = encoded;
            scores[i] = encoded.get(":, " + (n - 1) + ", :").matMul(learners[i].allItemVectors(params[i]).transpose());
        }
        return fusion.forward(fusionParams, scores, outputs, s);
    }

    /**
     * A recommender for one of MML's variants: {@code mml}, {@code mml-no-gen}, {@code mml-no-fusion}, or
     * {@code mml-paml} (the main learner adapts at the user's PAML rate; the model must be trained with PAML).
     */
    public FusedRecommender recommender(String variant, int steps, double rate, long seed) {
        boolean useGenerator = !variant.equals("mml-no-gen");
        boolean useFusion = !variant.equals("mml-no-fusion");
        if (variant.equals("mml-paml") && pamlRates == null) {
            throw new IllegalStateException("mml-paml needs a model trained with PAML");
        }
        Random random = new Random(seed);
        return sequence -> rankAt(sequence, new int[] {steps}, rate, useGenerator, useFusion, random).get(0);
    }

    /**
     * MML's fused scores of a user after each of the given numbers of inner steps (ascending) at this rate, from one
     * adaptation: what serving would answer with each J, for the cost of the largest (see {@link AdaptationTuning}).
     */
    public List<FusedScores> fusedScoresAtSteps(int[] sequence, int[] stepCounts, double rate, long seed) {
        return rankAt(sequence, stepCounts, rate, true, true, new Random(seed));
    }

    private List<FusedScores> rankAt(int[] sequence, int[] stepCounts, double rate, boolean useGenerator,
                                     boolean useFusion, Random random) {
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            // After training, generated embeddings replace the ID embeddings of items never seen in D_old on both
            // sides (4.3; the authors' code does the same): such items can be recommended, not only adapted on.
            Params mainP = useGenerator
                    ? mainParams.with(new Params().put(IdLearner.INPUT_TABLE, warmTable).put("item.emb", warmTable))
                    : mainParams;
            SequenceLearner[] learners = rankingLearners();
            Params[] base = {mainP, textParams, imageParams};
            SequenceBatch support = sequence.length >= 2 ? tasks.adaptation(sequence, sub) : null;
            double mainRate = rate;
            List<PamlRates.RateSource> rateFrom = List.of();
            if (pamlRates != null && support != null) {
                PamlRates.UserRate personal = pamlRates.rateFor(null, support, sub);
                mainRate = personal.rate();
                rateFrom = personal.from();
            }
            int maxSteps = stepCounts[stepCounts.length - 1];
            int learnerCount = useFusion ? 3 : 1;
            // adapted[i][c]: learner i's parameters after stepCounts[c] steps
            Params[][] adapted = new Params[learnerCount][];
            for (int i = 0; i < learnerCount; i++) {
                Params global = base[i].detached(); // Gamma as it is; Theta replaced by each checkpoint's
                adapted[i] = new Params[stepCounts.length];
                if (maxSteps > 0 && support != null) {
                    NDArray r = i == 0 ? s.temporary(mainRate, sub) : s.of(rate);
                    List<Params> thetas = new InnerLoop(learners[i], maxSteps)
                            .adaptForRanking(global, support, r, stepCounts, s, sub);
                    for (int c = 0; c < stepCounts.length; c++) {
                        adapted[i][c] = global.with(thetas.get(c));
                    }
                } else {
                    java.util.Arrays.fill(adapted[i], global);
                }
            }
            long[] window = tasks.recentWindow(sequence);
            SequenceBatch batch = tasks.batch(List.of(window), sub);
            List<FusedScores> out = new ArrayList<>();
            for (int c = 0; c < stepCounts.length; c++) {
                if (!useFusion) {
                    NDArray scores = main.scoreAll(adapted[0][c], batch, s);
                    out.add(new FusedScores(scores.toType(DataType.FLOAT32, false).toFloatArray(), null, mainRate,
                            rateFrom));
                } else {
                    NDList fused = fuse(adapted[0][c], adapted[1][c], adapted[2][c], batch);
                    out.add(new FusedScores(fused.get(0).toType(DataType.FLOAT32, false).toFloatArray(),
                            fused.get(1).toType(DataType.FLOAT32, false).toFloatArray(), mainRate, rateFrom));
                }
            }
            return out;
        }
    }

    /**
     * Scores over all items and how they were made.
     *
     * @param weights  the fusion layer's attention weights over the ID, text and image learners (Eq. 12-13; null
     *                 without fusion)
     * @param mainRate the main learner's inner rate for this user (PAML's alpha(h_i) when the model has PAML)
     * @param rateFrom the remembered users PAML's rate came from (empty without PAML)
     */
    public record FusedScores(float[] scores, float[] weights, double mainRate, List<PamlRates.RateSource> rateFrom) {
    }

    /** A recommender that can also say how much each learner counted for this user. */
    @FunctionalInterface
    public interface FusedRecommender extends Recommender {
        FusedScores fusedScores(int[] sequence);

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


    private static void zero(Params p) {
        for (NDArray a : p.asMap().values()) {
            Autograd.zeroGradient(a);
        }
    }
}
