package dev.kindling.meta.serving;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleFunction;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Store;
import dev.kindling.generator.NeighbourTable;
import dev.kindling.generator.SimilarItems;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.baseline.CoOccurrence;
import dev.kindling.meta.baseline.CollaborativeLists;
import dev.kindling.meta.baseline.EaseRecommender;
import dev.kindling.meta.baseline.ItemKnnRecommender;
import dev.kindling.meta.baseline.NeighbourLists;
import dev.kindling.meta.baseline.PopularityRecommender;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.maml.TrainingProgress;
import dev.kindling.meta.mml.AdaptationTuning;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.paml.UserRateMemory;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Trains MML and the baselines on everything in the store and saves the best on the new users after T as the current
 * model version: what {@code ./kindling train} and the server's training job both run. The generator's neighbours
 * (Eq. 14) come from the vector index.
 */
public final class ModelTraining {
    /** Seeds training: initialisation, sampling and libtorch's generator. */
    private static final long SEED = 1;
    /** Held-out users predict their 10th interaction from the 9 before (the evaluation's k). */
    private static final int HELD_OUT_K = 10;
    /** Validation checks without improvement before a training loop stops (the evaluation's default). */
    private static final int PATIENCE = 2;
    /**
     * Training profiles, both with tasks shaped like cold-start users ({@link Training.Episodes#COLD_START}): full has
     * the MML authors' 10 meta-epochs and J = 5 inner steps; quick (what the demo trains, within 5 minutes on 2 cores)
     * 3 meta-epochs with J = 2 (serving chooses its own J on held-out users; it chose 1 step on ml-latest-small).
     */
    public static Training.MamlSettings profile(String name) {
        return switch (name) {
            case "quick" -> new Training.MamlSettings(3, 16, 2, 0.05, 1e-3, false, Training.Episodes.COLD_START);
            case "full" -> new Training.MamlSettings(10, 16, 5, 0.05, 1e-3, false, Training.Episodes.COLD_START);
            default -> throw new IllegalArgumentException("profile must be quick or full, was '" + name + "'");
        };
    }

    /**
     * Next-item pre-training epochs per learner before meta-training, at most (early stopping usually ends sooner):
     * quick 10, full 50. Not in the MML paper; on ml-latest-small it lifts MML's NDCG@10 from 0.047 to 0.068 (see the
     * meta README). 0 gives the paper's random initialisation.
     */
    public static int pretrainEpochs(String profile) {
        return switch (profile) {
            case "quick" -> 10;
            case "full" -> 50;
            default -> throw new IllegalArgumentException("profile must be quick or full, was '" + profile + "'");
        };
    }

    private ModelTraining() {
    }

    /**
     * What to train.
     *
     * @param maml           meta-training settings (see {@link #profile})
     * @param learner        the learners' shape and loss
     * @param stages         MML stages 2 and 3
     * @param pretrainEpochs epochs of next-item pre-training of each learner before its MAML stage (0: none, the
     *                       paper's setting; the evaluation found it lifts MML on small data, see the meta README)
     * @param quantile       T as a quantile of users' first-interaction times
     * @param paml           learn PAML's per-user rates for the main learner (users kept in the index)
     * @param pamlUsers      users PAML's memory keeps (see {@code meta.paml.users})
     * @param model          {@code auto} (every candidate, the best on the held-out users is served) or one
     *                       {@link ServedMethod} label
     */
    public record Plan(Training.MamlSettings maml, LearnerConfig learner, MmlTraining.Stages stages, int pretrainEpochs,
                       double quantile, boolean paml, int pamlUsers, String model) {
        /** A profile's plan ({@code quick} or {@code full}), every candidate. */
        public static Plan of(String profile) {
            return new Plan(profile(profile), LEARNER, MmlTraining.Stages.DEFAULT, ModelTraining.pretrainEpochs(profile), 0.8,
                    false,
                    UserRateMemory.DEFAULT_CAPACITY, "auto");
        }

        public Plan with(double newQuantile, boolean newPaml, int newPamlUsers, int newPretrainEpochs, String newModel) {
            return new Plan(maml, learner, stages, newPretrainEpochs, newQuantile, newPaml, newPamlUsers, newModel);
        }
    }

    /** The progress bar's stages besides MML's own. */
    private static final String BASELINES = "fitting the baselines";
    private static final String ADAPTATION = "choosing how serving adapts";

    /**
     * Trains the candidates and saves the best as the current version.
     *
     * @param device   where the tensors live (see {@code meta.device})
     * @param progress receives a line per stage
     * @return the saved model version's directory
     */
    public static Path train(Store store, VectorIndex index, Path models, Plan plan, Device device,
                             Consumer<String> progress) {
        return train(store, index, models, plan, device, progress, TrainingProgress.NONE);
    }

