package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

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
    /** Tasks predicted at once. */
    private static final int CHUNK = 64;

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
