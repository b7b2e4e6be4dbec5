package dev.kindling.meta;

import ai.djl.ndarray.NDArray;

/**
 * A batch of item sequences, right-aligned in a window of length n (padding id 0 on the left), with what training
 * needs: the next item at each position, a sampled negative, and which positions count in the loss.
 *
 * @param items     item indices [batch, n], int64, 0 = padding
 * @param positives next item at each position [batch, n], int64 (0 where there is none)
 * @param negatives a sampled item the user did not interact with, per position [batch, n], int64
 * @param weights   loss weight per position [batch, n] (0 = not a training position; 1 for plain BPR; per-example
 *                  weights such as MELO's plug in here)
 * @param textGram  cosine Gram matrix of the items' text vectors [batch, n, n] (0 for padding)
 * @param imageGram cosine Gram matrix of the items' image vectors [batch, n, n] (0 where either item has no picture)
 */
public record SequenceBatch(NDArray items, NDArray positives, NDArray negatives, NDArray weights, NDArray textGram,
                            NDArray imageGram) {

    public long batchSize() {
        return items.getShape().get(0);
    }

    public long length() {
        return items.getShape().get(1);
    }

    /** The same sequences with other targets and weights (support vs. query positions of one task). */
    public SequenceBatch withTargets(NDArray newPositives, NDArray newNegatives, NDArray newWeights) {
        return new SequenceBatch(items, newPositives, newNegatives, newWeights, textGram, imageGram);
    }

    public SequenceBatch withWeights(NDArray newWeights) {
        return new SequenceBatch(items, positives, negatives, newWeights, textGram, imageGram);
    }
}
