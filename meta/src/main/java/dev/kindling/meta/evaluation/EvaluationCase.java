package dev.kindling.meta.evaluation;

/**
 * One new user's query in the cold-start protocol: the support items the user is known by (oldest first) and the
 * items that count as right answers.
 *
 * @param support  the earliest k - 1 interactions (adaptation data; never ranked)
 * @param relevant the held-out items
 * @param anyHit   true: one next item, any relevant item is the hit (the target and the items sharing its
 *                 timestamp); false: a set of next items, each relevant (next-n)
 */
public record EvaluationCase(int[] support, int[] relevant, boolean anyHit) {
    public EvaluationCase {
        if (relevant.length == 0) {
            throw new IllegalArgumentException("a query needs at least one relevant item");
        }
    }
}
