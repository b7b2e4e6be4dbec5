package dev.kindling.meta.melo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/**
 * Not a unit test: one run of Basic, MAML and MELO on ml-latest-small's ratings (../shared/data), logging RMSE, MAE,
 * intervals, paired differences, the imbalanced-user groups and timings. Runs only when asked:
 * {@code mvn -o -q -pl meta test -Dtest=MovieLensRatingRun -Dkindling.melo.run=true
 * [-Dkindling.melo.backbones=sasrec,gru4rec] [-Dkindling.melo.seed=1] [-Dkindling.melo.basic=1500]
 * [-Dkindling.melo.meta=300] [-Dkindling.melo.inner=3] [-Dkindling.melo.validateEvery=25]
 * [-Dkindling.melo.embeddingsOnly=true] [-Dkindling.melo.metaRate=1e-4]}.
 */
@EnabledIfSystemProperty(named = "kindling.melo.run", matches = "true")
class MovieLensRatingRun {
    private static final Logger LOG = LoggerFactory.getLogger(MovieLensRatingRun.class);
    private static final List<RatingEvaluation> SCOPES = List.of(RatingEvaluation.lastPosition(),
            new RatingEvaluation(RatingEvaluation.Scope.QUERY_POSITIONS),
            new RatingEvaluation(RatingEvaluation.Scope.HISTORY));

    static List<Interaction> readRatings(Path csv) throws IOException {
        List<Interaction> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.strip().split(",");
            out.add(new Interaction(f[0], f[1], Double.parseDouble(f[2]), Instant.ofEpochSecond(Long.parseLong(f[3])),
                    "rating"));
        }
        return out;
    }

    @Test
    void basicMamlMeloOnMovieLens() throws IOException {
        DjlRuntime.singleThreadedOps();
        Path root = Path.of(System.getProperty("kindling.root", ".."));
        List<Interaction> ratings = readRatings(
                root.resolve("../shared/data/movielens-latest-small/ratings.csv").normalize());
        long seed = Long.getLong("kindling.melo.seed", 1L);
        RatingDataset data = RatingDataset.cut(ratings, RatingDataset.Options.defaults(seed));
        RatingTraining.Options options = RatingTraining.Options.defaults(seed)
                .withIterations(Integer.getInteger("kindling.melo.basic", 1500),
                        Integer.getInteger("kindling.melo.meta", 300))
                .withInnerSteps(Integer.getInteger("kindling.melo.inner", 3))
                .withWarmStartAll(!Boolean.getBoolean("kindling.melo.embeddingsOnly"))
                .withValidateEvery(Integer.getInteger("kindling.melo.validateEvery", 25));
        if (System.getProperty("kindling.melo.metaRate") != null) {
            double rate = Double.parseDouble(System.getProperty("kindling.melo.metaRate"));
            options = new RatingTraining.Options(options.basicIterations(), options.basicBatch(), options.basicRate(),
                    options.metaIterations(), options.tasksPerBatch(), options.innerSteps(), options.innerRate(), rate,
                    options.weightsRate(), options.rateRate(), options.clipNorm(), options.validateEvery(),
                    options.warmStartAll(), options.seed());
        }
        LOG.info("options {}", options);
        double mean = data.trainMeanRating();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            RatingTraining training = new RatingTraining(data, options, s, manager);
            for (RatingEvaluation evaluation : SCOPES) {
                LOG.info("{}: constant (train mean {}) RMSE {} on the test users, {} on the validation users",
                        label(evaluation), f(mean), f(evaluation.constant(data.test(), mean).rmse()),
                        f(evaluation.constant(data.validation(), mean).rmse()));
            }
            for (String name : System.getProperty("kindling.melo.backbones", "sasrec").split(",")) {
                RatingBackbone backbone = RatingComparison.backbone(name, data.items(), manager, DataType.FLOAT32);
                long t0 = System.nanoTime();
                RatingModel basic = training.basic(backbone);
                double basicSeconds = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                RatingModel maml = training.meta(basic, RatingMethod.MAML);
                double mamlSeconds = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                RatingModel melo = training.meta(basic, RatingMethod.MELO);
                double meloSeconds = (System.nanoTime() - t0) / 1e9;
                for (RatingEvaluation evaluation : SCOPES) {
                    RatingResult b = evaluation.evaluate(basic, data.test(), mean, basicSeconds, s, manager);
                    RatingResult a = evaluation.evaluate(maml, data.test(), mean, mamlSeconds, s, manager);
                    RatingResult m = evaluation.evaluate(melo, data.test(), mean, meloSeconds, s, manager);
                    for (RatingResult r : List.of(b, a, m)) {
                        LOG.info("{} {} {}: RMSE {} [{}, {}] MAE {} [{}, {}], trained in {} s; RMSE by |user mean - "
                                        + "train mean| {}", label(evaluation), r.backbone(), r.method(), f(r.rmse()),
                                f(r.rmse95().low()), f(r.rmse95().high()), f(r.mae()), f(r.mae95().low()),
                                f(r.mae95().high()), String.format(Locale.ROOT, "%.0f", r.trainSeconds()),
                                r.groups().stream().map(g -> "[" + g.from() + "," + g.to() + "): " + g.users()
                                        + " users " + f(g.rmse())).toList());
                    }
                    for (RatingResult[] pair : List.of(new RatingResult[] {a, b}, new RatingResult[] {m, b},
                            new RatingResult[] {m, a})) {
                        RatingResult.PairedDifference d = pair[0].minus(pair[1]);
                        LOG.info("{} {} {} - {}: RMSE {}, paired MSE difference {} [{}, {}]", label(evaluation),
                                name, pair[0].method(), pair[1].method(), f(d.rmse()), f(d.mse()),
                                f(d.mse95().low()), f(d.mse95().high()));
                    }
                }
            }
        }
    }

    private static String label(RatingEvaluation e) {
        return e.toString();
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
