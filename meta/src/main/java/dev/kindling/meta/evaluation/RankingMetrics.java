package dev.kindling.meta.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full-ranking metrics over users (MML 5.2.1): each user's relevant items are ranked among all items (the user's own
 * support items excluded) and scored as Recall@K, MRR@K and NDCG@K for K in 5, 10, 20. Every user's values are kept,
 * so that confidence intervals and paired differences can be computed over users.
 *
 * <p>Two kinds of query ({@link EvaluationCase#anyHit}): a single next item, where any of the relevant items (the
 * target and the items that share its timestamp) counts as the hit, and a set of next items (next-n), scored with
 * binary relevance (NDCG's ideal DCG over min(K, relevant) items; Recall@K over the same number).
 *
 * <p>Ties in the scores count half: an item with the same score as a relevant one is ranked above it half the time,
 * so a constant scorer never looks better than chance.
 */
public final class RankingMetrics {
    public static final int[] CUTOFFS = {5, 10, 20};
    private final List<Map<String, Double>> perUser = new ArrayList<>();

    /** The metric names, in report order ({@code ndcg}: NDCG over the whole ranking, no cut-off). */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        out.add("ndcg");
        for (int c : CUTOFFS) {
            out.add("recall@" + c);
            out.add("mrr@" + c);
            out.add("ndcg@" + c);
        }
        return out;
    }

    /**
     * A single held-out item.
     *
     * @param scores  a score per item index (index 0 ignored)
     * @param target  the held-out item
     * @param exclude items not to rank (the support items)
     */
    public Map<String, Double> add(float[] scores, int target, int[] exclude) {
        return add(scores, new EvaluationCase(exclude, new int[] {target}, true));
    }

    /** One user's query; returns that user's values. */
    public Map<String, Double> add(float[] scores, EvaluationCase query) {
        Map<String, Double> values = score(scores, query);
        perUser.add(values);
        return values;
    }

    /** One user's values without recording them. */
    public static Map<String, Double> score(float[] scores, EvaluationCase query) {
        PreparedQuery prepared = new PreparedQuery(query, scores.length);
        double[] above = prepared.above(scores);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("ndcg", prepared.ndcg(above, Integer.MAX_VALUE));
        for (int c : CUTOFFS) {
            double recall;
            double mrr;
            if (query.anyHit()) {
                double rank = above[0]; // the best-placed relevant item is the hit
                boolean hit = rank < c;
                recall = hit ? 1 : 0;
                mrr = hit ? 1.0 / (rank + 1) : 0;
            } else {
                int hits = 0;
                for (int j = 0; j < above.length; j++) {
                    if (above[j] + j < c) { // relevant items placed above this one push it down too
                        hits++;
                    }
                }
                mrr = above[0] < c ? 1.0 / (above[0] + 1) : 0;
                recall = (double) hits / Math.min(c, above.length);
            }
            out.put("recall@" + c, recall);
            out.put("mrr@" + c, mrr);
            out.put("ndcg@" + c, prepared.ndcg(above, c));
        }
        return out;
    }

    /**
     * A query prepared once for scoring many rankings of the same user (a blend search scores a hundred): the items
     * that compete with the relevant ones (all but the support and the relevant items themselves).
     */
    public static final class PreparedQuery {
        private final int[] relevant;
        private final int[] others;
        private final boolean anyHit;

        /** @param length the length of the score arrays to come (items + 1; index 0 is never ranked) */
        public PreparedQuery(EvaluationCase query, int length) {
            this.relevant = query.relevant();
            this.anyHit = query.anyHit();
            boolean[] skip = new boolean[length];
            skip[0] = true;
            for (int e : query.support()) {
                skip[e] = true;
            }
            for (int r : relevant) {
                skip[r] = true;
            }
            int[] o = new int[length];
            int n = 0;
            for (int i = 1; i < length; i++) {
                if (!skip[i]) {
                    o[n++] = i;
                }
            }
            this.others = Arrays.copyOf(o, n);
        }

        /**
         * For each relevant item, the competing items strictly above it plus half of those tied with it (a NaN score
         * of a relevant item puts every competitor above it), ascending.
         */
        public double[] above(float[] scores) {
            // One pass over the competitors against the relevant items' scores sorted ascending (NaN last): most
            // competitors score below the lowest of them and cost one comparison (the blend search ranks each user
            // hundreds of times).
            int r = relevant.length;
            float[] t = new float[r];
            for (int j = 0; j < r; j++) {
                t[j] = scores[relevant[j]];
            }
            Arrays.sort(t);
            int finite = 0;
            while (finite < r && !Float.isNaN(t[finite])) {
                finite++;
            }
            // below[m]: competitors with exactly m of the sorted scores strictly below them; tied: a difference array
            // over the sorted scores equal to a competitor's
            int[] below = new int[finite + 1];
            int[] tied = new int[finite + 1];
            float lowest = finite > 0 ? t[0] : Float.NaN;
            for (int i : others) {
                float x = scores[i];
                if (!(x >= lowest)) { // below every relevant score (or NaN): above none, tied with none
                    continue;
                }
                int lo = 0;
                while (lo < finite && t[lo] < x) {
                    lo++;
                }
                int hi = lo;
                while (hi < finite && t[hi] == x) {
                    hi++;
                }
                below[lo]++;
                if (hi > lo) {
                    tied[lo]++;
                    tied[hi]--;
                }
            }
            double[] above = new double[r];
            int better = 0;
            for (int m = finite; m >= 1; m--) {
                better += below[m]; // competitors above sorted score m - 1
                above[m - 1] = better;
            }
            int ties = 0;
            for (int k = 0; k < finite; k++) {
                ties += tied[k];
                above[k] += ties / 2;
            }
            for (int k = finite; k < r; k++) {
                above[k] = others.length; // a NaN score: every competitor above it
            }
            Arrays.sort(above);
            return above;
        }

        /** NDCG@{@code cutoff} from {@link #above} ({@code Integer.MAX_VALUE}: uncut NDCG), as {@link #score}. */
        public double ndcg(double[] above, int cutoff) {
            if (cutoff == Integer.MAX_VALUE) {
                return uncutNdcg(above, anyHit);
            }
            if (anyHit) {
                return above[0] < cutoff ? 1.0 / log2(above[0] + 2) : 0;
            }
            double dcg = 0;
            for (int j = 0; j < above.length; j++) {
                double rank = above[j] + j;
                if (rank < cutoff) {
                    dcg += 1.0 / log2(rank + 2);
                }
            }
            double idcg = 0;
            for (int j = 0; j < Math.min(cutoff, above.length); j++) {
                idcg += 1.0 / log2(j + 2);
            }
            return dcg / idcg;
        }
    }

    /** NDCG over the whole ranking (no cut-off): every relevant item counts by its rank. */
    private static double uncutNdcg(double[] above, boolean anyHit) {
        if (anyHit) {
            return 1.0 / log2(above[0] + 2);
        }
        double dcg = 0;
        double idcg = 0;
        for (int j = 0; j < above.length; j++) {
            dcg += 1.0 / log2(above[j] + j + 2);
            idcg += 1.0 / log2(j + 2);
        }
        return dcg / idcg;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    public int users() {
        return perUser.size();
    }

    /** Each user's values, in the order they were added. */
    public List<Map<String, Double>> perUser() {
        return List.copyOf(perUser);
    }

    /** recall@5, mrr@5, ndcg@5, ... averaged over users. */
    public Map<String, Double> values() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String name : names()) {
            out.put(name, perUser.stream().mapToDouble(v -> v.get(name)).sum() / Math.max(1, perUser.size()));
        }
        return out;
    }
}
