package dev.kindling.meta;

import java.util.ArrayList;
import java.util.List;

/** Scores every item for a user known only by a short chronological sequence (a cold-start user). */
public interface Recommender {
    /** A score per item index, length items + 1 (index 0 unused); higher is better. */
    float[] scores(int[] sequence);

    /** {@link #scores} of several users (recommenders that adapt to each user do them in one batch). */
    default List<float[]> scores(List<int[]> sequences) {
        List<float[]> out = new ArrayList<>();
        for (int[] s : sequences) {
            out.add(scores(s));
        }
        return out;
    }

    /**
     * {@link #scores(List)} of users whose support ratings are known ({@code ratings} in the same order, each the
     * sequence's ratings in stars, NaN where unknown, or a null entry). Only methods that read ratings (MELO's weights
     * on the next-item support, {@code melo.NextItemMelo#recommender}) override this; every other method ranks by the
     * items alone.
     */
    default List<float[]> scores(List<int[]> sequences, List<double[]> ratings) {
        return scores(sequences);
    }
}
