package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A trained rating predictor: the backbone's parameters and, for MAML and MELO, the inner rates and MELO's weighting
 * model, with which each user's support adapts the backbone before its query is predicted.
 *
 * @param weights     MELO's weighting model (null otherwise)
 * @param phi         its parameters (null otherwise)
 * @param rates       the inner rates (null for Basic)
 * @param innerSteps  J (0 for Basic)
 */
public record RatingModel(RatingMethod method, RatingBackbone backbone, Params theta, LossWeights weights, Params phi,
                          Params rates, int innerSteps) {
    /** The most rated items a prediction reads: the window of 30 holds them and the item predicted. */
    public static final int CONTEXT = RatingTasks.WINDOW - 1;
    /** Tasks predicted at once. */
    private static final int CHUNK = 64;

    /**
     * A new user's predicted ratings in stars for candidate items (serving): the user's latest {@link #CONTEXT} ratings
     * are the support, the backbone is adapted to them (MAML and MELO: Eq. 1 / Eq. 4 with the learned rates and, for
     * MELO, the weights of Eq. 3; Basic: not adapted), and each candidate is read as the next item after them, one row
     * per candidate: the output at the last position of [support..., candidate]. With no rating, a candidate is read
     * alone, by the global parameters. Gradient recording must be on for the calling thread (adaptation).
     *
     * @param items      the rated items' indices, oldest first
     * @param ratings    their ratings in stars
     * @param candidates indices of the items to predict
     */
    public double[] predictNext(int[] items, double[] ratings, int[] candidates, Scalars s, NDManager manager) {
        int n = Math.min(CONTEXT, items.length);
        int[] context = Arrays.copyOfRange(items, items.length - n, items.length);
        double[] stars = Arrays.copyOfRange(ratings, ratings.length - n, ratings.length);
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            Params p = theta;
            if (method != RatingMethod.BASIC && n > 0) {
                RatingBatch support = RatingBatch.support(context, stars, sub, s.type());
                p = new AdaptiveInnerLoop(backbone, weights, innerSteps).adaptOne(theta, phi, rates, support, s, sub);
            }
            NDArray predicted;
            long[] next = Arrays.stream(candidates).asLongStream().toArray();
            if (n == 0) {
                predicted = backbone.predict(p.detached(), sub.create(next, new Shape(candidates.length, 1)), s)
                        .get(":, 0");
            } else {
                predicted = backbone.predictNext(p.detached(), Arrays.stream(context).asLongStream().toArray(), next,
                        sub, s);
            }
            double[] out = predicted.toType(DataType.FLOAT64, false).toDoubleArray();
            for (int c = 0; c < out.length; c++) {
                out[c] *= 5.0;
            }
            return out;
        }
    }

    /**
     * The predicted ratings in stars at each task's query positions (Basic: from the global parameters; MAML and MELO:
     * after adapting to the task's support). Gradient recording must be on for the calling thread (adaptation).
     */
    public List<double[]> predictQueries(List<RatingTask> tasks, Scalars s, NDManager manager) {
        List<double[]> out = new ArrayList<>();
        for (int from = 0; from < tasks.size(); from += CHUNK) {
            List<RatingTask> chunk = tasks.subList(from, Math.min(tasks.size(), from + CHUNK));
            try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
                RatingBatch batch = RatingBatch.of(chunk, sub, s.type());
                Params p = theta;
                if (method != RatingMethod.BASIC) {
                    p = new AdaptiveInnerLoop(backbone, weights, innerSteps).adapt(theta, phi, rates, batch, s, sub);
                }
                NDArray predicted = backbone.predict(p.detached(), batch.items(), s);
                double[] values = predicted.toType(DataType.FLOAT64, false).toDoubleArray();
                int n = (int) batch.length();
                for (int r = 0; r < chunk.size(); r++) {
                    RatingTask t = chunk.get(r);
                    double[] q = new double[t.querySize()];
                    for (int k = 0; k < q.length; k++) {
                        q[k] = 5.0 * values[r * n + t.queryStart() + k];
                    }
                    out.add(q);
                }
            }
        }
        return out;
    }
}
