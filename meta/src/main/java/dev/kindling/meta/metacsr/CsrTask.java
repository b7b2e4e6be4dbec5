package dev.kindling.meta.metacsr;

import java.util.List;

/**
 * A meta-learning task of one user (Algorithm 2): support runs the inner loop adapts on, query runs the adapted
 * sequence model is judged on.
 *
 * @param known   the user's items that are never sampled as negatives, sorted
 * @param support D_S
 * @param query   D_Q
 */
public record CsrTask(int[] known, List<Run> support, List<Run> query) {
}
