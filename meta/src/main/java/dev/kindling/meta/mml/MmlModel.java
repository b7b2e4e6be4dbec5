package dev.kindling.meta.mml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.generator.ItemEmbeddingGenerator;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.Recommender;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.baseline.CollaborativeLists;
import dev.kindling.meta.baseline.NeighbourLists;
import dev.kindling.meta.evaluation.EvaluationCase;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.learners.FeatureLearner;
import dev.kindling.meta.learners.FusionLayer;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.EarlyStopping;
import dev.kindling.meta.maml.InnerLoop;
import dev.kindling.meta.maml.InnerRates;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.paml.PamlLearningRate;
import dev.kindling.meta.paml.PamlRates;
import dev.kindling.meta.paml.UserRateMemory;
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
 *
 * <p>Stages 1 and 2 train on the learner users of D_old; stage 3 trains the fusion on the latest old users, held out
 * of the first two (see {@link MetaDataset#fusionUsers}), each adapted to as a new user is: support = the first 3-20
 * items, target = the next one. Beyond the paper, and measured as its own variant ({@link Variant#CF}), a
 * collaborative learner (EASE or item-kNN scores over the old users' interactions) can join the fusion as a fourth
 * learner, with a fusion layer of its own.
 */
public final class MmlModel {
    private static final Logger LOG = LoggerFactory.getLogger(MmlModel.class);
    /** Generator training and fusion training settings. */
    public record Stages(int generatorEpochs, int fusionEpochs, double forgetRate, int neighbours, double generatorRate,
                         double fusionRate) {
        public static final Stages DEFAULT = new Stages(3, 10, 0.1, 5, 1e-3, 1e-3);
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
        /** Beyond the paper: MML with a collaborative learner as a fourth member of the fusion. */
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

    /** Fits a collaborative learner's item-item weights on some users' interactions. */
    @FunctionalInterface
    public interface CollaborativeFit {
        NeighbourLists fit(List<UserSequence> users);
    }

    /** Hidden size of PAML's rate MLP alpha'. */
    private static final int PAML_HIDDEN = 32;
    /** Saved with the generator: 1 for the items whose ID embeddings were trained (the others are generated). */
    private static final String TRAINED_ITEMS = "gen.trained";
    /** Examples per fusion user (each a different support size). */
    private static final int FUSION_CUTS = 4;

    private CollaborativeFit collaborativeFit;
    /** The collaborative learner for serving (fitted on every old user) and its fusion layer; null without. */
    private NeighbourLists collaborative;
    private Params cfFusionParams;
    private Paml pamlSettings;
    private PamlRates pamlRates;
    private NeighbourTable givenNeighbours;
    private int pretrainEpochs;
    private HeldOutUsers validationUsers;
    private int patience;

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
    /** Per item index: whether its ID embedding was trained (seen by the learner users); the others are generated. */
    private final boolean[] trained;
    /**
     * The text and image learners with their item vectors computed once ({@link FeatureLearner#frozen}), made when the
     * learners stop training (stage 3, restore); null while they still train.
     */
    private FeatureLearner frozenText;
    private FeatureLearner frozenImage;

    /**
     * Adds the collaborative learner ({@link Variant#CF}; call before {@link #train}): the fusion users' scores come
     * from a fit on the learner users only, so the fusion sees what it will see for a new user; serving uses a fit
     * on every old user.
     */
    public MmlModel withCollaborative(CollaborativeFit fit) {
        this.collaborativeFit = fit;
        return this;
    }

    /**
     * The generator's neighbours (Eq. 14), normally found through the vector index ({@link NeighbourTable#fromIndex});
     * without this call they are computed exactly from the features.
     */
    public MmlModel withNeighbours(NeighbourTable table) {
        this.givenNeighbours = table;
        return this;
    }

    private NeighbourTable neighbourTable(int count) {
        return givenNeighbours != null ? givenNeighbours : NeighbourTable.build(features, trained, count, manager,
                i -> true);
    }

    private NDArray trainedMask() {
        float[] mask = new float[trained.length];
        for (int i = 0; i < trained.length; i++) {
            mask[i] = trained[i] ? 1f : 0f;
        }
        return manager.create(mask);
    }

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
                learner, tasks, maml.innerSteps(), maml.innerRate(), s, manager, validationUsers, patience, 5);
        Training.pretrain(learner, params, data.learnerUsers(), tasks, pretrainEpochs, 64, 1e-3, seed, s, manager,
                e -> { }, v);
    }

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
                validationUsers, patience, 1);
    }

    /** Use PAML's per-user inner rates for the main learner (call before {@link #train}). */
    public MmlModel withPaml(Paml paml) {
        this.pamlSettings = paml;
        return this;
    }

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
        this.tasks = Tasks.forLearner(config, features, data.itemCount(), type);
        this.trained = data.oldItems();
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
            out.put("fusion-cf", cfFusionParams);
            out.put("collaborative", CollaborativeLists.toParams(collaborative, manager));
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
            collaborative = CollaborativeLists.fromParams(groups.get("collaborative"), data.itemCount());
            cfFusionParams = groups.get("fusion-cf");
        }
        // Serving generates embeddings only for items never seen in D_old: only their rows are needed.
        neighbours = givenNeighbours != null ? givenNeighbours
                : NeighbourTable.build(features, trained, neighbourCount, manager, i -> !trained[i]);
        warmTable = warmTable(null).stopGradient();
        if (modelItems < data.itemCount()) {
            int[] added = new int[data.itemCount() - modelItems];
            for (int i = 0; i < added.length; i++) {
                added[i] = modelItems + 1 + i;
            }
            NDArray candidates = mainParams.get("item.emb").get("0:" + (modelItems + 1)).concat(generated(added), 0);
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
        // Stage 1: the learners are independent until the fusion, so each trains on a thread of its own (one libtorch
        // thread each: on 2 cores the three take about the time of the slowest two, with the same numbers).
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "kindling-learner");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> done = new ArrayList<>();
        for (FeatureLearner learner : new FeatureLearner[] {text, image}) {
            boolean isText = learner == text;
            done.add(pool.submit(() -> {
                Autograd.record(true); // gradient mode is per thread
                String name = isText ? "text learner" : "image learner";
                Params p = isText ? textParams : imageParams;
                long learnerSeed = seed + (isText ? 1 : 2);
                pretrain(name, learner, p, maml, learnerSeed);
                Training.metaTrain(learner, p, data.learnerUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s),
                        learnerSeed, s, manager, e -> { }, validation(name, learner, maml, seed));
                progress.accept("stage 1: " + name + " meta-trained");
            }));
        }
        try {
            pretrain("main learner", main, mainParams, maml, seed);
            if (pamlSettings == null) {
                Training.metaTrain(main, mainParams, data.learnerUsers(), tasks, maml,
                        InnerRates.fixed(maml.innerRate(), s), seed, s, manager, e -> { },
                        validation("main learner", main, maml, seed));
            } else {
                PamlLearningRate paml = new PamlLearningRate(PAML_HIDDEN, pamlSettings.delta(), maml.innerRate());
                pamlRates = new PamlRates(paml, paml.initialise(config.hidden(), manager, s.type(), seed + 7),
                        pamlSettings.memory(), main, mainParams, pamlSettings.neighbours(), pamlSettings.rate(), s,
                        manager).withRegularisation(pamlSettings.regularisation());
                Training.metaTrain(main, mainParams, data.learnerUsers(), tasks, maml, pamlRates, seed, s, manager,
                        e -> { }, validation("main learner (PAML)", main, maml, seed));
            }
            progress.accept("stage 1: main learner meta-trained" + (pamlSettings == null ? "" : " with PAML rates"));
            for (Future<?> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        neighbours = neighbourTable(stages.neighbours());
        generatorParams = generator.initialise(manager, s.type(), seed + 3);
        trainGenerator(stages, seed);
        progress.accept("stage 2: generator trained");
        warmTable = warmTable(null).stopGradient();
        freezeFeatureVectors();
        fusionParams = fusion.initialise(manager, s.type(), seed + 4);
        if (collaborativeFit != null) {
            cfFusionParams = fusion.initialise(manager, s.type(), seed + 8);
        }
        trainFusion(stages, seed, maml);
        if (collaborativeFit != null) {
            collaborative = collaborativeFit.fit(data.oldUsers()); // serving: every old user
        }
        progress.accept("stage 3: fusion trained" + (collaborativeFit == null ? "" : " (with and without the "
                + "collaborative learner)"));
    }

    /** Generated ID embeddings (Eq. 15-17) for the given item indices: [count, d]. */
    public NDArray generated(int[] items) {
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
                if (!trained[i]) {
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
        Arrays.fill(keep, 1f);
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
            List<int[]> windows = Training.windows(data.learnerUsers(), config.maxLength(), random);
            Collections.shuffle(windows, random);
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

    /**
     * Stage 3: cross-entropy of the fused next-item scores (Eq. 9-13), learners and generator frozen. Each example is a
     * fusion user cut like a new user: the first s items (s in 3..20) as the support, each learner adapted on it (J
     * inner steps, as when serving), the (s+1)-th item the target. Without fusion users (small data), old users'
     * windows cut at random points stand in, unadapted. The learners are frozen, so their outputs for the examples and
     * for the validation users are computed once; each epoch then only runs the fusion layers.
     */
    private void trainFusion(Stages stages, long seed, Training.MamlSettings maml) {
        Autograd.record(true);
        fusionParams.requireGradients();
        Adam adam = new Adam(manager, stages.fusionRate());
        Adam adamCf = null;
        if (cfFusionParams != null) {
            cfFusionParams.requireGradients();
            adamCf = new Adam(manager, stages.fusionRate());
            // the fusion users' collaborative scores come from the learner users only (as a new user's will)
            collaborative = collaborativeFit.fit(data.learnerUsers());
        }
        boolean heldOut = !data.fusionUsers().isEmpty();
        Random random = new Random(seed + 6);
        List<int[]> examples = new ArrayList<>();
        if (heldOut) {
            for (UserSequence u : data.fusionUsers()) {
                for (int c = 0; c < FUSION_CUTS && u.length() > Training.MIN_SUPPORT; c++) {
                    int support = Training.MIN_SUPPORT + random.nextInt(
                            Math.min(Training.MAX_SUPPORT, u.length() - 1) - Training.MIN_SUPPORT + 1);
                    examples.add(Arrays.copyOf(u.items(), support + 1));
                }
            }
        } else {
            for (int[] w : Training.windows(data.oldUsers(), config.maxLength(), random)) {
                examples.add(Arrays.copyOf(w, 2 + random.nextInt(w.length - 1)));
            }
        }
        Collections.shuffle(examples, random);
        try (NDManager cache = manager.newSubManager()) {
            List<CachedBatch> train = new ArrayList<>();
            for (int from = 0; from < examples.size(); from += 32) {
                List<int[]> part = examples.subList(from, Math.min(examples.size(), from + 32));
                List<int[]> supports = part.stream().map(e -> Arrays.copyOf(e, e.length - 1)).toList();
                long[] targets = part.stream().mapToLong(e -> e[e.length - 1]).toArray();
                train.add(cached(supports, heldOut ? maml.innerSteps() : 0, maml.innerRate(), targets, cache));
            }
            List<CachedBatch> checks = new ArrayList<>();
            if (validationUsers != null) {
                List<int[]> supports = validationUsers.cases().stream().map(EvaluationCase::support).toList();
                for (int from = 0; from < supports.size(); from += 32) {
                    checks.add(cached(supports.subList(from, Math.min(supports.size(), from + 32)), maml.innerSteps(),
                            maml.innerRate(), null, cache));
                }
            }
            EarlyStopping stop = checks.isEmpty() ? null : new EarlyStopping("fusion",
                    p -> fusionCheck(Variant.MML, fusionParams, checks), patience, manager);
            EarlyStopping stopCf = checks.isEmpty() || cfFusionParams == null ? null : new EarlyStopping("fusion with "
                    + "the collaborative learner", p -> fusionCheck(Variant.CF, cfFusionParams, checks), patience, manager);
            boolean goOn = true;
            boolean goOnCf = cfFusionParams != null;
            for (int epoch = 0; epoch < stages.fusionEpochs() && (goOn || goOnCf); epoch++) {
                Collections.shuffle(train, random);
                double total = 0;
                double totalCf = 0;
                for (CachedBatch b : train) {
                    try (NDScope scope = new NDScope()) {
                        if (goOn) {
                            total += fusionStep(fusionParams, adam, b.three(), b.targets());
                        }
                        if (goOnCf) {
                            totalCf += fusionStep(cfFusionParams, adamCf, b.four(), b.targets());
                        }
                    }
                }
                LOG.info("fusion epoch {}: cross-entropy {}{} ({} examples{})", epoch + 1,
                        String.format("%.4f", total / Math.max(1, train.size())),
                        cfFusionParams == null ? "" : String.format(", with the collaborative learner %.4f",
                                totalCf / Math.max(1, train.size())), examples.size(),
                        heldOut ? " of " + data.fusionUsers().size() + " held-out users, adapted" : "");
                if (stop != null && goOn) {
                    goOn = stop.afterEpoch(epoch + 1, fusionParams);
                }
                if (stopCf != null && goOnCf) {
                    goOnCf = stopCf.afterEpoch(epoch + 1, cfFusionParams);
                }
            }
            for (EarlyStopping e : new EarlyStopping[] {stop, stopCf}) {
                if (e != null) {
                    e.restoreBest(e == stop ? fusionParams : cfFusionParams);
                    e.close();
                }
            }
        }
    }

    /** A batch of users' frozen learner outputs (three learners, and four with the collaborative one), kept. */
    private record CachedBatch(LearnerOutputs three, LearnerOutputs four, NDArray targets) {
    }

    private CachedBatch cached(List<int[]> supports, int steps, double rate, long[] targets, NDManager cache) {
        try (NDScope scope = new NDScope()) {
            LearnerOutputs three = learnerOutputs(supports, steps, rate, true, cache);
            LearnerOutputs four = cfFusionParams == null ? null : three.withCollaborative(collaborative, supports, cache);
            NDArray target = targets == null ? null : cache.create(targets);
            for (LearnerOutputs o : four == null ? List.of(three) : List.of(three, four)) {
                for (NDArray a : o.scores()) {
                    keep(a, cache);
                }
                for (NDArray a : o.encoded()) {
                    keep(a, cache);
                }
            }
            if (target != null) {
                keep(target, cache);
            }
            return new CachedBatch(three, four, target);
        }
    }

    /** An array outlives the scope it was made in: owned by the cache manager. */
    private static void keep(NDArray a, NDManager cache) {
        a.attach(cache);
        NDScope.unregister(a);
    }

    /** One Adam step of a fusion layer on a cached batch; returns its cross-entropy. */
    private double fusionStep(Params params, Adam adam, LearnerOutputs outputs, NDArray targets) {
        int count = outputs.scores().length;
        NDArray loss = Layers.crossEntropy(fusion.forward(params, outputs.scores(count), outputs.encoded(count), s)
                .get(0), targets);
        Autograd.backward(loss, false, false);
        double value = loss.toType(DataType.FLOAT64, false).getDouble();
        try (NDManager step = manager.newSubManager()) {
            adam.step(params, params.gradients(step));
        }
        zero(params);
        return value;
    }

    /** The validation users' uncut NDCG with a fusion layer over their cached learner outputs (early stopping). */
    private double fusionCheck(Variant variant, Params params, List<CachedBatch> checks) {
        List<float[]> scores = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            for (CachedBatch b : checks) {
                LearnerOutputs o = variant == Variant.CF ? b.four() : b.three();
                int count = o.scores().length;
                scores.addAll(AdaptedRecommender.rows(fusion.forward(params.detached(), o.scores(count),
                        o.encoded(count), s).get(0)));
            }
        }
        HeldOutUsers.Check check = validationUsers.check(scores);
        LOG.info("{}: validation NDCG@10 {}, uncut NDCG {}", variant.label(), String.format("%.4f", check.ndcg10()),
                String.format("%.4f", check.ndcg()));
        return check.ndcg();
    }

    /**
     * The learners' outputs for a batch of users: F^L of each learner [users, n, d] and its scores over all items at
     * the last position [users, items + 1] (Eq. 7-8), after {@code steps} inner steps on each user's support.
     */
    private record LearnerOutputs(NDArray[] encoded, NDArray[] scores) {
        NDArray[] scores(int learners) {
            return Arrays.copyOf(scores, learners);
        }

        NDArray[] encoded(int learners) {
            return Arrays.copyOf(encoded, learners);
        }

        /**
         * With the collaborative learner's scores as a fourth member; it has no sequence output, so its F is zero and
         * its attention logit is the fusion MLP's bias: one learned weight for it, adjusted per user by the others'.
         */
        LearnerOutputs withCollaborative(NeighbourLists cf, List<int[]> users,
                                         NDManager manager) {
            List<float[]> rows = cf.scores(users);
            int width = rows.get(0).length;
            float[] flat = new float[rows.size() * width];
            for (int u = 0; u < rows.size(); u++) {
                System.arraycopy(rows.get(u), 0, flat, u * width, width);
            }
            NDArray cfScores = manager.create(flat, new Shape(rows.size(), width)).toType(scores[0].getDataType(), false);
            NDArray none = manager.zeros(new Shape(rows.size(), 1, encoded[0].getShape().get(2)),
                    encoded[0].getDataType());
            NDArray[] s4 = Arrays.copyOf(scores, 4);
            NDArray[] e4 = Arrays.copyOf(encoded, 4);
            s4[3] = cfScores;
            e4[3] = none;
            return new LearnerOutputs(e4, s4);
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
        return learnerOutputs(users, new int[] {steps}, rate, all, generated, mainRates, sub).get(0);
    }

    /** {@link #learnerOutputs} after each of several step counts (ascending), from one adaptation per learner. */
    private List<LearnerOutputs> learnerOutputs(List<int[]> users, int[] stepCounts, double rate, boolean all,
                                                boolean generated, double[] mainRates, NDManager sub) {
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

    private LearnerOutputs learnerOutputs(List<int[]> users, int steps, double rate, boolean generated, NDManager sub) {
        return learnerOutputs(users, steps, rate, true, generated, null, sub);
    }

    /**
     * A recommender for one of MML's variants. Deterministic: adaptation samples nothing and ranking has no dropout,
     * so the same user always gets the same scores.
     */
    public FusedRecommender recommender(Variant variant, int steps, double rate) {
        if (variant == Variant.PAML && pamlRates == null) {
            throw new IllegalStateException("mml-paml needs a model trained with PAML");
        }
        if (variant == Variant.CF && collaborative == null) {
            throw new IllegalStateException("mml-cf needs a model trained with the collaborative learner");
        }
        return new FusedRecommender() {
            @Override
            public FusedScores fusedScores(int[] sequence) {
                return rankAt(List.of(sequence), new int[] {steps}, rate, variant).get(0).get(0);
            }

            @Override
            public List<float[]> scores(List<int[]> sequences) {
                return rankAt(sequences, new int[] {steps}, rate, variant).get(0).stream().map(FusedScores::scores)
                        .toList();
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
        return rankAt(users, stepCounts, rate, variant);
    }

    /** Scores of a batch of users after each of the step counts (ascending), [checkpoint][user]. */
    private List<List<FusedScores>> rankAt(List<int[]> users, int[] stepCounts, double rate, Variant variant) {
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
            List<LearnerOutputs> byStep = learnerOutputs(users, stepCounts, rate, fused, generated,
                    pamlRates != null ? mainRates : null, sub);
            for (int c = 0; c < stepCounts.length; c++) {
                LearnerOutputs outputs = byStep.get(c);
                float[][] scores;
                float[][] weights = null;
                if (!fused) {
                    scores = rowsOf(outputs.scores()[0]);
                } else {
                    LearnerOutputs in = variant == Variant.CF ? outputs.withCollaborative(collaborative, users, sub)
                            : outputs;
                    int count = variant == Variant.CF ? 4 : 3;
                    NDList f = fusion.forward(variant == Variant.CF ? cfFusionParams : fusionParams, in.scores(count),
                            in.encoded(count), s);
                    scores = rowsOf(f.get(0));
                    weights = rowsOf(f.get(1));
                }
                List<FusedScores> row = new ArrayList<>();
                for (int u = 0; u < users.size(); u++) {
                    boolean adapted = stepCounts[c] > 0 && users.get(u).length >= 2;
                    row.add(new FusedScores(scores[u], weights == null ? null : weights[u],
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
     * @param mainRate the main learner's inner rate for this user (PAML's alpha(h_i) when the model has PAML; 0 when
     *                 the user was not adapted to)
     * @param rateFrom the remembered users PAML's rate came from (empty without PAML)
     */
    public record FusedScores(float[] scores, float[] weights, double mainRate, List<PamlRates.RateSource> rateFrom) {
    }

    /** A recommender that can also say how much each learner counted for this user. */
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
