package dev.kindling.meta;

import ai.djl.ndarray.NDArray;

import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A SASRec-style learner written as functions of explicit parameters, so MAML can run it with global or adapted
 * parameters. Implementations: the main ID learner with feature-aware attention ({@link IdLearner}) and the text and
 * image auxiliary learners ({@link FeatureLearner}).
 */
public interface SequenceLearner {

    /** Fresh parameters, seeded. */
    Params initialise(long seed);

    /**
     * Whether a parameter belongs to Theta (adapted in the inner loop: positions, attention blocks, norms, the
     * prediction layer) rather than Gamma (item embeddings, global only; MML 4.4.2, Eq. 18-20).
     */
    boolean adapted(String parameter);

    /** The output of the last self-attention block, F^L: [batch, n, d]. */
    NDArray encode(Params p, SequenceBatch batch, boolean training, Scalars s);

    /** Item representations for scoring (Eq. 8's e_i): ids of any shape -> [..., d]. */
    NDArray itemVectors(Params p, NDArray ids);

    /** Every item's representation [items + 1, d] (row 0 is padding), for ranking all items. */
    NDArray allItemVectors(Params p);

    /**
     * This learner for ranking while Gamma holds still at {@code p}'s values: what depends only on Gamma may be
     * computed once ({@link FeatureLearner} projects every item once). Adaptation leaves Gamma alone, so rankings are
     * the same; training must use the original. Free with {@link #release()}.
     */
    default SequenceLearner frozen(Params p) {
        return this;
    }

    /** Frees what {@link #frozen} computed (nothing by default). */
    default void release() {
    }

    /** Eq. 7-8: p_i = e_i^T F^L at every position, for the given items [batch, n] -> [batch, n]. */
    default NDArray scoreAt(NDArray encoded, Params p, NDArray ids) {
        return encoded.mul(itemVectors(p, ids)).sum(new int[] {-1});
    }

    /** BPR loss (Eq. 18-20's Loss) over the batch's weighted positions: sum_w(w * softplus(neg - pos)) / sum(w). */
    default NDArray loss(Params p, SequenceBatch batch, boolean training, Scalars s) {
        NDArray encoded = encode(p, batch, training, s);
        NDArray pos = scoreAt(encoded, p, batch.positives());
        NDArray neg = scoreAt(encoded, p, batch.negatives());
        NDArray perPosition = ai.djl.nn.Activation.softPlus(neg.sub(pos));
        NDArray w = batch.weights();
        return perPosition.mul(w).sum().div(w.sum().add(s.of(1e-12)));
    }

    /** Scores of every item after the last position: [batch, items + 1] (column 0, padding, is meaningless). */
    default NDArray scoreAll(Params p, SequenceBatch batch, Scalars s) {
        NDArray encoded = encode(p, batch, false, s);
        long n = batch.length();
        NDArray last = encoded.get(":, " + (n - 1) + ", :");
        return last.matMul(allItemVectors(p).transpose());
    }

}
