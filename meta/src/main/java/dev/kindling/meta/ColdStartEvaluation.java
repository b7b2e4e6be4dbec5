package dev.kindling.meta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

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
 * same adaptation budget (J steps at the same rate).
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
     */
    public record Settings(List<Integer> supportSizes, List<Long> seeds, LearnerConfig learner, int pretrainEpochs,
                           Training.MamlSettings maml, MmlModel.Stages stages, List<String> methods) {
    }

    /** Methods available. */
    public static final List<String> METHODS = List.of("popularity", "sasrec", "pt-ft", "maml-id", "mml-main", "mml",
            "mml-no-gen", "mml-no-fusion", "mml-paml");

    /** The variants that share one trained {@link MmlModel} per seed. */
    private static final List<String> MML_VARIANTS = List.of("mml", "mml-no-gen", "mml-no-fusion");

    /** Mean and standard deviation over seeds of one method's test metrics at one k. */
    public record MethodResult(String method, int k, int testUsers, Map<String, Double> mean, Map<String, Double> std,
                               Map<String, Double> validationMean) {
    }

    private final MetaDataset data;
    private final ItemFeatures features;
    private final Settings settings;
    private java.util.function.IntFunction<UserRateMemory> userMemory;

    /** Where PAML keeps its users for the {@code mml-paml} method: a fresh memory of the given dimension per call. */
    public ColdStartEvaluation withUserMemory(java.util.function.IntFunction<UserRateMemory> memory) {
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
        Map<String, List<Map<String, Double>>> test = new LinkedHashMap<>();
        Map<String, List<Map<String, Double>>> validation = new LinkedHashMap<>();
        Map<String, Integer> users = new LinkedHashMap<>();
        DataType type = DataType.FLOAT32;
        for (long seed : settings.seeds()) {
            List<UserSequence> shuffled = new ArrayList<>(data.newUsers());
            Collections.shuffle(shuffled, new Random(seed));
            List<UserSequence> valHalf = shuffled.subList(0, shuffled.size() / 2);
            List<UserSequence> testHalf = shuffled.subList(shuffled.size() / 2, shuffled.size());
            NDManager seedManager = manager.newSubManager();
            Scalars seedScalars = new Scalars(seedManager, type);
            MmlModel mml = null;
            MmlModel mmlPaml = null;
            for (String method : settings.methods()) {
                try (NDManager m = manager.newSubManager()) {
                    Scalars s = new Scalars(m, type);
                    long start = System.nanoTime();
                    Recommender r;
                    if (method.equals("mml-paml")) {
                        if (userMemory == null) {
                            throw new IllegalStateException("mml-paml needs a vector index for PAML's users");
                        }
                        if (mmlPaml == null) {
                            mmlPaml = new MmlModel(data, features, settings.learner(), seedScalars, seedManager)
                                    .withPaml(new MmlModel.Paml(userMemory.apply(settings.learner().hidden()), 10, 1.0, 1e-3));
                            mmlPaml.train(settings.maml(), settings.stages(), seed, progress);
                        }
                        r = mmlPaml.recommender(method, settings.maml().innerSteps(), settings.maml().innerRate(), seed);
                    } else if (MML_VARIANTS.contains(method)) {
                        if (mml == null) {
                            mml = new MmlModel(data, features, settings.learner(), seedScalars, seedManager);
                            mml.train(settings.maml(), settings.stages(), seed, progress);
                        }
                        r = mml.recommender(method, settings.maml().innerSteps(), settings.maml().innerRate(), seed);
                    } else {
                        r = build(method, seed, s, m);
                    }
                    progress.accept(String.format("seed %d %s trained in %.0f s", seed, method,
                            (System.nanoTime() - start) / 1e9));
                    for (int k : settings.supportSizes()) {
                        String key = method + "@" + k;
                        RankingMetrics t = evaluate(r, testHalf, k);
                        RankingMetrics v = evaluate(r, valHalf, k);
                        test.computeIfAbsent(key, x -> new ArrayList<>()).add(t.values());
                        validation.computeIfAbsent(key, x -> new ArrayList<>()).add(v.values());
                        users.put(key, t.users());
                        LOG.info("seed {} {} k={}: test ndcg@10 {} ({} users)", seed, method, k,
                                String.format("%.4f", t.values().get("ndcg@10")), t.users());
                    }
                }
            }
            seedManager.close();
        }
        List<MethodResult> out = new ArrayList<>();
        for (String key : test.keySet()) {
            String[] parts = key.split("@");
            out.add(new MethodResult(parts[0], Integer.parseInt(parts[1]), users.get(key), mean(test.get(key)),
                    std(test.get(key)), mean(validation.get(key))));
        }
        return out;
    }

    private Recommender build(String method, long seed, Scalars s, NDManager m) {
        LearnerConfig c = settings.learner();
        Tasks tasks = new Tasks(features, data.itemCount(), c.maxLength(), s.type());
        Training.MamlSettings maml = settings.maml();
        return switch (method) {
            case "popularity" -> new PopularityRecommender(data.oldUsers(), data.itemCount());
            case "sasrec", "pt-ft" -> {
                IdLearner learner = new IdLearner(c, data.itemCount(), false, m, s.type());
                Params p = learner.initialise(seed);
                Training.pretrain(learner, p, data.oldUsers(), tasks, settings.pretrainEpochs(), 64, 1e-3, seed, s, m,
                        e -> { });
                int steps = method.equals("pt-ft") ? maml.innerSteps() : 0;
                yield new AdaptedRecommender(learner, p, tasks, steps, maml.innerRate(), s, m, seed);
            }
            case "maml-id", "mml-main" -> {
                IdLearner learner = new IdLearner(c, data.itemCount(), method.equals("mml-main"), m, s.type());
                Params p = learner.initialise(seed);
                Training.metaTrain(learner, p, data.oldUsers(), tasks, maml, seed, s, m, e -> { });
                yield new AdaptedRecommender(learner, p, tasks, maml.innerSteps(), maml.innerRate(), s, m, seed);
            }
            default -> throw new IllegalArgumentException(method);
        };
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
