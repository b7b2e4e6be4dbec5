package dev.kindling.meta.melo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.tensor.DjlRuntime;

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
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            List<String> backbones = List.of(System.getProperty("kindling.melo.backbones", "sasrec").split(","));
            for (RatingComparison.Report report : RatingComparison.run(data, backbones, options, SCOPES, manager)) {
                log(report);
            }
        }
    }

    private static void log(RatingComparison.Report report) {
        LOG.info("{}: constant RMSE {}", report.scope(), f(report.constant().rmse()));
        for (RatingResult r : report.results()) {
            LOG.info("{} {} {}: RMSE {} [{}, {}] MAE {} [{}, {}], trained in {} s; RMSE by |user mean - train mean| {}",
                    report.scope(), r.backbone(), r.method(), f(r.rmse()), f(r.rmse95().low()), f(r.rmse95().high()),
                    f(r.mae()), f(r.mae95().low()), f(r.mae95().high()),
                    String.format(Locale.ROOT, "%.0f", r.trainSeconds()), r.groups().stream().map(g -> "["
                            + g.from() + "," + g.to() + "): " + g.users() + " users " + f(g.rmse())).toList());
        }
        for (RatingComparison.Difference d : report.differences()) {
            LOG.info("{} {} {} - {}: RMSE {}, paired MSE difference {} [{}, {}]", report.scope(), d.backbone(),
                    d.first(), d.second(), f(d.value().rmse()), f(d.value().mse()), f(d.value().mse95().low()),
                    f(d.value().mse95().high()));
        }
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
