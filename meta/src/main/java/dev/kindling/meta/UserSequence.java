package dev.kindling.meta;

import java.util.Arrays;

/**
 * One user's chronological interactions as item indices (1-based, as the learners use them).
 *
 * @param userId     the user
 * @param items      item indices, oldest first
 * @param timestamps epoch milliseconds, same order
 * @param ratings    the ratings in stars, same order, NaN where an interaction has none; null when none is known (what
 *                   MELO's weighting model reads, see {@code melo.NextItemWeights}; every other method ignores them)
 */
public record UserSequence(String userId, int[] items, long[] timestamps, double[] ratings) {
    public UserSequence {
        if (ratings != null && ratings.length != items.length) {
            throw new IllegalArgumentException("user " + userId + ": " + items.length + " items but " + ratings.length
                    + " ratings");
        }
    }

    /** A sequence without ratings. */
    public UserSequence(String userId, int[] items, long[] timestamps) {
        this(userId, items, timestamps, null);
    }

    public int length() {
        return items.length;
    }

    /** The first k interactions. */
    public UserSequence head(int k) {
        return new UserSequence(userId, Arrays.copyOf(items, k), Arrays.copyOf(timestamps, k),
                ratings == null ? null : Arrays.copyOf(ratings, k));
    }
}
