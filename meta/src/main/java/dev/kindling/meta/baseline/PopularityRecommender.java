package dev.kindling.meta.baseline;

import java.util.List;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.UserSequence;

/** The most-interacted items in D_old first, whoever the user is. */
public final class PopularityRecommender implements Recommender {
    private final float[] counts;

    public PopularityRecommender(List<UserSequence> old, int items) {
        counts = new float[items + 1];
        for (UserSequence u : old) {
            for (int i : u.items()) {
                counts[i]++;
            }
        }
    }

    @Override
    public float[] scores(int[] sequence) {
        return counts.clone();
    }
}
