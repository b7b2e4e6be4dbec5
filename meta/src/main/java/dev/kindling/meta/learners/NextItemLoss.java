package dev.kindling.meta.learners;

/**
 * How a learner's next-item scores are trained.
 *
 * <ul>
 *   <li>{@link #BPR}: the paper's loss (MML 4.4.2, Eq. 18-20 and stage 2; Rendle et al.'s BPR), the positive against
 *   one uniformly sampled negative per position, as the MML authors' code does.</li>
 *   <li>{@link #SOFTMAX}: cross-entropy of the next item against every item (or a shared uniform sample of them on
 *   large catalogues), as SASRec is trained in later work (Klenitskiy and Vasilev, RecSys 2023: SASRec with
 *   cross-entropy beats BERT4Rec). Not in the MML paper; measured better on every learner (meta README), and
 *   deterministic: adapting a user scores against a fixed sample of items, the same for every user, so the same
 *   request gets the same answer.</li>
 *   <li>{@link #FUTURE}: beyond the MML paper, a future-window loss like PinnerFormer's dense all-action loss (Pancha
 *   et al., KDD 2022): the output at each position is trained to score each of the next W interactions, not only the
 *   next one: the mean over those targets of {@link #SOFTMAX}'s cross-entropy, each target against the same
 *   candidates (W = {@link LearnerConfig#futureWindow()}; W = 1 is {@link #SOFTMAX}). A new user's next items are
 *   what similar users consumed at any time rather than what follows the last item (meta README, issue 12).</li>
 * </ul>
 */
public enum NextItemLoss {
    BPR,
    SOFTMAX,
    FUTURE;

    /** Whether each target is scored against candidates (every item or a sample) rather than a sampled negative. */
    public boolean softmax() {
        return this != BPR;
    }

    public static NextItemLoss of(String name) {
        return switch (name) {
            case "bpr" -> BPR;
            case "softmax" -> SOFTMAX;
            case "future" -> FUTURE;
            default -> throw new IllegalArgumentException("loss must be bpr, softmax or future, was '" + name + "'");
        };
    }
}
