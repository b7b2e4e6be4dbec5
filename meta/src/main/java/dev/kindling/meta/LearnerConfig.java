package dev.kindling.meta;

/**
 * Shape of a sequential meta-learner. Defaults follow the MML authors' backbone: 2 layers, 2 heads, hidden 64,
 * feed-forward 256, dropout 0.5, sequences of at most 50 items.
 *
 * @param hidden    d, the hidden size
 * @param layers    L, self-attention blocks
 * @param heads     h, attention heads (hidden divisible by heads)
 * @param inner     feed-forward inner size
 * @param dropout   dropout on embeddings, attention probabilities and block outputs
 * @param maxLength n, longest sequence (the most recent n items are kept)
 */
public record LearnerConfig(int hidden, int layers, int heads, int inner, double dropout, int maxLength) {
    public static final LearnerConfig DEFAULT = new LearnerConfig(64, 2, 2, 256, 0.5, 50);

    public LearnerConfig {
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
        return new LearnerConfig(hidden, layers, heads, inner, 0, maxLength);
    }
}
