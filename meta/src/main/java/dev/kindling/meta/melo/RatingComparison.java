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
     * @param scope       which ratings were scored ({@link RatingEvaluation#toString})
     * @param constant    the training mean predicted for every rating
     * @param results     per backbone: Basic, MAML, MELO
     * @param differences per backbone: MAML - Basic, MELO - Basic, MELO - MAML
     */
    public record Report(String scope, RatingResult constant, List<RatingResult> results,
                         List<Difference> differences) {
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
        return run(data, backbones, options, List.of(evaluation), manager).get(0);
    }

    /** {@link #run} scored in each of several ways from one training: one report per evaluation, in order. */
    public static List<Report> run(RatingDataset data, List<String> backbones, RatingTraining.Options options,
                                   List<RatingEvaluation> evaluations, NDManager manager) {
        Autograd.record(true);
        Scalars s = new Scalars(manager, DataType.FLOAT32);
        double mean = data.trainMeanRating();
        RatingTraining training = new RatingTraining(data, options, s, manager);
        List<List<RatingResult>> results = new ArrayList<>();
        List<List<Difference>> differences = new ArrayList<>();
        evaluations.forEach(e -> {
            results.add(new ArrayList<>());
            differences.add(new ArrayList<>());
        });
        for (String name : backbones) {
            RatingBackbone backbone = backbone(name, data.items(), manager, DataType.FLOAT32);
            long t0 = System.nanoTime();
            RatingModel basic = training.basic(backbone);
            double basicSeconds = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            RatingModel maml = training.meta(basic, RatingMethod.MAML);
            double mamlSeconds = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            RatingModel melo = training.meta(basic, RatingMethod.MELO);
            double meloSeconds = (System.nanoTime() - t0) / 1e9;
            for (int e = 0; e < evaluations.size(); e++) {
                RatingEvaluation evaluation = evaluations.get(e);
                RatingResult b = evaluation.evaluate(basic, data.test(), mean, basicSeconds, s, manager);
                RatingResult a = evaluation.evaluate(maml, data.test(), mean, mamlSeconds, s, manager);
                RatingResult m = evaluation.evaluate(melo, data.test(), mean, meloSeconds, s, manager);
                results.get(e).addAll(List.of(b, a, m));
                differences.get(e).add(new Difference(name, "maml", "basic", a.minus(b)));
                differences.get(e).add(new Difference(name, "melo", "basic", m.minus(b)));
                differences.get(e).add(new Difference(name, "melo", "maml", m.minus(a)));
            }
        }
        List<Report> out = new ArrayList<>();
        for (int e = 0; e < evaluations.size(); e++) {
            RatingEvaluation evaluation = evaluations.get(e);
            out.add(new Report(evaluation.toString(), evaluation.constant(data.test(), mean),
                    List.copyOf(results.get(e)), List.copyOf(differences.get(e))));
        }
        return out;
    }
}
