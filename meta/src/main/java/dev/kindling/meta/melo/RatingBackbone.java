package dev.kindling.meta.melo;

import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A sequential recommender predicting ratings (MELO's f_theta, section 5.1.3), written as a function of explicit
 * parameters so that the inner loop runs it with a task's adapted copy. It sees item ids (and positions) only, never
 * ratings; it reads left to right, so the output at position t depends on the items up to t.
 *
 * <p>Parameters may carry a leading per-row axis (one copy of theta per task of a batch, as {@link Layers} allows).
 */
public interface RatingBackbone {
    /** The backbone's name as a CLI would spell it ({@code sasrec}, {@code gru4rec}). */
    String name();

    /** Fresh parameters, seeded. */
    Params initialise(long seed);

    /** The parameters Basic pre-trains and MAML and MELO start from (the item and position embeddings). */
    Set<String> embeddings();

    /**
     * Predicted ratings / 5 at every position [rows, n]: 0.1 + sigmoid(Linear(h_t)) (the authors' head; the range
     * 0.1-1.1 covers 0.5-5.5 stars).
     *
     * @param items item indices [rows, n], int64, 0 = padding
     */
    default NDArray predict(Params p, NDArray items, Scalars s) {
        return predict(p, items, false, s);
    }

    /**
     * {@link #predict(Params, NDArray, Scalars)}, with the backbone's dropout when {@code training} (Basic's training
     * only: adaptation and meta-training run without dropout).
     */
    NDArray predict(Params p, NDArray items, boolean training, Scalars s);

    /**
     * The predicted rating / 5 of each candidate read as the item after the context [candidates]: what
     * {@link #predict} gives at the last position of each row {@code [context; candidate]}. A backbone may share the
     * context's work between the candidates.
     *
     * @param context    the user's items, oldest first (at least one)
     * @param candidates the items to predict
     */
    default NDArray predictNext(Params p, long[] context, long[] candidates, NDManager manager, Scalars s) {
        int n = context.length;
        long[] rows = new long[candidates.length * (n + 1)];
        for (int c = 0; c < candidates.length; c++) {
            System.arraycopy(context, 0, rows, c * (n + 1), n);
            rows[c * (n + 1) + n] = candidates[c];
        }
        return predict(p, manager.create(rows, new Shape(candidates.length, n + 1)), s).get(":, " + n);
    }

    /** The output head over the last hidden states [rows, n, d] -> [rows, n]. */
    static NDArray head(NDArray hidden, Params p, Scalars s) {
        NDArray logit = Layers.linear(hidden, p.get("out.w"), p.get("out.b")).squeeze(-1);
        return Activation.sigmoid(logit).add(s.of(0.1));
    }

    /** Rows of an embedding table [v, d] for ids [rows, n], or of a per-row table [rows, v, d]: -> [rows, n, d]. */
    static NDArray lookup(NDArray table, NDArray ids) {
        if (!Layers.perSequence(table, 2)) {
            return Layers.embedding(table, ids);
        }
        long rows = table.getShape().get(0);
        long v = table.getShape().get(1);
        long d = table.getShape().get(2);
        NDArray offsets = ids.getManager().arange(0, (int) (rows * v), (int) v).toType(DataType.INT64, false)
                .reshape(rows, 1);
        return Layers.embedding(table.reshape(rows * v, d), ids.add(offsets));
    }
}
