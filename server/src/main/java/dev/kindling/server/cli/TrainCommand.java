package dev.kindling.server.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.meta.serving.ModelTraining;
import dev.kindling.meta.serving.RatingModelTraining;
import dev.kindling.tensor.DjlRuntime;

/** {@code kindling train [--profile quick|full] [--paml]}: MML's three training stages, saved as a model version. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train MML (learners, generator, fusion) and the baselines on the stored data and save the best on "
                + "the new users after T as a new model version.")
final class TrainCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--profile", defaultValue = "quick", paramLabel = "quick|full",
            description = "quick: 3 meta-epochs per learner; full: 10 (the MML authors' setting).")
    String profile;

    @Option(names = "--model", defaultValue = "auto", paramLabel = "auto|mml|mml-cf|ease|item-knn|popularity|metacsr|melo",
            description = "What to serve: auto (default) trains MML, MML with its collaborative learner, EASE, item-kNN "
                    + "and popularity, and serves the best on the new users after T (every candidate's score goes into "
                    + "model.json); a method name trains and serves that one (ease, item-knn and popularity train in "
                    + "seconds: a fallback). metacsr trains metaCSR on the ratings (positives: 4 stars and up) and serves "
                    + "it. melo trains MELO's rating predictor instead (POST /v1/ratings/predict; about "
                    + "3 minutes on ml-latest-small), saved under models/ratings beside the recommendation model, which "
                    + "it leaves as it is.")
    String model;

    @Option(names = "--paml", description = "PAML per-user inner rates for the main learner (users kept in the index).")
    boolean paml;

    @Option(names = "--quantile", defaultValue = "0.8", description = "T as a quantile of users' first-interaction times.")
    double quantile;

    @Option(names = "--pretrain-epochs", paramLabel = "N",
            description = "Next-item pre-training epochs per learner before meta-training, at most (default: 20 for "
                    + "quick, 50 for full; early stopping on the new users after T ends it sooner). 0: none, as in the "
                    + "paper; on ml-latest-small pre-trained learners lift MML's NDCG@10 from 0.047 to 0.068.")
    Integer pretrainEpochs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        KindlingConfig config = home.load();
        if (model.equals("melo")) {
            return trainRatingModel(config);
        }
        ModelTraining.profile(profile); // checks the name before anything starts
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        long start = System.nanoTime();
        var err = spec.commandLine().getErr();
        Path saved;
        try (Store store = Stores.open(config.store()); VectorIndex index = VectorIndexes.open(config.index());
             TrainingBar bar = new TrainingBar(err)) {
            ModelTraining.Plan plan = ModelTraining.Plan.of(profile).with(quantile, paml, config.pamlUsers(),
                    pretrainEpochs != null ? pretrainEpochs : ModelTraining.pretrainEpochs(profile), model);
            saved = ModelTraining.train(store, index, config.home().resolve("models"), plan,
                    DjlRuntime.device(config.metaDevice(), "PyTorch"), line -> {
                err.println(line);
                err.flush();
            }, bar.progress());
        }
        err.printf("trained in %.0f s; model %s is now current%n", (System.nanoTime() - start) / 1e9, saved);
        err.flush();
        LOG.debug("model saved to {}", saved);
        return 0;
    }

    private int trainRatingModel(KindlingConfig config) {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        long start = System.nanoTime();
        var err = spec.commandLine().getErr();
        try (Store store = Stores.open(config.store())) {
            Path saved = RatingModelTraining.train(store, config.home().resolve("models"),
                    RatingModelTraining.Plan.defaults(), DjlRuntime.device(config.metaDevice(), "PyTorch"), line -> {
                        err.println(line);
                        err.flush();
                    });
            err.printf("trained in %.0f s; rating model %s is now current%n", (System.nanoTime() - start) / 1e9,
                    saved);
            err.flush();
        }
        return 0;
    }
}
