package dev.kindling.meta;

import java.util.Arrays;

/**
 * One user's chronological interactions as item indices (1-based, as the learners use them).
 *
 * @param userId     the user
 * @param items      item indices, oldest first
 * @param timestamps epoch milliseconds, same order
 */
public record UserSequence(String userId, int[] items, long[] timestamps) {
    public int length() {
        return items.length;
    }

    /** The first k interactions. */
    public UserSequence head(int k) {
        return new UserSequence(userId, Arrays.copyOf(items, k), Arrays.copyOf(timestamps, k));
    }
}
