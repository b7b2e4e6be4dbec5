package dev.kindling.meta.learners;

/**
 * Shape of a sequential meta-learner and the loss it is trained with. Defaults follow the MML authors' backbone: 2
 * layers, 2 heads, hidden 64, feed-forward 256, dropout 0.5, sequences of at most 50 items.
 *
 * @param hidden    d, the hidden size
 * @param layers    L, self-attention blocks
 * @param heads     h, attention heads (hidden divisible by heads)
 * @param inner     feed-forward inner size
 * @param dropout   dropout on embeddings, attention probabilities and block outputs
 * @param maxLength n, longest sequence (the most recent n items are kept)
 * @param loss      the next-item loss of training and of adaptation (absent in models saved before it existed: BPR,
 *                  the paper's)
 * @param futureWindow W, how many next interactions each position is trained to score with {@link NextItemLoss#FUTURE}
 *                  (0, as in models saved before it existed: {@link #DEFAULT_FUTURE_WINDOW}); unused by the other losses
 */
public record LearnerConfig(int hidden, int layers, int heads, int inner, double dropout, int maxLength,
                            NextItemLoss loss, int futureWindow) {
    /**
     * W of the future-window loss unless configured: 10, the query of the cold-start meta-training tasks (the next 10
     * interactions after a new user's support, {@code Training.Episodes.COLD_START}).
     */
    public static final int DEFAULT_FUTURE_WINDOW = 10;

    public static final LearnerConfig DEFAULT = new LearnerConfig(64, 2, 2, 256, 0.5, 50, NextItemLoss.BPR);

    /** A learner trained with the paper's BPR loss. */
    public LearnerConfig(int hidden, int layers, int heads, int inner, double dropout, int maxLength) {
        this(hidden, layers, heads, inner, dropout, maxLength, NextItemLoss.BPR);
    }

    /** A learner trained with the given loss (the future-window loss with W = {@link #DEFAULT_FUTURE_WINDOW}). */
    public LearnerConfig(int hidden, int layers, int heads, int inner, double dropout, int maxLength,
                         NextItemLoss loss) {
        this(hidden, layers, heads, inner, dropout, maxLength, loss, 0);
    }

    public LearnerConfig {
        if (loss == null) {
            loss = NextItemLoss.BPR;
        }
        if (futureWindow == 0) {
            futureWindow = DEFAULT_FUTURE_WINDOW;
        }
        if (futureWindow < 1) {
            throw new IllegalArgumentException("the future window must be at least 1, was " + futureWindow);
        }
        if (hidden < 1 || layers < 1 || heads < 1 || inner < 1 || maxLength < 2) {
            throw new IllegalArgumentException("learner sizes must be positive (maxLength >= 2): " + this);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not divisible by heads " + heads);
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("dropout must be in [0, 1), was " + dropout);
        }
    }

    public LearnerConfig withoutDropout() {
        return new LearnerConfig(hidden, layers, heads, inner, 0, maxLength, loss, futureWindow);
    }

    public LearnerConfig withDropout(double rate) {
        return new LearnerConfig(hidden, layers, heads, inner, rate, maxLength, loss, futureWindow);
    }

    public LearnerConfig withLoss(NextItemLoss newLoss) {
        return new LearnerConfig(hidden, layers, heads, inner, dropout, maxLength, newLoss, futureWindow);
    }

    public LearnerConfig withFutureWindow(int window) {
        return new LearnerConfig(hidden, layers, heads, inner, dropout, maxLength, loss, window);
    }

    /**
     * With the softmax loss, large training batches (whole windows of many users) score each next item against this
     * many items sampled for the batch instead of the whole catalogue (the catalogue-wide softmax cost 20 s per epoch
     * on ml-latest-small, 2 cores). The adaptation to a user (serving, evaluation, the fusion layer's users) scores
     * against a fixed sample of this many distinct items, the same for every user (the support loss's softmax over
     * all 9,742 items of ml-latest-small was the largest cost of a served ranking; see meta/README.md). MAML tasks, a
     * few positions each, use every item.
     */
    public static final int SAMPLED_CANDIDATES = 1_024;
}
