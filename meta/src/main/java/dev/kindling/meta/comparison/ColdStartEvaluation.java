package dev.kindling.meta.comparison;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.DoubleFunction;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.generator.NeighbourTable;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.Recommender;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.baseline.CoOccurrence;
import dev.kindling.meta.baseline.ContentKnnRecommender;
import dev.kindling.meta.baseline.EaseRecommender;
import dev.kindling.meta.baseline.ItemKnnRecommender;
import dev.kindling.meta.baseline.NeighbourLists;
import dev.kindling.meta.baseline.PopularityRecommender;
import dev.kindling.meta.baseline.SequentialRules;
import dev.kindling.meta.evaluation.Bootstrap;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.evaluation.RankingMetrics;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.InnerRates;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.melo.LossWeights;
import dev.kindling.meta.melo.NextItemMelo;
import dev.kindling.meta.melo.NextItemWeights;
import dev.kindling.meta.mml.AdaptationTuning;
import dev.kindling.meta.mml.BlendWeights;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.paml.UserRateMemory;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The cold-start protocol of MML 5.2.1 on a {@link MetaDataset}: each new user is known by the earliest k - 1
 * interactions (the support, adaptation data) and ranked against all items for the query of a {@link Protocol} (the
 * k-th interaction, or the next {@link Protocol#N}). New users are split, per seed, into a validation half (for
 * tuning) and a test half (the reported numbers). Every adaptive method gets the same adaptation budget (J steps). The
 * validation half is used for early stopping (every training loop keeps its best epoch by validation NDCG@10) and to
 * choose each method's setting from a small grid (the adaptation rate; EASE's lambda; item-kNN's neighbours); the
 * test half is only ever scored. With cross-fitting ({@link #withCrossFitting}, what {@code evaluate} does unless told
 * otherwise) each seed runs twice, the halves swapping roles, so the reported numbers are the union of both halves:
 * every new user is scored once per seed, each by models whose training and choices never saw them.
 *
 * <p>Reported per method and k: mean and standard deviation over seeds of the test halves' means, a 95% bootstrap
 * interval over the test users of all seeds pooled, and, paired user by user, the difference to the reference MML
 * variant ({@link #reference}) with its 95% interval. The intervals resample users, not (user, seed) pairs: a user in
 * the test halves of several seeds is drawn with all their values ({@link Bootstrap#clusteredMean95}).
 */
public final class ColdStartEvaluation {
    private static final Logger LOG = LoggerFactory.getLogger(ColdStartEvaluation.class);

    /**
     * The method every other one is compared with, user by user: MML with its collaborative learner when it runs (what
     * {@code kindling train} serves when it is the best MML variant), else MML when it runs, else the first method
     * listed (e.g. {@code --methods maml-id,maml-id-melo,ease} compares with maml-id).
     */
    public String reference() {
        List<Method> methods = settings.methods();
        if (methods.contains(Method.MML_CF)) {
            return Method.MML_CF.label();
        }
        return (methods.contains(Method.MML) || methods.isEmpty() ? Method.MML : methods.get(0)).label();
    }

    /**
     * Each seed runs with either half tuning for the other (cross-fitting): every new user is reported once per seed,
     * scored by models early-stopped and tuned on the other half, at twice the time. Off: the second half only, as in
     * the MML paper.
     */
    public ColdStartEvaluation withCrossFitting(boolean on) {
        this.crossFit = on;
        return this;
    }

    /**
     * @param supportSizes   k values: the query starts at the k-th interaction (MML reports 10; 5 and 20 too)
     * @param seeds          seeds (splits, initialisation, sampling)
     * @param learner        learner shape
     * @param pretrainEpochs SASRec / PT-FT pre-training epochs
     * @param maml           meta-training settings (its inner steps and rate are also the adaptation budget)
     * @param stages         MML stages 2 and 3
     * @param methods        which methods to run
     * @param patience       early stopping: validation checks without improvement before a loop stops (0: off)
     * @param rateGrid       adaptation rates tried on the validation half for each adaptive method (empty: the
     *                       meta-training inner rate only)
     * @param regPaml        REG-PAML's gamma for {@code mml-paml} (0: plain PAML)
     * @param pretrainInit   meta-trained methods start from pre-trained learners (pretrainEpochs of next-item
     *                       training) instead of random weights
     * @param protocol       what the query is
     * @param baselines      the collaborative baselines' grids
     */
    public record Settings(List<Integer> supportSizes, List<Long> seeds, LearnerConfig learner, int pretrainEpochs,
                           Training.MamlSettings maml, MmlTraining.Stages stages, List<Method> methods, int patience,
                           List<Double> rateGrid, double regPaml, boolean pretrainInit, Protocol protocol,
                           BaselineSettings baselines) {
        public Settings {
            if (supportSizes.isEmpty() || seeds.isEmpty()) {
                throw new IllegalArgumentException("supportSizes and seeds must not be empty");
            }
        }

        public Settings(List<Integer> supportSizes, List<Long> seeds, LearnerConfig learner, int pretrainEpochs,
                        Training.MamlSettings maml, MmlTraining.Stages stages, List<Method> methods, int patience,
                        List<Double> rateGrid, double regPaml, boolean pretrainInit) {
            this(supportSizes, seeds, learner, pretrainEpochs, maml, stages, methods, patience, rateGrid, regPaml,
                    pretrainInit, Protocol.NEXT_ITEM, BaselineSettings.DEFAULT);
        }
    }

    /**
     * The collaborative baselines' settings, each chosen on the validation half.
     *
     * @param easeLambdas   EASE's L2 weights tried
     * @param easeMaxItems  the most interacted items EASE's dense inverse covers
     * @param knnNeighbours item-kNN's neighbourhood sizes tried (0: every co-occurring item)
     */
    public record BaselineSettings(List<Double> easeLambdas, int easeMaxItems, List<Integer> knnNeighbours) {
        public static final BaselineSettings DEFAULT = new BaselineSettings(List.of(10.0, 50.0, 200.0, 1000.0), 20_000,
                List.of(20, 100, 500, 0));
    }

    /** What {@code evaluate} runs when not told: every method but the main learner alone. */
    public static final List<Method> METHODS = List.of(Method.POPULARITY, Method.ITEM_KNN, Method.EASE,
            Method.CONTENT_KNN, Method.SEQUENTIAL_RULES, Method.SASREC, Method.PT_FT, Method.MAML_ID, Method.MML_MAIN,
            Method.MML, Method.MML_NO_GEN, Method.MML_NO_FUSION, Method.MML_PAML, Method.MML_CF, Method.MML_CF_NO_LEARNERS);

    /** A difference to the reference method, paired over the same users: mean and 95% bootstrap interval. */
    public record Difference(double mean, double low, double high) {
    }

    /**
     * One method's test metrics at one k.
     *
     * @param testUsers      test users per seed (the last seed's; halves differ by at most one, and with
     *                       cross-fitting both halves are test users)
     * @param mean           mean over seeds of the test halves' means
     * @param std            standard deviation over seeds of the test halves' means
     * @param ci95           95% bootstrap interval of the mean over every seed's test users pooled, resampled by
     *                       user (a user in several seeds' test halves is one draw)
     * @param validationMean the validation halves' mean (what the choices were made on)
     * @param chosenRates    the setting chosen on each seed's validation half (adaptation rate, EASE's lambda or
     *                       item-kNN's neighbourhood size); with cross-fitting two a seed, the first half's choice
     *                       (for the second) then the second's
     * @param versusReference the paired difference of this method minus the {@link #reference} per metric (empty for
     *                       the reference itself)
     */
    public record MethodResult(String method, int k, String protocol, String reference, int testUsers,
                               Map<String, Double> mean,
                               Map<String, Double> std, Map<String, Bootstrap.Interval> ci95,
                               Map<String, Double> validationMean, List<Double> chosenRates,
                               Map<String, Difference> versusReference) {
    }

    private final MetaDataset data;
    private final ItemFeatures features;
    private final Settings settings;
    private BiFunction<String, Integer, UserRateMemory> userMemory;
    private NeighbourTable neighbours;
    private boolean crossFit;

    /** The generator's neighbours, found through the vector index; without this call they are computed exactly. */
    public ColdStartEvaluation withNeighbours(NeighbourTable table) {
        this.neighbours = table;
        return this;
    }

    /**
     * Where PAML keeps its users for the {@code mml-paml} method: a fresh memory per (run, dimension), separate for
     * each run since runs may be in parallel. The run's name is a file name: "seed-1", and with cross-fitting
     * "seed-1-swapped" for the seed's second run.
     */
    public ColdStartEvaluation withUserMemory(BiFunction<String, Integer, UserRateMemory> memory) {
        this.userMemory = memory;
        return this;
    }

    public ColdStartEvaluation(MetaDataset data, ItemFeatures features, Settings settings) {
        this.data = data;
        this.features = features;
        this.settings = settings;
    }

    public List<MethodResult> run(NDManager manager, Consumer<String> progress) {
        return run(manager, progress, 1);
    }

    /**
     * Runs every seed (with cross-fitting, each seed's two runs), {@code parallel} runs at a time (each trains on its
     * own thread with its own tensors; libtorch's gradient mode is per thread), and summarises over the seeds.
     */
    public List<MethodResult> run(NDManager manager, Consumer<String> progress, int parallel) {
        List<Run> runs = new ArrayList<>();
        for (long seed : settings.seeds()) {
            runs.add(new Run(seed, false));
            if (crossFit) {
                runs.add(new Run(seed, true));
            }
        }
        List<SeedResult> perRun = new ArrayList<>();
        if (parallel <= 1 || runs.size() == 1) {
            for (Run run : runs) {
                perRun.add(runSeed(run, manager, progress));
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, runs.size()), r -> {
                Thread t = new Thread(r, "kindling-evaluate");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<SeedResult>> futures = new ArrayList<>();
                for (Run run : runs) {
                    futures.add(pool.submit(() -> {
                        Autograd.record(true);
                        return runSeed(run, manager, progress);
                    }));
                }
                for (Future<SeedResult> f : futures) {
                    perRun.add(f.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("evaluation interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }
        Map<Long, SeedResult> perSeed = new LinkedHashMap<>(); // a seed's second run joins its first
        for (int i = 0; i < runs.size(); i++) {
            perSeed.merge(runs.get(i).seed(), perRun.get(i), SeedResult::union);
        }
        return summarise(new ArrayList<>(perSeed.values()));
    }

    /** One training of every method: a seed, and which half tunes (the first, or with {@code swapped} the second). */
    private record Run(long seed, boolean swapped) {
        @Override
        public String toString() {
            return swapped ? "seed " + seed + " (second half tuning)" : "seed " + seed;
        }

        String fileName() {
            return swapped ? "seed-" + seed + "-swapped" : "seed-" + seed;
        }
    }

    private List<MethodResult> summarise(List<SeedResult> perSeed) {
        // "method@k" -> per seed: test half's per-user values (keyed by user id) and means
        Map<String, List<Map<String, Map<String, Double>>>> test = new LinkedHashMap<>();
        Map<String, List<Map<String, Double>>> validation = new LinkedHashMap<>();
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (SeedResult r : perSeed) {
            r.test().forEach((key, v) -> test.computeIfAbsent(key, x -> new ArrayList<>()).add(v));
            r.validation().forEach((key, v) -> validation.computeIfAbsent(key, x -> new ArrayList<>()).add(v));
            r.rates().forEach((key, v) -> rates.computeIfAbsent(key, x -> new ArrayList<>()).addAll(v));
        }
        List<MethodResult> out = new ArrayList<>();
        for (String key : test.keySet()) {
            String[] parts = key.split("@");
            List<Map<String, Map<String, Double>>> seeds = test.get(key);
            List<Map<String, Double>> seedMeans = seeds.stream().map(ColdStartEvaluation::meanOver).toList();
            int[] users = pooledUsers(seeds);
            Map<String, Bootstrap.Interval> ci = new LinkedHashMap<>();
            for (String metric : RankingMetrics.names()) {
                ci.put(metric, Bootstrap.clusteredMean95(pooled(seeds, metric, null), users));
            }
            Map<String, Difference> versus = new LinkedHashMap<>();
            String reference = reference() + "@" + parts[1];
            if (test.containsKey(reference) && !key.equals(reference)) {
                for (String metric : RankingMetrics.names()) {
                    double[] mine = pooled(seeds, metric, null);
                    double[] theirs = pooled(test.get(reference), metric, seeds);
                    Bootstrap.Interval d = Bootstrap.clusteredDifference95(mine, theirs, users);
                    double mean = 0;
                    for (int i = 0; i < mine.length; i++) {
                        mean += (mine[i] - theirs[i]) / mine.length;
                    }
                    versus.put(metric, new Difference(mean, d.low(), d.high()));
                }
            }
            out.add(new MethodResult(parts[0], Integer.parseInt(parts[1]), settings.protocol().label(), reference(),
                    seeds.get(seeds.size() - 1).size(), mean(seedMeans), std(seedMeans), ci,
                    mean(validation.get(key)), rates.get(key), versus));
        }
        return out;
    }

    /**
     * One metric of every seed's test users, in seed and user order; with {@code alignedTo}, in the order of that
     * result's users (the same users, for paired differences).
     */
    private static double[] pooled(List<Map<String, Map<String, Double>>> seeds, String metric,
                                    List<Map<String, Map<String, Double>>> alignedTo) {
        List<Double> values = new ArrayList<>();
        for (int s = 0; s < seeds.size(); s++) {
            Map<String, Map<String, Double>> users = seeds.get(s);
            Iterable<String> order = alignedTo == null ? users.keySet() : alignedTo.get(s).keySet();
            for (String user : order) {
                values.add(users.get(user).get(metric));
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * The user of each value {@link #pooled} gives (without {@code alignedTo}), as a cluster id: a user drawn into the
     * test halves of several seeds is one cluster of the bootstrap, not several users.
     */
    private static int[] pooledUsers(List<Map<String, Map<String, Double>>> seeds) {
        List<String> users = new ArrayList<>();
        seeds.forEach(seed -> users.addAll(seed.keySet()));
        return Bootstrap.clusters(users);
    }

    private static Map<String, Double> meanOver(Map<String, Map<String, Double>> users) {
        return mean(new ArrayList<>(users.values()));
    }

    /**
     * One seed's results by "method@k": per-user test values (by user id), validation means, chosen settings (one per
     * run of the seed).
     */
    private record SeedResult(Map<String, Map<String, Map<String, Double>>> test,
                              Map<String, Map<String, Double>> validation, Map<String, List<Double>> rates) {
        /**
         * Both runs of a cross-fitted seed as one: each half's test users (disjoint), the mean of the two validation
         * means (halves differ by at most one user), both choices.
         */
        SeedResult union(SeedResult other) {
            SeedResult out = new SeedResult(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
            for (String key : test.keySet()) {
                Map<String, Map<String, Double>> users = new LinkedHashMap<>(test.get(key));
                users.putAll(other.test().get(key));
                out.test().put(key, users);
                out.validation().put(key, mean(List.of(validation.get(key), other.validation().get(key))));
                List<Double> both = new ArrayList<>(rates.get(key));
                both.addAll(other.rates().get(key));
                out.rates().put(key, both);
            }
            return out;
        }
    }

    private SeedResult runSeed(Run run, NDManager manager, Consumer<String> progress) {
        SeedResult result = new SeedResult(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
        long seed = run.seed();
        DjlRuntime.seedRandom(seed);
        DataType type = DataType.FLOAT32;
        int tuneK = settings.supportSizes().contains(10) ? 10 : settings.supportSizes().get(0);
        Halves halves = halves(data.newUsers(), seed);
        List<UserSequence> valHalf = run.swapped() ? halves.test() : halves.validation();
        List<UserSequence> testHalf = run.swapped() ? halves.validation() : halves.test();
        HeldOutUsers tuning = new HeldOutUsers(valHalf, tuneK, settings.protocol());
        CoOccurrence[] coOccurrence = new CoOccurrence[1];
        double[] chosenLambda = {Double.NaN};
        try (NDManager seedManager = manager.newSubManager()) {
            Scalars seedScalars = new Scalars(seedManager, type);
            MmlModel mml = null;
            MmlModel mmlPaml = null;
            for (Method method : settings.methods()) {
                try (NDManager m = manager.newSubManager()) {
                    Scalars s = new Scalars(m, type);
                    long start = System.nanoTime();
                    DoubleFunction<Recommender> bySetting;
                    List<Double> grid = settings.rateGrid();
                    if (method == Method.MML_PAML) {
                        if (userMemory == null) {
                            throw new IllegalStateException("mml-paml needs a vector index for PAML's users");
                        }
                        if (mmlPaml == null) {
                            mmlPaml = mmlModel(seedScalars, seedManager, new MmlModel.Paml(userMemory.apply(run.fileName(),
                                    settings.learner().hidden()), 10, 1.0, 1e-3, settings.regPaml()));
                            new MmlTraining(mmlPaml, trainingOptions(tuning)).train(settings.maml(), settings.stages(),
                                    seed, progress);
                        }
                        MmlModel trained = mmlPaml;
                        bySetting = rate -> trained.recommender(method.variant(), settings.maml().innerSteps(),
                                rate);
                    } else if (method.sharesMmlModel()) {
                        if (mml == null) {
                            mml = mmlModel(seedScalars, seedManager, null);
                            MmlTraining.Options options = trainingOptions(tuning);
                            if (settings.methods().stream().anyMatch(Method::blended)) {
                                double lambda = easeLambda(chosenLambda, tuning, seedManager, coOccurrence);
                                int maxItems = settings.baselines().easeMaxItems();
                                CoOccurrence co = coOccurrence[0];
                                options = options.withCollaborative(() -> EaseRecommender.fit(co, lambda, maxItems,
                                        seedManager).sparsify(NeighbourLists.SERVED));
                            }
                            new MmlTraining(mml, options).train(settings.maml(), settings.stages(), seed, progress);
                        }
                        MmlModel trained = mml;
                        int steps = settings.maml().innerSteps();
                        if (method.blended()) {
                            // each rate with its blend, chosen on the validation half (AdaptationTuning)
                            List<BlendWeights> blendGrid = method == Method.MML_CF ? BlendWeights.grid()
                                    : BlendWeights.gridWithoutLearners();
                            Map<Double, BlendWeights> blends = new HashMap<>();
                            bySetting = rate -> trained.recommender(method.variant(), steps, rate, blends.computeIfAbsent(
                                    rate, r -> logged(method, AdaptationTuning.chooseBlend(trained, tuning, steps, r,
                                            blendGrid), r)));
                        } else {
                            bySetting = rate -> trained.recommender(method.variant(), steps, rate);
                        }
                    } else if (method.collaborative()) {
                        if (coOccurrence[0] == null) {
                            coOccurrence[0] = new CoOccurrence(data.oldUsers(), data.itemCount());
                        }
                        CoOccurrence co = coOccurrence[0];
                        BaselineSettings b = settings.baselines();
                        Map<Double, Recommender> fitted = new HashMap<>();
                        if (method == Method.EASE) {
                            grid = b.easeLambdas();
                            bySetting = lambda -> fitted.computeIfAbsent(lambda,
                                    l -> EaseRecommender.fit(co, l, b.easeMaxItems(), m));
                        } else {
                            grid = b.knnNeighbours().stream().map(Integer::doubleValue).toList();
                            bySetting = k -> fitted.computeIfAbsent(k, x -> ItemKnnRecommender.fit(co, (int) k));
                        }
                    } else {
                        bySetting = build(method, seed, s, m, tuning);
                    }
                    double setting = choose(method, bySetting, grid, tuning);
                    if (method == Method.EASE) {
                        chosenLambda[0] = setting; // the collaborative learner of mml-cf uses it too
                    }
                    Recommender r = bySetting.apply(setting);
                    progress.accept(String.format("%s %s trained in %.0f s (chosen setting %s)", run, method,
                            (System.nanoTime() - start) / 1e9, setting));
                    for (int k : settings.supportSizes()) {
                        String key = method.label() + "@" + k;
                        HeldOutUsers testUsers = new HeldOutUsers(testHalf, k, settings.protocol());
                        HeldOutUsers valUsers = new HeldOutUsers(valHalf, k, settings.protocol());
                        List<Map<String, Double>> perUser = testUsers.evaluate(r).perUser();
                        Map<String, Map<String, Double>> byUser = new LinkedHashMap<>();
                        for (int u = 0; u < perUser.size(); u++) {
                            byUser.put(testUsers.users().get(u).userId(), perUser.get(u));
                        }
                        result.test().put(key, byUser);
                        result.validation().put(key, valUsers.evaluate(r).values());
                        result.rates().put(key, List.of(setting));
                        LOG.info("{} {} k={}: test ndcg@10 {} ({} users)", run, method, k,
                                String.format("%.4f", meanOver(byUser).get("ndcg@10")), byUser.size());
                    }
                }
            }
        }
        return result;
    }

    private static BlendWeights logged(Method method, BlendWeights blend, double rate) {
        LOG.info("{}: at rate {} the validation half chooses the blend {}", method.label(), rate, blend);
        return blend;
    }

    /** A seed's split of the new users: the validation half (tuning) and the test half (reported). */
    public record Halves(List<UserSequence> validation, List<UserSequence> test) {
    }

    /** The new users shuffled by the seed and cut in two (the first half validates, the second tests). */
    public static Halves halves(List<UserSequence> newUsers, long seed) {
        List<UserSequence> shuffled = new ArrayList<>(newUsers);
        Collections.shuffle(shuffled, new Random(seed));
        return new Halves(List.copyOf(shuffled.subList(0, shuffled.size() / 2)),
                List.copyOf(shuffled.subList(shuffled.size() / 2, shuffled.size())));
    }

    /** EASE's lambda as chosen for the {@code ease} method, or chosen now on the validation half. */
    private double easeLambda(double[] chosen, HeldOutUsers tuning, NDManager m, CoOccurrence[] co) {
        if (Double.isNaN(chosen[0])) {
            if (co[0] == null) {
                co[0] = new CoOccurrence(data.oldUsers(), data.itemCount());
            }
            BaselineSettings b = settings.baselines();
            chosen[0] = choose(Method.EASE, lambda -> EaseRecommender.fit(co[0], lambda, b.easeMaxItems(), m),
                    b.easeLambdas(), tuning);
        }
        return chosen[0];
    }

    /** An untrained MML model over this evaluation's data (with PAML when {@code paml} is not null). */
    private MmlModel mmlModel(Scalars s, NDManager m, MmlModel.Paml paml) {
        return new MmlModel(data, features, settings.learner(), s, m,
                MmlModel.Setup.NONE.withNeighbours(neighbours).withPaml(paml));
    }

    /** How MML trains here: early-stopped on the validation half, pre-trained when the settings say so. */
    private MmlTraining.Options trainingOptions(HeldOutUsers tuning) {
        MmlTraining.Options options = MmlTraining.Options.NONE;
        if (settings.patience() > 0) {
            options = options.withValidation(tuning, settings.patience());
        }
        if (settings.pretrainInit()) {
            options = options.withPretraining(settings.pretrainEpochs());
        }
        return options;
    }

    /**
     * The setting with the best validation NDCG@10 (methods with nothing to choose keep the meta-training inner rate,
     * reported as their setting).
     */
    private double choose(Method method, DoubleFunction<Recommender> bySetting, List<Double> grid,
                          HeldOutUsers tuning) {
        double base = settings.maml().innerRate();
        if (method == Method.POPULARITY || method == Method.SASREC || method == Method.CONTENT_KNN
                || method == Method.SEQUENTIAL_RULES || grid.isEmpty()) {
            return base;
        }
        double best = grid.get(0);
        double bestScore = Double.NEGATIVE_INFINITY;
        for (double setting : grid) {
            double score = tuning.ndcg10(bySetting.apply(setting));
            LOG.info("{}: setting {} gives validation ndcg@10 {}", method, setting, String.format("%.4f", score));
            if (score > bestScore) {
                bestScore = score;
                best = setting;
            }
        }
        return best;
    }

    private DoubleFunction<Recommender> build(Method method, long seed, Scalars s, NDManager m, HeldOutUsers tuning) {
        LearnerConfig c = settings.learner();
        // feature-aware only for mml-main: the other ID learners read no Gram matrices
        Tasks tasks = Tasks.forLearner(c, method == Method.MML_MAIN ? features : null, data.itemCount(), s.type());
        Training.MamlSettings maml = settings.maml();
        switch (method) {
            case POPULARITY -> {
                Recommender r = new PopularityRecommender(data.oldUsers(), data.itemCount());
                return rate -> r;
            }
            case CONTENT_KNN -> {
                Recommender r = new ContentKnnRecommender(features.textRows());
                return rate -> r;
            }
            case SEQUENTIAL_RULES -> {
                Recommender r = SequentialRules.fit(data.oldUsers(), data.itemCount(), NeighbourLists.SERVED);
                return rate -> r;
            }
            case SASREC, PT_FT -> {
                IdLearner learner = new IdLearner(c, data.itemCount(), false, m, s.type());
                Params p = learner.initialise(seed);
                int steps = method == Method.PT_FT ? maml.innerSteps() : 0;
                Training.pretrain(learner, p, data.oldUsers(), tasks, settings.pretrainEpochs(), 64, 1e-3, seed, s, m,
                        e -> { }, validation(method.label(), learner, tasks, steps, maml.innerRate(), s, m, tuning, 5));
                return rate -> new AdaptedRecommender(learner, p, tasks, steps, rate, s, m);
            }
            case MAML_ID, MML_MAIN -> {
                IdLearner learner = new IdLearner(c, data.itemCount(), method == Method.MML_MAIN, m, s.type());
                Params p = learner.initialise(seed);
                if (settings.pretrainInit()) {
                    Training.pretrain(learner, p, data.oldUsers(), tasks, settings.pretrainEpochs(), 64, 1e-3, seed, s, m,
                            e -> { }, validation(method.label() + " pre-training", learner, tasks, maml.innerSteps(),
                                    maml.innerRate(), s, m, tuning, 5));
                }
                Training.metaTrain(learner, p, data.oldUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s), seed,
                        s, m, e -> { }, validation(method.label(), learner, tasks, maml.innerSteps(), maml.innerRate(), s, m, tuning,
                                1));
                return rate -> new AdaptedRecommender(learner, p, tasks, maml.innerSteps(), rate, s, m);
            }
            case MAML_ID_MELO -> {
                // From the seed's generator state, as the first method of a seed starts: run after maml-id as the
                // first method, its pre-training and its tasks are maml-id's, and only the learned weights differ.
                DjlRuntime.seedRandom(seed);
                IdLearner learner = new IdLearner(c, data.itemCount(), false, m, s.type());
                Params p = learner.initialise(seed);
                if (settings.pretrainInit()) {
                    Training.pretrain(learner, p, data.oldUsers(), tasks, settings.pretrainEpochs(), 64, 1e-3, seed, s, m,
                            e -> { }, validation(method.label() + " pre-training", learner, tasks, maml.innerSteps(),
                                    maml.innerRate(), s, m, tuning, 5));
                }
                LossWeights model = LossWeights.standard(m, s.type());
                NextItemWeights weights = new NextItemWeights(model, c.maxLength());
                Params phi = model.initialise(seed);
                new NextItemMelo(learner, weights, maml.innerSteps(), s).metaTrain(p, phi, data.oldUsers(), tasks, maml,
                        seed, m, settings.patience() > 0 ? tuning : null, settings.patience(), method.label());
                return rate -> NextItemMelo.recommender(learner, p, weights, phi, tasks, maml.innerSteps(), rate, s, m);
            }
            default -> throw new IllegalArgumentException("not built here: " + method);
        }
    }

    private Training.Validation validation(String name, SequenceLearner learner, Tasks tasks, int steps, double rate,
                                           Scalars s, NDManager m, HeldOutUsers tuning, int every) {
        if (settings.patience() <= 0) {
            return null;
        }
        return Training.Validation.ofAdaptation(name, learner, tasks, steps, rate, s, m, tuning,
                settings.patience(), every);
    }

    private static Map<String, Double> mean(List<Map<String, Double>> runs) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String key : runs.get(0).keySet()) {
            out.put(key, runs.stream().mapToDouble(r -> r.get(key)).average().orElse(0));
        }
        return out;
    }

    private static Map<String, Double> std(List<Map<String, Double>> runs) {
        Map<String, Double> means = mean(runs);
        Map<String, Double> out = new LinkedHashMap<>();
        for (String key : means.keySet()) {
            double m = means.get(key);
            double var = runs.stream().mapToDouble(r -> (r.get(key) - m) * (r.get(key) - m)).sum()
                    / Math.max(1, runs.size() - 1);
            out.put(key, Math.sqrt(var));
        }
        return out;
    }
}