    /**
     * {@link #train(Store, VectorIndex, Path, Plan, Device, Consumer)}, telling {@code bar} of every stage's epochs
     * (for a progress bar with the stage and an ETA).
     */
    public static Path train(Store store, VectorIndex index, Path models, Plan plan, Device device,
                             Consumer<String> progress, TrainingProgress bar) {
        Training.MamlSettings maml = plan.maml();
        String model = plan.model();
        boolean paml = plan.paml();
        int pretrainEpochs = plan.pretrainEpochs();
        long start = System.nanoTime();
        Consumer<String> timed = line -> progress.accept(String.format("[%5.0f s] %s", (System.nanoTime() - start) / 1e9,
                line));
        boolean auto = model.equals("auto");
        ServedMethod only = auto ? null : ServedMethod.of(model);
        if (only == ServedMethod.METACSR) {
            bar.plan("training metaCSR", 1);
            Path saved = MetaCsrModelTraining.train(store, models, MetaCsrModelTraining.Plan.defaults(), device,
                    progress);
            bar.finish("training metaCSR");
            return saved;
        }
        DjlRuntime.seedRandom(SEED);
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            MetaDataset data = MetaDataset.load(store, plan.quantile());
            // The new users after T are never trained on: they stop each training loop at its best epoch (as in the
            // evaluation), choose the baselines' settings and the serving adaptation, and choose what is served.
            HeldOutUsers heldOut = new HeldOutUsers(data.newUsers(), HELD_OUT_K, Protocol.NEXT_N);
            boolean judged = heldOut.size() >= AdaptationTuning.MIN_USERS;
            timed.accept(judged ? heldOut.size() + " new users after T judge the candidates (next " + Protocol.N
                    + " interactions after their first " + (HELD_OUT_K - 1) + ")"
                    : "only " + heldOut.size() + " new users after T: no early stopping or selection");
            boolean withMml = auto || only.isMml();
            boolean withCf = auto || only == ServedMethod.MML_CF;
            MmlTraining.Options options = MmlTraining.Options.NONE.withPretraining(pretrainEpochs).withProgress(bar);
            bar.plan(BASELINES, 1);
            if (withMml) {
                MmlTraining.plan(bar, options, maml, plan.stages());
                bar.plan(ADAPTATION, withCf ? 2 : 1);
            }
            Map<String, Double> candidates = new LinkedHashMap<>();
            Map<String, Params> groups = new LinkedHashMap<>();
            Map<ServedMethod, NeighbourLists> lists = new LinkedHashMap<>();
            CoOccurrence co = new CoOccurrence(data.oldUsers(),
                    data.itemCount());
            double lambda = EASE_LAMBDAS[EASE_LAMBDAS.length / 2];
            if (auto || only == ServedMethod.EASE || only == ServedMethod.MML_CF) {
                Fitted ease = fitBest(judged ? EASE_LAMBDAS : new double[] {lambda}, heldOut, judged,
                        l -> EaseRecommender.fit(co, l, EASE_MAX_ITEMS, manager)
                                .sparsify(NeighbourLists.SERVED));
                lambda = ease.setting();
                lists.put(ServedMethod.EASE, ease.lists());
                candidates.put(ServedMethod.EASE.label(), ease.score());
                timed.accept(String.format("EASE: lambda %s, held-out NDCG@10 %.4f", lambda, ease.score()));
            }
            if (auto || only == ServedMethod.ITEM_KNN) {
                Fitted knn = fitBest(judged ? KNN_NEIGHBOURS : new double[] {KNN_NEIGHBOURS[0]}, heldOut, judged,
                        k -> ItemKnnRecommender.fit(co, (int) k));
                lists.put(ServedMethod.ITEM_KNN, knn.lists());
                candidates.put(ServedMethod.ITEM_KNN.label(), knn.score());
                timed.accept(String.format("item-kNN: %.0f neighbours, held-out NDCG@10 %.4f", knn.setting(),
                        knn.score()));
            }
            if (auto || only == ServedMethod.POPULARITY) {
                double score = judged ? heldOut.ndcg10(new PopularityRecommender(data.oldUsers(), data.itemCount())) : 0;
                candidates.put(ServedMethod.POPULARITY.label(), score);
                timed.accept(String.format("popularity: held-out NDCG@10 %.4f", score));
            }
            bar.finish(BASELINES);
            AdaptationTuning.Choice adaptation = null;
            Map<ServedMethod, AdaptationTuning.Choice> adaptations = new LinkedHashMap<>();
            if (withMml) {
                ItemFeatures features = data.features(store, manager, DataType.FLOAT32);
                Scalars s = new Scalars(manager, DataType.FLOAT32);
                MmlModel.Setup setup = MmlModel.Setup.NONE.withNeighbours(NeighbourTable.fromIndex(
                        new SimilarItems(index), data.itemIds(), data.oldItems(), plan.stages().neighbours(),
                        features.vectors(), manager, done -> { }));
                timed.accept("generator neighbours found through the index");
                if (paml) {
                    setup = setup.withPaml(MmlModel.Paml.defaults(new UserRateMemory(index, plan.learner().hidden(),
                            plan.pamlUsers())));
                }
                MmlModel mml = new MmlModel(data, features, plan.learner(), s, manager, setup);
                if (judged) {
                    options = options.withValidation(heldOut, PATIENCE);
                }
                if (withCf) {
                    NeighbourLists ease = lists.get(ServedMethod.EASE); // fitted above whenever mml-cf is trained
                    options = options.withCollaborative(() -> ease);
                }
                new MmlTraining(mml, options).train(maml, plan.stages(), SEED, timed);
                for (ServedMethod m : withCf ? List.of(ServedMethod.MML, ServedMethod.MML_CF) : List.of(only)) {
                    AdaptationTuning.Choice choice = AdaptationTuning.choose(mml, m.variant(), heldOut,
                            AdaptationTuning.STEPS, AdaptationTuning.RATES, line -> timed.accept(m.label() + " " + line));
                    adaptations.put(m, choice);
                    bar.advance(ADAPTATION);
                    candidates.put(m.label(), judged ? choice.ndcg10() : 0);
                }
                groups.putAll(mml.parameters());
            }
            // without held-out users there is no evidence to choose by: MML, as the paper would
            ServedMethod served = !auto ? only : judged ? best(candidates) : ServedMethod.MML;
            adaptation = adaptations.get(served);
            if (lists.containsKey(served)) {
                groups.put(BASELINE_GROUP, CollaborativeLists.toParams(lists.get(served), manager));
            }
            timed.accept("serving " + served.label() + (candidates.size() > 1 ? " (held-out NDCG@10: " + candidates
                    + ")" : ""));
            Path saved = ModelDirectory.save(models, plan.learner(), data, encoders(store), groups, adaptation,
                    new ModelDirectory.Selection(served, candidates));
            timed.accept("saved " + saved.getFileName() + " (now current)");
            return saved;
        }
    }

    /** The group a served baseline's item neighbour lists are saved in. */
    public static final String BASELINE_GROUP = "baseline";
    /** The learners' shape and loss: the MML authors' backbone, trained with the softmax loss (see NextItemLoss). */
    public static final LearnerConfig LEARNER = LearnerConfig.DEFAULT.withLoss(NextItemLoss.SOFTMAX);
    /** EASE's L2 weights tried on the held-out users (a log grid around the usual optimum for MovieLens sizes). */
    static final double[] EASE_LAMBDAS = {50, 200, 1000};
    /** The most interacted items EASE covers (its dense inverse is m x m). */
    static final int EASE_MAX_ITEMS = 20_000;
    /** item-kNN neighbourhood sizes tried. */
    static final double[] KNN_NEIGHBOURS = {50, 200};

    /** A baseline fitted with the setting that scored best on the held-out users. */
    private record Fitted(double setting, NeighbourLists lists, double score) {
    }

    /** Fits the baseline with each setting and keeps the best on the held-out users (score 0 when not judged). */
    private static Fitted fitBest(double[] settings, HeldOutUsers heldOut, boolean judged,
                                  DoubleFunction<NeighbourLists> fit) {
        Fitted best = null;
        for (double setting : settings) {
            NeighbourLists lists = fit.apply(setting);
            double score = judged ? heldOut.ndcg10(lists) : 0;
            if (best == null || score > best.score()) {
                best = new Fitted(setting, lists, score);
            }
        }
        return best;
    }

    private static ServedMethod best(Map<String, Double> candidates) {
        return ServedMethod.of(candidates.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey());
    }

    /** The identity of the encoders that made the stored vectors, so serving can check it encodes the same way. */
    static Map<String, String> encoders(Store store) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Modality m : Modality.BUILT_IN) { // what the learners read
            for (ItemVector v : store.itemVectors(m.key(), null, 1).rows()) {
                out.put(m.key(), v.encoder());
            }
        }
        return out;
    }
}
