package dev.kindling.meta.mml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import java.util.function.Consumer;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.generator.GeneratorTraining;
import dev.kindling.generator.ItemEmbeddingGenerator;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.baseline.NeighbourLists;
import dev.kindling.meta.baseline.SequentialRules;
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
import dev.kindling.meta.maml.InnerRates;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.maml.TrainingProgress;
import dev.kindling.meta.mml.MmlModel.LearnerOutputs;
import dev.kindling.meta.mml.MmlModel.Variant;
import dev.kindling.meta.paml.PamlLearningRate;
import dev.kindling.meta.paml.PamlRates;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Layers;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MML's training (4.4.2) of an {@link MmlModel}, in three stages: 1. MAML for each learner (after optional plain
 * pre-training), 2. the cold-start item embedding generator with the main learner frozen and items "forgotten" at rate
 * p0, 3. the fusion layer with everything else frozen, cross-entropy on the next item. Stages 1 and 2 train on the
 * learner users of D_old; stage 3 on the fusion users, held out of the first two (see {@link MetaDataset#fusionUsers}),
 * each adapted to as a new user is: support = the first 3-20 items, target = the next one. Early stopping of every
 * stage reads the validation users given in {@link Options} (the validation half of the new users, never the test half).
 */
public final class MmlTraining {
    private static final Logger LOG = LoggerFactory.getLogger(MmlTraining.class);

    /**
     * Generator training and fusion training settings.
     *
     * @param fusionTargets how many of a fusion example's next items the fusion layer is trained to score (the mean of
     *                      their cross-entropies): 1 is the paper's next item; more (beyond the paper) trains it on
     *                      what a new user consumes next rather than on the one item that follows
     */
    public record Stages(int generatorEpochs, int fusionEpochs, double forgetRate, int neighbours, double generatorRate,
                         double fusionRate, int fusionTargets) {
        public static final Stages DEFAULT = new Stages(3, 10, 0.1, 5, 1e-3, 1e-3, 1);

        public Stages {
            if (fusionTargets < 1) {
                throw new IllegalArgumentException("fusionTargets must be at least 1, was " + fusionTargets);
            }
        }

        /** The paper's fusion target, the next item. */
        public Stages(int generatorEpochs, int fusionEpochs, double forgetRate, int neighbours, double generatorRate,
                      double fusionRate) {
            this(generatorEpochs, fusionEpochs, forgetRate, neighbours, generatorRate, fusionRate, 1);
        }

        public Stages withFusionTargets(int targets) {
            return new Stages(generatorEpochs, fusionEpochs, forgetRate, neighbours, generatorRate, fusionRate, targets);
        }
    }

    /**
     * What training adds to the paper's three stages.
     *
     * @param pretrainEpochs plain next-item pre-training of each learner before its MAML stage (SASRec-style, at most
     *                       this many epochs, early-stopped on the validation users; 0: none). Not in the MML paper: an
     *                       option for small data sets, so meta-training starts from a useful model.
     * @param validation     the users every stage is early-stopped on (NDCG@10 of their queries after adaptation on
     *                       their support); null: no early stopping
     * @param patience       epochs without improvement before a stage stops
     * @param collaborative  the collaborative learner of {@link MmlModel.Variant#CF} (fitted on every old user, as
     *                       served), or null: none. Nothing is trained for it: its blend with the learners is chosen
     *                       on held-out new users ({@link AdaptationTuning})
     * @param progress       told of every epoch of every stage (a progress bar's)
     */
    public record Options(int pretrainEpochs, HeldOutUsers validation, int patience, Supplier<NeighbourLists> collaborative,
                          TrainingProgress progress) {
        public static final Options NONE = new Options(0, null, 0, null, TrainingProgress.NONE);

        public Options withPretraining(int epochs) {
            return new Options(epochs, validation, patience, collaborative, progress);
        }

        public Options withValidation(HeldOutUsers users, int patience) {
            return new Options(pretrainEpochs, users, patience, collaborative, progress);
        }

        public Options withCollaborative(Supplier<NeighbourLists> fit) {
            return new Options(pretrainEpochs, validation, patience, fit, progress);
        }

        public Options withProgress(TrainingProgress p) {
            return new Options(pretrainEpochs, validation, patience, collaborative, p);
        }
    }

    private final MmlModel model;
    private final Options options;
    private final MmlModel.Paml paml;
    private final MetaDataset data;
    private final LearnerConfig config;
    private final Scalars s;
    private final NDManager manager;
    private final IdLearner main;
    private final FeatureLearner text;
    private final FeatureLearner image;
    private final ItemEmbeddingGenerator generator;
    private final FusionLayer fusion;
    private final Tasks tasks;

    public MmlTraining(MmlModel model, Options options) {
        this.model = model;
        this.options = options;
        this.paml = model.setup().paml();
        this.data = model.data;
        this.config = model.config;
        this.s = model.s;
        this.manager = model.manager;
        this.main = model.main;
        this.text = model.text;
        this.image = model.image;
        this.generator = model.generator;
        this.fusion = model.fusion;
        this.tasks = model.tasks();
    }

    /** Examples per fusion user (each a different support size). */
    private static final int FUSION_CUTS = 4;

    private void pretrain(String name, SequenceLearner learner, Params params, Training.MamlSettings maml, long seed) {
        if (options.pretrainEpochs() <= 0) {
            return;
        }
        Training.Validation v = options.validation() == null ? null : Training.Validation.ofAdaptation(
                name + " pre-training", learner, tasks, maml.innerSteps(), maml.innerRate(), s, manager,
                options.validation(), options.patience(), 5);
        String stage = "pre-training the " + name;
        Training.pretrain(learner, params, data.learnerUsers(), tasks, options.pretrainEpochs(), 64, 1e-3, seed, s,
                manager, e -> options.progress().advance(stage), v);
        options.progress().finish(stage);
    }

    private Training.Validation validation(String name, SequenceLearner learner, Training.MamlSettings maml,
                                           long seed) {
        if (options.validation() == null) {
            return null;
        }
        return Training.Validation.ofAdaptation(name, learner, tasks, maml.innerSteps(), maml.innerRate(), s, manager,
                options.validation(), options.patience(), 1);
    }

    /** The epochs {@link #train} plans at most, stage by stage (a caller may plan them before training starts). */
    public static void plan(TrainingProgress bar, Options options, Training.MamlSettings maml, Stages stages) {
        for (String name : new String[] {"main learner", "text learner", "image learner"}) {
            bar.plan("pre-training the " + name, options.pretrainEpochs());
            bar.plan("meta-training the " + name, maml.epochs());
        }
        bar.plan("training the generator", stages.generatorEpochs());
        bar.plan("training the fusion", stages.fusionEpochs());
    }

    /** All three stages; the model's parameters are replaced. */
    public void train(Training.MamlSettings maml, Stages stages, long seed, Consumer<String> progress) {
        TrainingProgress bar = options.progress();
        plan(bar, options, maml, stages);
        model.releaseFeatureVectors();
        model.mainParams = main.initialise(seed);
        model.textParams = text.initialise(seed + 1);
        model.imageParams = image.initialise(seed + 2);
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
                Params p = isText ? model.textParams : model.imageParams;
                long learnerSeed = seed + (isText ? 1 : 2);
                DjlRuntime.seedRandom(learnerSeed); // its own dropout masks, whatever the other learners draw
                pretrain(name, learner, p, maml, learnerSeed);
                Training.metaTrain(learner, p, data.learnerUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s),
                        learnerSeed, s, manager, e -> bar.advance("meta-training the " + name),
                        validation(name, learner, maml, seed));
                bar.finish("meta-training the " + name);
                progress.accept("stage 1: " + name + " meta-trained");
            }));
        }
        try {
            pretrain("main learner", main, model.mainParams, maml, seed);
            if (paml == null) {
                Training.metaTrain(main, model.mainParams, data.learnerUsers(), tasks, maml,
                        InnerRates.fixed(maml.innerRate(), s), seed, s, manager,
                        e -> bar.advance("meta-training the main learner"), validation("main learner", main, maml, seed));
            } else {
                PamlLearningRate rateModel = new PamlLearningRate(MmlModel.PAML_HIDDEN, paml.delta(),
                        maml.innerRate());
                model.pamlRates = new PamlRates(rateModel, rateModel.initialise(config.hidden(), manager, s.type(),
                        seed + 7), paml.memory(), main, model.mainParams, paml.neighbours(), paml.rate(), s, manager)
                        .withRegularisation(paml.regularisation());
                Training.metaTrain(main, model.mainParams, data.learnerUsers(), tasks, maml, model.pamlRates, seed, s,
                        manager, e -> bar.advance("meta-training the main learner"),
                        validation("main learner (PAML)", main, maml, seed));
            }
            bar.finish("meta-training the main learner");
            progress.accept("stage 1: main learner meta-trained" + (paml == null ? "" : " with PAML rates"));
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
        model.useNeighbours(model.neighbourTable(stages.neighbours()));
        model.generatorParams = generator.initialise(manager, s.type(), seed + 3);
        trainGenerator(stages, seed);
        bar.finish("training the generator");
        progress.accept("stage 2: generator trained");
        model.warmTable = model.warmTable().stopGradient();
        model.freezeFeatureVectors();
        model.fusionParams = fusion.initialise(manager, s.type(), seed + 4);
        trainFusion(stages, seed, maml);
        bar.finish("training the fusion");
        progress.accept("stage 3: fusion trained");
        if (options.collaborative() != null) {
            model.collaborative = options.collaborative().get();
            model.sequential = SequentialRules.fit(data.oldUsers(), data.itemCount(), NeighbourLists.SERVED);
        }
    }

    /**
     * Stage 2 ({@link GeneratorTraining}): the frozen main learner's loss (the paper's BPR, or the learner's own) on
     * windows of the learner users, with the embeddings of the "forgotten" items of each batch generated.
     */
    private void trainGenerator(Stages stages, long seed) {
        Params frozen = model.mainParams.detached();
        List<List<int[]>> epochBatches = new ArrayList<>();
        GeneratorTraining.FrozenLearner learner = new GeneratorTraining.FrozenLearner() {
            @Override
            public int startEpoch(Random random) {
                List<int[]> windows = Training.windows(data.learnerUsers(), config.maxLength(), random);
                Collections.shuffle(windows, random);
                epochBatches.clear();
                for (int from = 0; from < windows.size(); from += 64) {
                    epochBatches.add(windows.subList(from, Math.min(windows.size(), from + 64)));
                }
                return epochBatches.size();
            }

            @Override
            public GeneratorTraining.Batch batch(int b, Random random, NDManager step) {
                // uniform candidates, not stage 1's popularity proposal (Tasks.sampledBy): the generator's embeddings
                // serve items no old user has, and stage 2 was measured this way (meta/README.md, popularity section)
                SequenceBatch batch = tasks.training(epochBatches.get(b), random, step);
                long[] items = LongStream.concat(LongStream.of(batch.items().toLongArray()),
                        LongStream.of(batch.positives().toLongArray())).toArray();
                return new GeneratorTraining.Batch() {
                    @Override
                    public long[] items() {
                        return items;
                    }

                    @Override
                    public NDArray loss(NDArray table) {
                        return main.loss(frozen.with(new Params().put(IdLearner.INPUT_TABLE, table)
                                .put("item.emb", table)), batch, true, s);
                    }
                };
            }
        };
        GeneratorTraining.train(model.coldItems, model.generatorParams, model.mainParams.get("item.emb"), learner,
                new GeneratorTraining.Settings(stages.generatorEpochs(), stages.generatorRate(), stages.forgetRate()),
                new Random(seed + 5), manager);
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
        model.fusionParams.requireGradients();
        Adam adam = new Adam(manager, stages.fusionRate());
        boolean heldOut = !data.fusionUsers().isEmpty();
        Random random = new Random(seed + 6);
        List<FusionExample> examples = new ArrayList<>();
        if (heldOut) {
            for (UserSequence u : data.fusionUsers()) {
                for (int c = 0; c < FUSION_CUTS && u.length() > Training.MIN_SUPPORT; c++) {
                    int support = Training.MIN_SUPPORT + random.nextInt(
                            Math.min(Training.MAX_SUPPORT, u.length() - 1) - Training.MIN_SUPPORT + 1);
                    examples.add(FusionExample.cut(u.items(), support, stages.fusionTargets()));
                }
            }
        } else {
            for (int[] w : Training.windows(data.oldUsers(), config.maxLength(), random)) {
                examples.add(FusionExample.cut(w, 1 + random.nextInt(w.length - 1), stages.fusionTargets()));
            }
        }
        Collections.shuffle(examples, random);
        try (NDManager cache = manager.newSubManager()) {
            List<CachedBatch> train = new ArrayList<>();
            for (int from = 0; from < examples.size(); from += 32) {
                List<FusionExample> part = examples.subList(from, Math.min(examples.size(), from + 32));
                List<int[]> supports = part.stream().map(FusionExample::support).toList();
                train.add(cached(supports, heldOut ? maml.innerSteps() : 0, maml.innerRate(),
                        FusionExample.targets(part, stages.fusionTargets()), cache));
            }
            List<CachedBatch> checks = new ArrayList<>();
            if (options.validation() != null) {
                List<int[]> supports = options.validation().cases().stream().map(EvaluationCase::support).toList();
                for (int from = 0; from < supports.size(); from += 32) {
                    checks.add(cached(supports.subList(from, Math.min(supports.size(), from + 32)), maml.innerSteps(),
                            maml.innerRate(), null, cache));
                }
            }
            EarlyStopping stop = checks.isEmpty() ? null : new EarlyStopping("fusion",
                    p -> fusionCheck(model.fusionParams, checks), options.patience(), manager);
            boolean goOn = true;
            for (int epoch = 0; epoch < stages.fusionEpochs() && goOn; epoch++) {
                Collections.shuffle(train, random);
                double total = 0;
                for (CachedBatch b : train) {
                    try (NDScope scope = new NDScope()) {
                        total += fusionStep(model.fusionParams, adam, b.outputs(), b.targets(), b.weights());
                    }
                }
                options.progress().advance("training the fusion");
                LOG.info("fusion epoch {}: cross-entropy {} ({} examples{})", epoch + 1,
                        String.format("%.4f", total / Math.max(1, train.size())), examples.size(),
                        heldOut ? " of " + data.fusionUsers().size() + " held-out users, adapted" : "");
                if (stop != null) {
                    goOn = stop.afterEpoch(epoch + 1, model.fusionParams);
                }
            }
            if (stop != null) {
                stop.restoreBest(model.fusionParams);
                stop.close();
            }
        }
    }

    /**
     * A fusion example: a support and the items after it that the fused scores are trained on (the next item, or the
     * next W distinct items not in the support).
     */
    private record FusionExample(int[] support, int[] targets) {
        static FusionExample cut(int[] items, int support, int window) {
            int[] head = Arrays.copyOf(items, support);
            Set<Integer> seen = new HashSet<>();
            for (int i : head) {
                seen.add(i);
            }
            List<Integer> next = new ArrayList<>();
            for (int i = support; i < items.length && next.size() < window; i++) {
                if (window == 1 || seen.add(items[i])) {
                    next.add(items[i]);
                }
            }
            if (next.isEmpty()) {
                next.add(items[support]); // everything after the support repeats it: the next item as it is
            }
            return new FusionExample(head, next.stream().mapToInt(Integer::intValue).toArray());
        }

        /** The examples' targets [n, W] (a row padded with its first target) and their weights [n, W] (0: padding). */
        static long[][] targets(List<FusionExample> part, int window) {
            long[] ids = new long[part.size() * window];
            long[] weights = new long[part.size() * window];
            for (int r = 0; r < part.size(); r++) {
                int[] t = part.get(r).targets();
                for (int j = 0; j < window; j++) {
                    ids[r * window + j] = t[Math.min(j, t.length - 1)];
                    weights[r * window + j] = j < t.length ? 1 : 0;
                }
            }
            return new long[][] {ids, weights};
        }
    }

    /** A batch of users' frozen learner outputs, kept. */
    private record CachedBatch(LearnerOutputs outputs, NDArray targets, NDArray weights) {
    }

    private CachedBatch cached(List<int[]> supports, int steps, double rate, long[][] targets, NDManager cache) {
        try (NDScope scope = new NDScope()) {
            LearnerOutputs three = model.learnerOutputs(supports, steps, rate, true, cache);
            int rows = supports.size();
            NDArray target = targets == null ? null : cache.create(targets[0], new Shape(rows, targets[0].length / rows));
            NDArray weight = targets == null ? null : cache.create(targets[1], new Shape(rows, targets[1].length / rows))
                    .toType(three.scores()[0].getDataType(), false);
            for (NDArray a : three.scores()) {
                keep(a, cache);
            }
            for (NDArray a : three.encoded()) {
                keep(a, cache);
            }
            if (target != null) {
                keep(target, cache);
                keep(weight, cache);
            }
            return new CachedBatch(three, target, weight);
        }
    }

    /** An array outlives the scope it was made in: owned by the cache manager. */
    private static void keep(NDArray a, NDManager cache) {
        a.attach(cache);
        NDScope.unregister(a);
    }

    /** One Adam step of a fusion layer on a cached batch; returns its cross-entropy (the mean over the targets). */
    private double fusionStep(Params params, Adam adam, LearnerOutputs outputs, NDArray targets, NDArray weights) {
        int count = outputs.scores().length;
        NDArray fused = fusion.forward(params, outputs.scores(count), outputs.encoded(count), s).get(0);
        NDArray loss = targets.getShape().get(1) == 1 ? Layers.crossEntropy(fused, targets)
                : Layers.crossEntropy(fused, targets, weights);
        Autograd.backward(loss, false, false);
        double value = loss.toType(DataType.FLOAT64, false).getDouble();
        try (NDManager step = manager.newSubManager()) {
            adam.step(params, params.gradients(step));
        }
        zero(params);
        return value;
    }

    /** The validation users' uncut NDCG with a fusion layer over their cached learner outputs (early stopping). */
    private double fusionCheck(Params params, List<CachedBatch> checks) {
        List<float[]> scores = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            for (CachedBatch b : checks) {
                LearnerOutputs o = b.outputs();
                scores.addAll(AdaptedRecommender.rows(fusion.forward(params.detached(), o.scores(), o.encoded(), s)
                        .get(0)));
            }
        }
        HeldOutUsers.Check check = options.validation().check(scores);
        LOG.info("{}: validation NDCG@10 {}, uncut NDCG {}", Variant.MML.label(), String.format("%.4f", check.ndcg10()),
                String.format("%.4f", check.ndcg()));
        return check.ndcg();
    }

    private static void zero(Params p) {
        for (NDArray a : p.asMap().values()) {
            Autograd.zeroGradient(a);
        }
    }
}
