package dev.kindling.meta;

import java.util.ArrayList;
import java.util.Collections;
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

import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The cold-start protocol of MML 5.2.1 on a {@link MetaDataset}: each new user keeps only the earliest k interactions;
 * the first k-1 are the support (adaptation) data and the k-th is ranked against all items. New users are split, per
 * seed, into a validation half (for tuning) and a test half (the reported numbers). Every adaptive method gets the
 * same adaptation budget (J steps). The validation half is used for early stopping (every training loop keeps its
 * best epoch by validation NDCG@10) and to choose each method's adaptation rate from a small grid; the test half is
 * only ever scored.
 */
public final class ColdStartEvaluation {
    private static final Logger LOG = LoggerFactory.getLogger(ColdStartEvaluation.class);

    /**
     * @param supportSizes   k values: the k-th interaction is held out (MML reports 10; 5 and 20 too)
     * @param seeds          seeds (splits, initialisation, sampling)
     * @param learner        learner shape
     * @param pretrainEpochs SASRec / PT-FT pre-training epochs
     * @param maml           meta-training settings (its inner steps and rate are also the adaptation budget)
     * @param stages         MML stages 2 and 3
     * @param methods        which methods to run, from {@link #METHODS}
     * @param patience       early stopping: validation checks without improvement before a loop stops (0: off)
     * @param rateGrid       adaptation rates tried on the validation half for each adaptive method (empty: the
     *                       meta-training inner rate only)
     * @param regPaml        REG-PAML's gamma for {@code mml-paml} (0: plain PAML)
     * @param pretrainInit   meta-trained methods start from pre-trained learners (pretrainEpochs of next-item
     *                       training) instead of random weights
     */
    public record Settings(List<Integer> supportSizes, List<Long> seeds, LearnerConfig learner, int pretrainEpochs,
                           Training.MamlSettings maml, MmlModel.Stages stages, List<String> methods, int patience,
                           List<Double> rateGrid, double regPaml, boolean pretrainInit) {
        public Settings {
            if (supportSizes.isEmpty() || seeds.isEmpty()) {
                throw new IllegalArgumentException("supportSizes and seeds must not be empty");
            }
        }
    }

    /** Methods available. */
    public static final List<String> METHODS = List.of("popularity", "sasrec", "pt-ft", "maml-id", "mml-main", "mml",
            "mml-no-gen", "mml-no-fusion", "mml-paml");

    /** The variants that share one trained {@link MmlModel} per seed. */
    private static final List<String> MML_VARIANTS = List.of("mml", "mml-no-gen", "mml-no-fusion");

    /**
     * Mean and standard deviation over seeds of one method's test metrics at one k, the validation half's mean, and
     * the adaptation rate chosen on the validation half for each seed.
     */
    public record MethodResult(String method, int k, int testUsers, Map<String, Double> mean, Map<String, Double> std,
                               Map<String, Double> validationMean, List<Double> chosenRates) {
    }

    private final MetaDataset data;
    private final ItemFeatures features;
    private final Settings settings;
    private BiFunction<Long, Integer, UserRateMemory> userMemory;
    private NeighbourTable neighbours;

    /** The generator's neighbours, found through the vector index; without this call they are computed exactly. */
    public ColdStartEvaluation withNeighbours(NeighbourTable table) {
        this.neighbours = table;
        return this;
    }

    /**
     * Where PAML keeps its users for the {@code mml-paml} method: a fresh memory per (seed, dimension), separate for
     * each seed since seeds may run in parallel.
     */
    public ColdStartEvaluation withUserMemory(BiFunction<Long, Integer, UserRateMemory> memory) {
        this.userMemory = memory;
        return this;
    }

    public ColdStartEvaluation(MetaDataset data, ItemFeatures features, Settings settings) {
        this.data = data;
        this.features = features;
        this.settings = settings;
        for (String m : settings.methods()) {
            if (!METHODS.contains(m)) {
                throw new IllegalArgumentException("unknown method '" + m + "' (available: " + METHODS + ")");
            }
        }
    }

    public List<MethodResult> run(NDManager manager, Consumer<String> progress) {
        return run(manager, progress, 1);
    }

