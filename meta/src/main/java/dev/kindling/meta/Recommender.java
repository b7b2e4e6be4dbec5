package dev.kindling.meta;

/** Scores every item for a user known only by a short chronological sequence (a cold-start user). */
public interface Recommender {
    /** A score per item index, length items + 1 (index 0 unused); higher is better. */
    float[] scores(int[] sequence);
}
