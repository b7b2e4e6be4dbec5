package dev.kindling.meta.serving;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.store.Store;
import dev.kindling.meta.melo.RatedUser;
import dev.kindling.meta.melo.RatingBackbone;
import dev.kindling.meta.melo.RatingComparison;
import dev.kindling.meta.melo.RatingDataset;
import dev.kindling.meta.melo.RatingMethod;
import dev.kindling.meta.melo.RatingModel;
import dev.kindling.meta.melo.RatingTask;
import dev.kindling.meta.melo.RatingTasks;
import dev.kindling.meta.melo.RatingTraining;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/**
 * {@code kindling train --model melo}: a rating predictor for new users (MELO) trained on every rated interaction in
 * the store and saved as a rating model version ({@link RatingModelDirectory}). The data is cut as the evaluation cuts
 * it ({@link RatingDataset}: items with at least 50 ratings, users with at least 5) but nobody is held out for a test:
 * every user trains except the validation share, which chooses the kept checkpoint. Basic is trained first (MAML's and
 * MELO's start), then MELO; both validation RMSEs, and the constant predictor's, go into {@code model.json}.
 */
public final class RatingModelTraining {
    private RatingModelTraining() {
    }

    /**
     * What to train.
     *
     * @param backbone sasrec (default) or gru4rec
     * @param method   melo (default), maml or basic
     * @param data     the data cut (its test share is 0 for serving)
     * @param training the training settings ({@link RatingTraining.Options#defaults}: about 2.5 minutes on 2 cores for
     *                 ml-latest-small)
     */
    public record Plan(String backbone, RatingMethod method, RatingDataset.Options data,
                       RatingTraining.Options training) {
        public static final long SEED = 1;

        public static Plan defaults() {
            return new Plan("sasrec", RatingMethod.MELO, new RatingDataset.Options(50, 5, 0.0, 0.15, SEED),
                    RatingTraining.Options.defaults(SEED));
        }

        public Plan withIterations(int basic, int meta) {
            return new Plan(backbone, method, data, training.withIterations(basic, meta));
        }

        public Plan withData(RatingDataset.Options other) {
            return new Plan(backbone, method, other, training);
        }
    }

    /** Every rated interaction in the store, users in id order, each user's oldest first. */
    public static List<Interaction> ratings(Store store) {
        List<Interaction> out = new ArrayList<>();
        String cursor = null;
        do {
            var page = store.users(cursor, 1000);
            for (var user : page.rows()) {
                store.sequence(user.id()).stream().filter(i -> i.rating() != null).forEach(out::add);
            }
            cursor = page.next();
        } while (cursor != null);
        if (out.isEmpty()) {
            throw new IllegalStateException("no rated interactions in the store: a rating model learns from ratings");
        }
        return out;
    }

    /** Trains as planned and saves the model as the current rating model version; returns its directory. */
    public static Path train(Store store, Path models, Plan plan, Device device, Consumer<String> progress) {
        long start = System.nanoTime();
        Consumer<String> timed = line -> progress.accept(String.format(Locale.ROOT, "[%5.0f s] %s",
                (System.nanoTime() - start) / 1e9, line));
        DjlRuntime.seedRandom(Plan.SEED);
        RatingDataset data = RatingDataset.cut(ratings(store), plan.data());
        if (data.train().isEmpty() || data.validation().isEmpty()) {
            throw new IllegalStateException("too few rated users to train a rating model: " + data.train().size()
                    + " training and " + data.validation().size() + " validation users with at least "
                    + plan.data().minUserRatings() + " ratings of items rated at least " + plan.data().minItemRatings()
                    + " times");
        }
        timed.accept(String.format(Locale.ROOT, "rating data: %d items with >= %d ratings, %d training and %d "
                        + "validation users", data.items(), plan.data().minItemRatings(), data.train().size(),
                data.validation().size()));
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            RatingTraining training = new RatingTraining(data, plan.training(), s, manager);
            RatingBackbone backbone = RatingComparison.backbone(plan.backbone(), data.items(), manager,
                    DataType.FLOAT32);
            Map<String, Double> rmse = new LinkedHashMap<>();
            rmse.put("constant", constantRmse(data));
            timed.accept("training Basic " + plan.backbone() + " (" + plan.training().basicIterations() + " steps)");
            RatingModel model = training.basic(backbone);
            rmse.put("basic", training.validationRmse(model));
            timed.accept(String.format(Locale.ROOT, "Basic: validation RMSE %.4f", rmse.get("basic")));
            if (plan.method() != RatingMethod.BASIC) {
                timed.accept("meta-training " + plan.method().label() + " (" + plan.training().metaIterations()
                        + " steps of " + plan.training().tasksPerBatch() + " tasks)");
                model = training.meta(model, plan.method());
                rmse.put(plan.method().label(), training.validationRmse(model));
                timed.accept(String.format(Locale.ROOT, "%s: validation RMSE %.4f", plan.method().label(),
                        rmse.get(plan.method().label())));
            }
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            long count = 0;
            List<RatedUser> users = new ArrayList<>(data.train());
            users.addAll(data.validation());
            for (RatedUser u : users) {
                for (double r : u.ratings()) {
                    min = Math.min(min, r);
                    max = Math.max(max, r);
                    count++;
                }
            }
            var manifest = new RatingModelDirectory.Manifest(RatingModelDirectory.FORMAT_VERSION,
                    RatingModelDirectory.newVersion(), plan.method().label(), plan.backbone(), model.innerSteps(), min,
                    max, users.size(), count, rmse);
            Path saved = RatingModelDirectory.save(models.resolve(RatingModelDirectory.DIRECTORY), manifest,
                    data.itemIds().subList(1, data.itemIds().size()), model);
            timed.accept("saved rating model " + manifest.version());
            return saved;
        }
    }

    /**
     * The validation RMSE (the same ratings {@link RatingTraining#validationRmse} scores: each validation user's latest
     * query positions) when every rating is predicted as the training mean.
     */
    private static double constantRmse(RatingDataset data) {
        double mean = data.trainMeanRating();
        double sum = 0;
        long n = 0;
        for (RatedUser u : data.validation()) {
            RatingTask t = RatingTasks.latestWindow(u);
            for (int k = t.queryStart(); k < t.length(); k++) {
                double e = t.ratings()[k] - mean;
                sum += e * e;
                n++;
            }
        }
        return Math.sqrt(sum / n);
    }
}
