package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Scalars;

/**
 * MELO's Table 2 on one dataset and seed: Basic, MAML and MELO trained per backbone and scored on the same test users,
 * with the paired differences (MAML - Basic, MELO - Basic, MELO - MAML) and the constant predictor as a floor. What
 * {@code evaluate --protocol melo} runs once per seed.
 */
public final class RatingComparison {
    /** The backbones by name. */
    public static final List<String> BACKBONES = List.of("sasrec", "gru4rec");

    private RatingComparison() {
    }

    /**
     * @param first  the method on the left of the difference
     * @param second the one it is compared with
     */
    public record Difference(String backbone, String first, String second, RatingResult.PairedDifference value) {
    }

    /**
     * @param constant    the training mean predicted for every rating
     * @param results     per backbone: Basic, MAML, MELO
     * @param differences per backbone: MAML - Basic, MELO - Basic, MELO - MAML
     */
    public record Report(RatingResult constant, List<RatingResult> results, List<Difference> differences) {
    }

    /** A backbone by name ({@link #BACKBONES}) with the authors' sizes. */
    public static RatingBackbone backbone(String name, int items, NDManager manager, DataType type) {
        return switch (name) {
            case "sasrec" -> SasRecRatings.standard(items, manager, type);
            case "gru4rec" -> new Gru4RecRatings(items, 32, 0.2, manager, type);
            default -> throw new IllegalArgumentException("backbone must be one of " + BACKBONES + ", was " + name);
        };
    }

    /**
     * Trains and scores every method on every backbone, in float32 on the calling thread (which this switches to
     * recording gradients).
     */
    public static Report run(RatingDataset data, List<String> backbones, RatingTraining.Options options,
                             RatingEvaluation evaluation, NDManager manager) {
        Autograd.record(true);
        Scalars s = new Scalars(manager, DataType.FLOAT32);
        double mean = data.trainMeanRating();
        RatingTraining training = new RatingTraining(data, options, s, manager);
        List<RatingResult> results = new ArrayList<>();
        List<Difference> differences = new ArrayList<>();
        for (String name : backbones) {
            RatingBackbone backbone = backbone(name, data.items(), manager, DataType.FLOAT32);
            long t0 = System.nanoTime();
            RatingModel basic = training.basic(backbone);
            RatingResult b = evaluation.evaluate(basic, data.test(), mean, (System.nanoTime() - t0) / 1e9, s, manager);
            t0 = System.nanoTime();
            RatingModel maml = training.meta(basic, RatingMethod.MAML);
            RatingResult a = evaluation.evaluate(maml, data.test(), mean, (System.nanoTime() - t0) / 1e9, s, manager);
            t0 = System.nanoTime();
            RatingModel melo = training.meta(basic, RatingMethod.MELO);
            RatingResult m = evaluation.evaluate(melo, data.test(), mean, (System.nanoTime() - t0) / 1e9, s, manager);
            results.addAll(List.of(b, a, m));
            differences.add(new Difference(name, "maml", "basic", a.minus(b)));
            differences.add(new Difference(name, "melo", "basic", m.minus(b)));
            differences.add(new Difference(name, "melo", "maml", m.minus(a)));
        }
        return new Report(evaluation.constant(data.test(), mean), List.copyOf(results), List.copyOf(differences));
    }
}
