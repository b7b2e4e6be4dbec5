package dev.kindling.meta.evaluation;

/**
 * One new user's query in the cold-start protocol: the support items the user is known by (oldest first) and the
 * items that count as right answers.
 *
 * @param support  the earliest k - 1 interactions (adaptation data; never ranked)
 * @param relevant the held-out items
 * @param anyHit   true: one next item, any relevant item is the hit (the target and the items sharing its
 *                 timestamp); false: a set of next items, each relevant (next-n)
 * @param supportRatings the support's ratings in stars (NaN where unknown), or null when the user has none
 */
public record EvaluationCase(int[] support, int[] relevant, boolean anyHit, double[] supportRatings) {
    public EvaluationCase {
        if (relevant.length == 0) {
            throw new IllegalArgumentException("a query needs at least one relevant item");
        }
    }

    /** A query whose support carries no ratings. */
    public EvaluationCase(int[] support, int[] relevant, boolean anyHit) {
        this(support, relevant, anyHit, null);
    }
}
