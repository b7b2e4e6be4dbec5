package dev.kindling.meta;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Full-ranking metrics over users (MML 5.2.1): the held-out item's rank among all items (the user's own support items
 * excluded), averaged as Recall@K, MRR@K and NDCG@K for K in 5, 10, 20.
 */
public final class RankingMetrics {
    public static final int[] CUTOFFS = {5, 10, 20};
    private final double[] recall = new double[CUTOFFS.length];
    private final double[] mrr = new double[CUTOFFS.length];
    private final double[] ndcg = new double[CUTOFFS.length];
    private int users;

    /**
     * @param scores  a score per item index (index 0 ignored)
     * @param target  the held-out item
     * @param exclude items not to rank (the support items)
     */
    public void add(float[] scores, int target, int[] exclude) {
        java.util.Set<Integer> skip = new java.util.HashSet<>();
        for (int e : exclude) {
            skip.add(e);
        }
        skip.remove(target);
        float t = scores[target];
        int rank = 0; // items strictly better than the target; ties count half, so ties never flatter a model
        int ties = 0;
        for (int i = 1; i < scores.length; i++) {
            if (i == target || skip.contains(i)) {
                continue;
            }
            if (scores[i] > t || Float.isNaN(t)) {
                rank++;
            } else if (scores[i] == t) {
                ties++;
            }
        }
        rank += ties / 2;
        users++;
        for (int c = 0; c < CUTOFFS.length; c++) {
            if (rank < CUTOFFS[c]) {
                recall[c] += 1;
                mrr[c] += 1.0 / (rank + 1);
                ndcg[c] += 1.0 / (Math.log(rank + 2) / Math.log(2));
            }
        }
    }

    public int users() {
        return users;
    }

    /** recall@5, mrr@5, ndcg@5, ... averaged over users. */
    public Map<String, Double> values() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int c = 0; c < CUTOFFS.length; c++) {
            out.put("recall@" + CUTOFFS[c], recall[c] / Math.max(1, users));
            out.put("mrr@" + CUTOFFS[c], mrr[c] / Math.max(1, users));
            out.put("ndcg@" + CUTOFFS[c], ndcg[c] / Math.max(1, users));
        }
        return out;
    }
}
