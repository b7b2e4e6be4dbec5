package dev.kindling.meta.mml;

import java.util.ArrayList;
import java.util.List;

/**
 * How {@link MmlModel.Variant#CF} (beyond the paper) weighs its members: Eq. 13's sum over the learners' standardised
 * scores (Eq. 9) with fixed weights chosen on held-out new users, in place of the attention of Eq. 11-12. The
 * attention is trained on the fusion users, old users whose time the learners know; on new users, who arrive later,
 * it kept trusting the ID learner (0.6-0.7 of the weight on two data sets) that ranked no better than EASE alone for
 * them (meta README, issue 12).
 *
 * <p>A fifth member, also beyond the paper, is content similarity ({@code baseline.ContentKnnRecommender}: the mean
 * centred cosine of an item's text vector to the support's). The text learner learns what to read from the text
 * vectors on a few hundred old users; the plain similarity keeps all of their geometry and needs no training, and it
 * added more to EASE than the text learner did on both data sets measured (meta README, issue 12). Models saved before
 * it was added read its weight as 0.
 *
 * <p>A sixth member, beyond the paper too, is sequential rules ({@code baseline.SequentialRules}: what followed the
 * user's last items in the old users' sequences). EASE and content similarity read the user's items as a set; the
 * rules read their order, which the learners, trained on a few hundred old users, add little of (meta README, issue
 * 12). Models saved before it was added read its weight as 0.
 *
 * <p>Weights are relative; {@link #normalised()} makes them sum to 1, so a member's part of an item's score is
 * its weight times its standardised score, as with the attention's weights.
 */
public record BlendWeights(double id, double text, double image, double collaborative, double content,
                           double sequential) {
    /** Members, in the order of {@link #normalised()}. */
    public static final int MEMBERS = 6;
    /** Without evidence to choose by, every member alike. */
    public static final BlendWeights EQUAL = new BlendWeights(1, 1, 1, 1, 1, 1);
    /** The values each learner's weight is chosen from, against the collaborative learner's 1. */
    private static final double[] LEARNER_WEIGHTS = {0, 0.5, 1};
    /**
     * The values content similarity's weight is chosen from. Its standardised scores spread evenly over the catalogue
     * while the collaborative learner's have a long upper tail, so it reorders EASE's head only with a weight above 1
     * (chosen: 2-3 on ml-latest-small, 1-3 on the dense variant).
     */
    private static final double[] CONTENT_WEIGHTS = {0, 1, 2, 3};
    /**
     * The values the sequential rules' weight is chosen from (chosen on ml-latest-small: mostly 1/2 with T at the 0.7 and
     * 0.8 quantiles, 1/2 or 1 at 0.9; meta README, "Sequential rules join the blend").
     */
    private static final double[] SEQUENTIAL_WEIGHTS = {0, 0.5, 1};

    public BlendWeights {
        for (double w : new double[] {id, text, image, collaborative, content, sequential}) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("blend weights are finite and >= 0, got " + w);
            }
        }
        if (id + text + image + collaborative + content + sequential == 0) {
            throw new IllegalArgumentException("at least one blend weight must be above 0");
        }
    }

    /**
     * The weights searched on held-out users: the collaborative learner at 1, each learner at 0, 1/2 or 1, content
     * similarity at 0, 1, 2 or 3 and the sequential rules at 0, 1/2 or 1 (324; the first is the collaborative learner
     * alone). A small grid on purpose: with 61 validation users a finer one chose worse weights for the test half on
     * one of two data sets.
     */
    public static List<BlendWeights> grid() {
        List<BlendWeights> out = new ArrayList<>();
        for (double sequential : SEQUENTIAL_WEIGHTS) {
            for (double content : CONTENT_WEIGHTS) {
                for (double id : LEARNER_WEIGHTS) {
                    for (double text : LEARNER_WEIGHTS) {
                        for (double image : LEARNER_WEIGHTS) {
                            out.add(new BlendWeights(id, text, image, 1, content, sequential));
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * The blends of {@link #grid()} that give the ID, text and image learners no weight (EASE, content similarity and
     * the sequential rules alone).
     */
    public static List<BlendWeights> gridWithoutLearners() {
        return grid().stream().filter(b -> b.id() + b.text() + b.image() == 0).toList();
    }

    /** The weights in member order (ID, text, image, collaborative, content, sequential), summing to 1. */
    public double[] normalised() {
        double sum = id + text + image + collaborative + content + sequential;
        return new double[] {id / sum, text / sum, image / sum, collaborative / sum, content / sum, sequential / sum};
    }
}
