package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.baseline.CoOccurrence;
import dev.kindling.meta.baseline.EaseRecommender;
import dev.kindling.meta.baseline.ItemKnnRecommender;
import dev.kindling.meta.baseline.PopularityRecommender;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * One seed of metaCSR's cold-start comparison (Table 3 and Table 5 on the store's data): metaCSR, its three ablations,
 * SASRec (the project's ID learner without feature awareness, trained next-item on the regular users, not adapted)
 * and the collaborative baselines EASE, item-kNN and popularity, all fitted on the regular users' positives and
 * scored by {@link SampledRanking} on the same candidates.
 */
public final class CsrComparison {
    public static final String METACSR = "metacsr";
    public static final List<String> METHODS = List.of(METACSR, "metacsr-no-representer", "metacsr-no-sequence",
            "metacsr-no-meta", "sasrec", "ease", "item-knn", "popularity");

    /**
     * @param model        metaCSR's configuration (the ablations change one part of it)
     * @param training     metaCSR's training (its seed is replaced by the run's)
     * @param sasrec       SASRec's learner
     * @param sasrecEpochs SASRec's training epochs
     * @param easeLambda   EASE's L2 weight (fixed: this protocol has no validation users to tune on; 200, the value the
     *                     cold-start protocol's validation picked on ml-latest-small)
     * @param knn          item-kNN's neighbourhood (fixed, 100)
     */
    public record Settings(MetaCsrModel.Config model, MetaCsrTraining.Options training, LearnerConfig sasrec,
                           int sasrecEpochs, double easeLambda, int knn) {
        public static Settings defaults() {
            return new Settings(MetaCsrModel.Config.DEFAULT, MetaCsrTraining.Options.defaults(1),
                    LearnerConfig.DEFAULT.withLoss(NextItemLoss.SOFTMAX), 20, 200.0, 100);
        }

        public Settings withModel(MetaCsrModel.Config c) {
            return new Settings(c, training, sasrec, sasrecEpochs, easeLambda, knn);
        }

        public Settings withTraining(MetaCsrTraining.Options o) {
            return new Settings(model, o, sasrec, sasrecEpochs, easeLambda, knn);
        }
    }

    /** One method's per-user metrics on one seed. */
    public record MethodRun(String method, long seed, Map<String, double[]> perUser, double trainSeconds) {
    }

    private CsrComparison() {
    }

    public static List<MethodRun> run(CsrSplit split, Settings settings, List<String> methods, long seed,
                                      NDManager manager, Consumer<String> progress) {
        SampledRanking ranking = new SampledRanking(split.cold(), split.itemCount(), seed);
        InteractionGraph graph = InteractionGraph.build(split.regular(), split.itemCount(),
                settings.model().neighbours(), seed);
        List<MethodRun> out = new ArrayList<>();
        for (String method : methods) {
            try (NDManager m = manager.newSubManager()) {
                DjlRuntime.seedRandom(seed);
                long start = System.nanoTime();
                Scalars s = new Scalars(m, DataType.FLOAT32);
                Recommender r = build(method, split, graph, settings, seed, s, m, progress);
                double seconds = (System.nanoTime() - start) / 1e9;
                Map<String, double[]> scores = ranking.score(r);
                if (r instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                out.add(new MethodRun(method, seed, scores, seconds));
                progress.accept(String.format(Locale.ROOT, "seed %d %s: AUC %.4f, MAP %.4f, NDCG@10 %.4f (%d users; "
                                + "trained in %.0f s)", seed, method, mean(scores.get("auc")), mean(scores.get("map")),
                        mean(scores.get("ndcg@10")), ranking.users(), seconds));
            }
        }
        return out;
    }

    private static Recommender build(String method, CsrSplit split, InteractionGraph graph, Settings settings,
                                     long seed, Scalars s, NDManager m, Consumer<String> progress) {
        MetaCsrTraining.Options o = settings.training().withSeed(seed);
        MetaCsrModel.Config c = settings.model();
        return switch (method) {
            case METACSR -> metaCsr(c, o, split, graph, s, m, progress);
            case "metacsr-no-representer" -> metaCsr(c.withHops(0), o, split, graph, s, m, progress);
            case "metacsr-no-sequence" -> metaCsr(c.withSequenceModel(false), o, split, graph, s, m, progress);
            case "metacsr-no-meta" -> metaCsr(c, o.withMeta(false), split, graph, s, m, progress);
            case "sasrec" -> {
                LearnerConfig lc = settings.sasrec();
                IdLearner learner = new IdLearner(lc, split.itemCount(), false, m, s.type());
                Tasks tasks = Tasks.forLearner(lc, null, split.itemCount(), s.type());
                Params p = learner.initialise(seed);
                Training.pretrain(learner, p, split.regular(), tasks, settings.sasrecEpochs(), 64, 1e-3, seed, s, m,
                        e -> { });
                yield new AdaptedRecommender(learner, p, tasks, 0, 0, s, m);
            }
            case "ease" -> EaseRecommender.fit(new CoOccurrence(split.regular(), split.itemCount()),
                    settings.easeLambda(), 20_000, m);
            case "item-knn" -> ItemKnnRecommender.fit(new CoOccurrence(split.regular(), split.itemCount()),
                    settings.knn());
            case "popularity" -> new PopularityRecommender(split.regular(), split.itemCount());
            default -> throw new IllegalArgumentException("unknown method " + method + "; one of " + METHODS);
        };
    }

    private static Recommender metaCsr(MetaCsrModel.Config c, MetaCsrTraining.Options o, CsrSplit split,
                                       InteractionGraph graph, Scalars s, NDManager m, Consumer<String> progress) {
        MetaCsrModel model = new MetaCsrModel(c, graph, m, s.type());
        Params p = MetaCsrTraining.train(model, split.regular(), split.itemCount(), o, s, m, progress);
        return new MetaCsrRecommender(model, p, o.tasks(), o.meta() ? o.innerSteps() : 0, o.innerRate(), o.negatives(),
                s, m);
    }

    static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return v.length == 0 ? Double.NaN : sum / v.length;
    }

}
