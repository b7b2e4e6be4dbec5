package dev.kindling.meta.metacsr;

/**
 * A new user of metaCSR's protocol (4.1.2): the earliest positive interactions, of which the last is held out.
 *
 * @param userId  the user
 * @param support the positive items before the held-out one, oldest first (what the model adapts on)
 * @param target  the held-out item: the last of the user's (at most 10) earliest positives
 * @param touched every item the user interacted with, at any time and rating, sorted (never a sampled negative)
 */
public record ColdUser(String userId, int[] support, int target, int[] touched) {
}