    /**
     * Runs every seed, {@code parallel} seeds at a time (each seed trains on its own thread with its own tensors;
     * libtorch's gradient mode is per thread), and returns mean and standard deviation over the seeds.
     */
    public List<MethodResult> run(NDManager manager, Consumer<String> progress, int parallel) {
        List<SeedResult> perSeed = new ArrayList<>();
        if (parallel <= 1 || settings.seeds().size() == 1) {
            for (long seed : settings.seeds()) {
                perSeed.add(runSeed(seed, manager, progress));
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, settings.seeds().size()), r -> {
                Thread t = new Thread(r, "kindling-evaluate");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<SeedResult>> futures = new ArrayList<>();
                for (long seed : settings.seeds()) {
                    futures.add(pool.submit(() -> {
                        dev.kindling.tensor.Autograd.record(true);
                        return runSeed(seed, manager, progress);
                    }));
                }
                for (Future<SeedResult> f : futures) {
                    perSeed.add(f.get());
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
        Map<String, List<Map<String, Double>>> test = new LinkedHashMap<>();
        Map<String, List<Map<String, Double>>> validation = new LinkedHashMap<>();
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, Integer> users = new LinkedHashMap<>();
        for (SeedResult r : perSeed) {
            r.test().forEach((key, v) -> test.computeIfAbsent(key, x -> new ArrayList<>()).add(v));
            r.validation().forEach((key, v) -> validation.computeIfAbsent(key, x -> new ArrayList<>()).add(v));
            r.rates().forEach((key, v) -> rates.computeIfAbsent(key, x -> new ArrayList<>()).add(v));
            users.putAll(r.users());
        }
        List<MethodResult> out = new ArrayList<>();
        for (String key : test.keySet()) {
            String[] parts = key.split("@");
            out.add(new MethodResult(parts[0], Integer.parseInt(parts[1]), users.get(key), mean(test.get(key)),
                    std(test.get(key)), mean(validation.get(key)), rates.get(key)));
        }
        return out;
    }

    /** One seed's metrics by "method@k". */
    private record SeedResult(Map<String, Map<String, Double>> test, Map<String, Map<String, Double>> validation,
                              Map<String, Double> rates, Map<String, Integer> users) {
    }

    private SeedResult runSeed(long seed, NDManager manager, Consumer<String> progress) {
        SeedResult result = new SeedResult(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(),
                new LinkedHashMap<>());
        DataType type = DataType.FLOAT32;
        int tuneK = settings.supportSizes().contains(10) ? 10 : settings.supportSizes().get(0);
        List<UserSequence> shuffled = new ArrayList<>(data.newUsers());
        Collections.shuffle(shuffled, new Random(seed));
        List<UserSequence> valHalf = shuffled.subList(0, shuffled.size() / 2);
        List<UserSequence> testHalf = shuffled.subList(shuffled.size() / 2, shuffled.size());
        try (NDManager seedManager = manager.newSubManager()) {
            Scalars seedScalars = new Scalars(seedManager, type);
            MmlModel mml = null;
            MmlModel mmlPaml = null;
            for (String method : settings.methods()) {
                try (NDManager m = manager.newSubManager()) {
                    Scalars s = new Scalars(m, type);
                    long start = System.nanoTime();
                    DoubleFunction<Recommender> byRate;
                    if (method.equals("mml-paml")) {
                        if (userMemory == null) {
                            throw new IllegalStateException("mml-paml needs a vector index for PAML's users");
                        }
                        if (mmlPaml == null) {
                            mmlPaml = mmlModel(seedScalars, seedManager, valHalf, tuneK)
                                    .withPaml(new MmlModel.Paml(userMemory.apply(seed, settings.learner().hidden()), 10,
                                            1.0, 1e-3, settings.regPaml()));
                            mmlPaml.train(settings.maml(), settings.stages(), seed, progress);
                        }
                        MmlModel trained = mmlPaml;
                        byRate = rate -> trained.recommender(method, settings.maml().innerSteps(), rate, seed);
                    } else if (MML_VARIANTS.contains(method)) {
                        if (mml == null) {
                            mml = mmlModel(seedScalars, seedManager, valHalf, tuneK);
                            mml.train(settings.maml(), settings.stages(), seed, progress);
                        }
                        MmlModel trained = mml;
                        byRate = rate -> trained.recommender(method, settings.maml().innerSteps(), rate, seed);
                    } else {
                        byRate = build(method, seed, s, m, valHalf, tuneK);
                    }
                    double rate = chooseRate(method, byRate, valHalf, tuneK);
                    Recommender r = byRate.apply(rate);
                    progress.accept(String.format("seed %d %s trained in %.0f s (adaptation rate %s)", seed, method,
                            (System.nanoTime() - start) / 1e9, rate));
                    for (int k : settings.supportSizes()) {
                        String key = method + "@" + k;
                        RankingMetrics t = evaluate(r, testHalf, k);
                        RankingMetrics v = evaluate(r, valHalf, k);
                        result.test().put(key, t.values());
                        result.validation().put(key, v.values());
                        result.rates().put(key, rate);
                        result.users().put(key, t.users());
                        LOG.info("seed {} {} k={}: test ndcg@10 {} ({} users)", seed, method, k,
                                String.format("%.4f", t.values().get("ndcg@10")), t.users());
                    }
                }
            }
        }
        return result;
    }

    private MmlModel mmlModel(Scalars s, NDManager m, List<UserSequence> valHalf, int k) {
        MmlModel model = new MmlModel(data, features, settings.learner(), s, m);
        if (neighbours != null) {
            model.withNeighbours(neighbours);
        }
        if (settings.patience() > 0) {
            model.withValidation(valHalf, k, settings.patience());
        }
        if (settings.pretrainInit()) {
            model.withPretraining(settings.pretrainEpochs());
        }
        return model;
    }

    /** The adaptation rate with the best validation NDCG@10 (methods that do not adapt have nothing to choose). */
    private double chooseRate(String method, DoubleFunction<Recommender> byRate, List<UserSequence> valHalf, int k) {
        double base = settings.maml().innerRate();
        if (method.equals("popularity") || method.equals("sasrec") || settings.rateGrid().isEmpty()) {
            return base;
        }
        double best = base;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (double rate : settings.rateGrid()) {
            double score = ndcg10(byRate.apply(rate), valHalf, k);
            LOG.info("{}: adaptation rate {} gives validation ndcg@10 {}", method, rate, String.format("%.4f", score));
            if (score > bestScore) {
                bestScore = score;
                best = rate;
            }
        }
        return best;
    }

    private DoubleFunction<Recommender> build(String method, long seed, Scalars s, NDManager m,
                                              List<UserSequence> valHalf, int k) {
        LearnerConfig c = settings.learner();
        Tasks tasks = new Tasks(features, data.itemCount(), c.maxLength(), s.type());
        Training.MamlSettings maml = settings.maml();
        switch (method) {
            case "popularity" -> {
                Recommender r = new PopularityRecommender(data.oldUsers(), data.itemCount());
                return rate -> r;
            }
            case "sasrec", "pt-ft" -> {
                IdLearner learner = new IdLearner(c, data.itemCount(), false, m, s.type());
                Params p = learner.initialise(seed);
                int steps = method.equals("pt-ft") ? maml.innerSteps() : 0;
                Training.pretrain(learner, p, data.oldUsers(), tasks, settings.pretrainEpochs(), 64, 1e-3, seed, s, m,
                        e -> { }, validation(method, learner, tasks, steps, maml.innerRate(), s, m, seed, valHalf, k, 5));
                return rate -> new AdaptedRecommender(learner, p, tasks, steps, rate, s, m, seed);
            }
            case "maml-id", "mml-main" -> {
                IdLearner learner = new IdLearner(c, data.itemCount(), method.equals("mml-main"), m, s.type());
                Params p = learner.initialise(seed);
                if (settings.pretrainInit()) {
                    Training.pretrain(learner, p, data.oldUsers(), tasks, settings.pretrainEpochs(), 64, 1e-3, seed, s, m,
                            e -> { }, validation(method + " pre-training", learner, tasks, maml.innerSteps(),
                                    maml.innerRate(), s, m, seed, valHalf, k, 5));
                }
                Training.metaTrain(learner, p, data.oldUsers(), tasks, maml, InnerRates.fixed(maml.innerRate(), s), seed,
                        s, m, e -> { }, validation(method, learner, tasks, maml.innerSteps(), maml.innerRate(), s, m, seed,
                                valHalf, k, 1));
                return rate -> new AdaptedRecommender(learner, p, tasks, maml.innerSteps(), rate, s, m, seed);
            }
            default -> throw new IllegalArgumentException(method);
        }
    }

    private Training.Validation validation(String name, SequenceLearner learner, Tasks tasks, int steps, double rate,
                                           Scalars s, NDManager m, long seed, List<UserSequence> valHalf, int k,
                                           int every) {
        if (settings.patience() <= 0) {
            return null;
        }
        return Training.Validation.ofAdaptation(name, learner, tasks, steps, rate, s, m, seed, valHalf, k,
                settings.patience(), every);
    }

    /** NDCG@10 of the k-th interaction of these users (the validation score for early stopping and tuning). */
    static double ndcg10(Recommender r, List<UserSequence> users, int k) {
        return evaluate(r, users, k).values().get("ndcg@10");
    }

    static RankingMetrics evaluate(Recommender r, List<UserSequence> users, int k) {
        RankingMetrics metrics = new RankingMetrics();
        for (UserSequence u : users) {
            if (u.length() < k) {
                continue;
            }
            int[] support = java.util.Arrays.copyOf(u.items(), k - 1);
            metrics.add(r.scores(support), u.items()[k - 1], support);
        }
        return metrics;
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
