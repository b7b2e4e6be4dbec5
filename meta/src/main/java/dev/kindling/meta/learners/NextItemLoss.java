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
 *   deterministic: adapting a user needs no sampled negatives, so the same request gets the same answer.</li>
 * </ul>
 */
public enum NextItemLoss {
    BPR,
    SOFTMAX;

    public static NextItemLoss of(String name) {
        return switch (name) {
            case "bpr" -> BPR;
            case "softmax" -> SOFTMAX;
            default -> throw new IllegalArgumentException("loss must be bpr or softmax, was '" + name + "'");
        };
    }
}
