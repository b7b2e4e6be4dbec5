package dev.kindling.meta.melo;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MELO's weighting model (Eq. 3, {@link LossWeights}) over the support positions of a next-item task, for MML's ID
 * learner (issue 15; beyond the MML paper). A next-item position t predicts the window's next item r_{t+1}; its
 * weighting input is that item's rating as {@link RatingBatch#code} (round(2 * stars)), so that the LSTM reads the
 * support's ratings in order, as MELO reads a rating task's. A rating that is not known (datasets without ratings,
 * {@link dev.kindling.meta.UserSequence#ratings()} NaN or null) gets code 0, the embedding's padding row, which here
 * means "unknown": the codes are laid out left-aligned (the LSTM starts at a row's first real position and padding
 * only ever follows it), while {@link dev.kindling.meta.learners.SequenceBatch} windows are right-aligned, so the
 * gammas are moved back into the batch's layout with one gather. Query positions of a meta-training task get code 0
 * too (adaptation must not see the query's ratings; the LSTM reads left to right, so they never reach a support
 * weight).
 */
public final class NextItemWeights {
    private final LossWeights model;
    private final int maxLength;

    /** @param maxLength the learner's window (each sequence's most recent maxLength + 1 items are used) */
    public NextItemWeights(LossWeights model, int maxLength) {
        this.model = model;
        this.maxLength = maxLength;
    }

    public LossWeights model() {
        return model;
    }

    /**
     * The weighting model's input for a batch laid out as {@link dev.kindling.meta.maml.Tasks} lays out the same
     * sequences.
     *
     * @param codes     rating codes, left-aligned [rows, n] (int64)
     * @param positions for each position of the right-aligned batch, its column in {@code codes} [rows, n] (int64;
     *                  padding positions point anywhere, their weight is 0)
     */
    public record Codes(NDArray codes, NDArray positions) {
    }

    /**
     * @param sequences      the sequences as given to {@code Tasks.tasks} or {@code Tasks.adaptations} (each row's
     *                       window is its most recent maxLength + 1 items)
     * @param ratings        each sequence's ratings in stars (same length, NaN where unknown), or null entries
     * @param supportTargets per row, how many of the window's next items are support positions (later ones get code
     *                       0); null: every position is support (adaptation)
     */
    public Codes codes(List<int[]> sequences, List<double[]> ratings, int[] supportTargets, NDManager manager) {
        int rows = sequences.size();
        int n = 0;
        for (int[] seq : sequences) {
            n = Math.max(n, Math.min(seq.length, maxLength + 1) - 1);
        }
        n = Math.max(n, 1);
        long[] codes = new long[rows * n];
        long[] positions = new long[rows * n];
        Arrays.fill(positions, n - 1);
        for (int r = 0; r < rows; r++) {
            int[] seq = sequences.get(r);
            double[] stars = ratings.get(r);
            int m = Math.min(seq.length, maxLength + 1);
            int targets = Math.max(0, m - 1);
            int pad = n - targets;
            int first = seq.length - m;   // the window's first item in the sequence
            int support = supportTargets == null ? targets : Math.min(targets, supportTargets[r]);
            for (int t = 0; t < targets; t++) {
                positions[r * n + pad + t] = t;
                if (t < support && stars != null) {
                    double rating = stars[first + t + 1];   // position t predicts the window's item t + 1
                    codes[r * n + t] = Double.isNaN(rating) ? 0 : RatingBatch.code(rating);
                }
            }
        }
        Shape shape = new Shape(rows, n);
        return new Codes(manager.create(codes, shape), manager.create(positions, shape));
    }

    /**
     * gamma_t = |g_out(g_cell(y_t; h_{t-1}))| (MELO Eq. 3) for every position of the batch, right-aligned [rows, n]
     * (recorded when phi records gradients).
     */
    public NDArray gammas(Params phi, Codes codes, Scalars s) {
        return model.gammas(phi, codes.codes(), s).gather(codes.positions(), 1);
    }
}
