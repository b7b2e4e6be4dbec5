package dev.kindling.meta.learners;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

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

    /**
     * The output of the last self-attention block, F^L: [batch, n, d], zero at padding positions (a shorter sequence
     * padded on the left in a batch must give the fusion layer's Eq. 10 the same F as when it is alone).
     */
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

    /**
     * The next-item loss (Eq. 18-20's Loss) over the batch's weighted positions, sum(w * loss) / sum(w): BPR,
     * softplus(neg - pos), when the batch carries sampled negatives; otherwise softmax cross-entropy of the next item
     * against the batch's candidates (every item when it has none; see {@link NextItemLoss}).
     */
    default NDArray loss(Params p, SequenceBatch batch, boolean training, Scalars s) {
        NDArray w = batch.weights();
        return positionLosses(p, batch, training, s).mul(w).sum().div(w.sum().add(s.of(1e-12)));
    }

    /**
     * Each sequence's own loss [batch]: its weighted mean over its positions. A batch of MAML tasks (one sequence
     * each, per-sequence parameters) sums these, so that each task's gradient reaches only its own copy of Theta.
     */
    default NDArray sequenceLosses(Params p, SequenceBatch batch, boolean training, Scalars s) {
        NDArray w = batch.weights();
        int[] positions = {1};
        return positionLosses(p, batch, training, s).mul(w).sum(positions).div(w.sum(positions).add(s.of(1e-12)));
    }

    /** The next-item loss at every position [batch, n] (unweighted). */
    default NDArray positionLosses(Params p, SequenceBatch batch, boolean training, Scalars s) {
        NDArray encoded = encode(p, batch, training, s);
        if (batch.futures() != null) {
            return futureLosses(encoded, p, batch, s);
        }
        NDArray pos = scoreAt(encoded, p, batch.positives());
        NDArray perPosition;
        if (batch.negatives() != null) {
            perPosition = Activation.softPlus(scoreAt(encoded, p, batch.negatives()).sub(pos));
        } else if (batch.candidates() == null) {
            // every item: -log softmax over the catalogue at the next item; column 0 (padding) never counts
            NDArray logits = encoded.matMul(allItemVectors(p).transpose());                   // [b, n, items + 1]
            NDArray padding = encoded.getManager().zeros(new Shape(logits.getShape().get(2)),
                    s.type());
            padding.set(new NDIndex(0), AttentionMasks.BLOCKED);
            NDArray logp = logits.add(padding).logSoftmax(2);
            perPosition = logp.gather(batch.positives().expandDims(2), 2).squeeze(2).neg();
        } else {
            // a shared sample: the next item against the sampled items, a sampled item equal to it not counting
            NDArray others = encoded.matMul(itemVectors(p, batch.candidates()).transpose());   // [b, n, s]
            NDArray hit = batch.candidates().reshape(1, 1, -1).eq(batch.positives().expandDims(2));
            others = others.add(hit.toType(s.type(), false).mul(s.of(AttentionMasks.BLOCKED)));
            if (batch.logQ() != null) {
                // sampled softmax with the logQ correction (Jean et al. 2015, Eq. 12): every logit minus log(s q_i)
                pos = pos.sub(batch.logQ().get(batch.positives()));
                others = others.sub(batch.logQ().get(batch.candidates()).reshape(1, 1, -1));
            }
            perPosition = pos.expandDims(2).concat(others, 2).logSoftmax(2).get(":, :, 0").neg();
        }
        return perPosition;
    }

    /**
     * The future-window loss at every position [batch, n] (beyond the MML paper; {@link NextItemLoss#FUTURE}, after
     * PinnerFormer's dense all-action loss): the mean over the position's next W items (batch.futures, 0 = none) of
     * -log softmax of the item against the batch's candidates (every item when it has none, column 0 never counting;
     * else the shared sample, a sampled item equal to the target not counting). 0 where a position has no target.
     */
    private NDArray futureLosses(NDArray encoded, Params p, SequenceBatch batch, Scalars s) {
        NDArray futures = batch.futures();                                                      // [b, n, W]
        NDArray logp;                                                                           // [b, n, W]
        if (batch.candidates() == null) {
            NDArray logits = encoded.matMul(allItemVectors(p).transpose());                   // [b, n, items + 1]
            NDArray padding = encoded.getManager().zeros(new Shape(logits.getShape().get(2)), s.type());
            padding.set(new NDIndex(0), AttentionMasks.BLOCKED);
            logp = logits.add(padding).logSoftmax(2).gather(futures, 2);
        } else {
            // log softmax of target k against the sample without its own copies, in O(b n (W + s)): with c_k the
            // copies of target k in the sample, log(exp(pos_k) + sum_j exp(o_j) - c_k exp(pos_k)), shifted by the max
            NDArray pos = encoded.expandDims(2).mul(itemVectors(p, futures)).sum(new int[] {-1});  // [b, n, W]
            NDArray others = encoded.matMul(itemVectors(p, batch.candidates()).transpose());   // [b, n, s]
            if (batch.logQ() != null) {
                // the logQ correction, as in the next-item loss
                pos = pos.sub(batch.logQ().get(futures));
                others = others.sub(batch.logQ().get(batch.candidates()).reshape(1, 1, -1));
            }
            NDArray copies = futures.expandDims(3).eq(batch.candidates().reshape(1, 1, 1, -1))
                    .toType(s.type(), false).sum(new int[] {3});                                // [b, n, W]
            NDArray max = others.max(new int[] {2}, true).maximum(pos.max(new int[] {2}, true)).stopGradient();
            NDArray sum = others.sub(max).exp().sum(new int[] {2}, true);                       // [b, n, 1]
            NDArray own = pos.sub(max).exp();                                                   // [b, n, W]
            logp = pos.sub(max).sub(sum.add(own.mul(s.of(1).sub(copies))).log());
        }
        NDArray present = futures.gt(0).toType(s.type(), false);
        int[] window = {2};
        return logp.mul(present).sum(window).neg().div(present.sum(window).maximum(s.of(1)));
    }

    /** Scores of every item after the last position: [batch, items + 1] (column 0, padding, is meaningless). */
    default NDArray scoreAll(Params p, SequenceBatch batch, Scalars s) {
        NDArray encoded = encode(p, batch, false, s);
        long n = batch.length();
        NDArray last = encoded.get(":, " + (n - 1) + ", :");
        return last.matMul(allItemVectors(p).transpose());
    }

}
