package dev.kindling.meta.learners;

import ai.djl.ndarray.NDArray;

/**
 * A batch of item sequences, right-aligned in a window of length n (padding id 0 on the left), with what training
 * needs: the next item at each position, what it is scored against, and which positions count in the loss.
 *
 * @param items      item indices [batch, n], int64, 0 = padding
 * @param positives  next item at each position [batch, n], int64 (0 where there is none)
 * @param negatives  for the BPR loss, a sampled item the user did not interact with, per position [batch, n], int64;
 *                   null for the softmax loss
 * @param candidates for the softmax loss, the items the next item is scored against besides itself: a sample shared
 *                   by the batch [s], int64, or null for every item
 * @param weights    loss weight per position [batch, n] (0 = not a training position; per-example weights such as
 *                   MELO's plug in here)
 * @param futures    for the future-window loss ({@link NextItemLoss#FUTURE}), the items of the next W interactions
 *                   after each position [batch, n, W], int64 (column 0 the next item; 0 = none); null otherwise
 * @param textGram   cosine Gram matrix of the items' text vectors [batch, n, n] (0 for padding)
 * @param imageGram  cosine Gram matrix of the items' image vectors [batch, n, n] (0 where either item has no picture)
 * @param logQ       with a sample of candidates drawn from a non-uniform proposal q ({@code PopularityProposal}), log(s
 *                   q_i) for every item index [items + 1]: the sampled softmax subtracts it from each logit (the target's
 *                   and the sampled items'); null for a uniform sample or none
 */
public record SequenceBatch(NDArray items, NDArray positives, NDArray negatives, NDArray candidates, NDArray weights,
                            NDArray futures, NDArray textGram, NDArray imageGram, NDArray logQ) {

    public long batchSize() {
        return items.getShape().get(0);
    }

    public long length() {
        return items.getShape().get(1);
    }

    /** The same sequences with other targets and weights (support vs. query positions of one task). */
    public SequenceBatch withTargets(NDArray newPositives, NDArray newNegatives, NDArray newCandidates,
                                     NDArray newWeights, NDArray newFutures) {
        return new SequenceBatch(items, newPositives, newNegatives, newCandidates, newWeights, newFutures, textGram,
                imageGram, null);
    }

    /** The same batch with its sampled candidates' correction (see {@code logQ}). */
    public SequenceBatch withLogQ(NDArray newLogQ) {
        return new SequenceBatch(items, positives, negatives, candidates, weights, futures, textGram, imageGram,
                newLogQ);
    }

    public SequenceBatch withWeights(NDArray newWeights) {
        return new SequenceBatch(items, positives, negatives, candidates, newWeights, futures, textGram, imageGram,
                logQ);
    }

    public SequenceBatch withFutures(NDArray newFutures) {
        return new SequenceBatch(items, positives, negatives, candidates, weights, newFutures, textGram, imageGram,
                logQ);
    }
}
