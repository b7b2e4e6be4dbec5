package dev.kindling.meta.baseline;

import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.function.IntToDoubleFunction;

import dev.kindling.meta.Recommender;


/**
 * Item-to-item weights kept sparse: for each item, its best {@code k} neighbours and their weights. A user's score
 * for item j is the sum over the user's items i of w(i, j) (item-based collaborative filtering, Sarwar et al. 2001;
 * EASE's B rows pruned to their largest entries in magnitude). The form both collaborative baselines are served in.
 *
 * @param neighbours per item index (0 unused), neighbour item indices, best first
 * @param weights    the same shape, their weights
 */
public record NeighbourLists(int[][] neighbours, float[][] weights) implements Recommender {
    /**
     * EASE's weights kept per item, as served and as {@code mml-cf}'s collaborative learner: the row's 500 largest in
     * magnitude. EASE's negative weights carry part of its ranking (an item bought instead of another); keeping the
     * 200 largest positive ones, as before, lost 0.007 NDCG@10 against the dense B with T at the 0.9 quantile and 0.003
     * at 0.8 (next-n, all new users, lambda 200), where the 500 largest in magnitude are level with it (+0.002 and
     * +0.001; meta README, "EASE's served form"). About 40 MB for 10,000 items.
     */
    public static final int SERVED = 500;


    public int itemCount() {
        return neighbours.length - 1;
    }

    /** The same lists over a catalogue of {@code items} items (items beyond the lists have none), sharing the rows. */
    public NeighbourLists withItemCount(int items) {
        return new NeighbourLists(Arrays.copyOf(neighbours, items + 1), Arrays.copyOf(weights, items + 1));
    }

    @Override
    public float[] scores(int[] sequence) {
        float[] out = new float[neighbours.length];
        for (int i : sequence) {
            if (i <= 0 || i >= neighbours.length || neighbours[i] == null) {
                continue;
            }
            int[] n = neighbours[i];
            float[] w = weights[i];
            for (int j = 0; j < n.length; j++) {
                out[n[j]] += w[j];
            }
        }
        return out;
    }

    /**
     * The k entries largest in magnitude of each row of a dense matrix over {@code items} (row-major, items.length
     * square).
     */
    static NeighbourLists top(int itemCount, int[] items, float[] dense, int k) {
        int m = items.length;
        int[][] neighbours = new int[itemCount + 1][];
        float[][] weights = new float[itemCount + 1][];
        float[] row = new float[itemCount + 1];
        for (int a = 0; a < m; a++) {
            Arrays.fill(row, 0f);
            for (int c = 0; c < m; c++) {
                row[items[c]] = dense[a * m + c];
            }
            row[items[a]] = 0f;
            keep(items[a], row, k, neighbours, weights, true);
        }
        return new NeighbourLists(neighbours, weights);
    }

    /**
     * Keeps {@code k} entries of {@code row} as item {@code item}'s list, best first: the largest in magnitude, or with
     * {@code magnitude} false the largest positive ones (zeros never). Ties go to the lower item index.
     */
    static void keep(int item, float[] row, int k, int[][] neighbours, float[][] weights, boolean magnitude) {
        keep(item, row, null, k, neighbours, weights, magnitude);
    }

    /**
     * {@link #keep} looking only at {@code candidates} (ascending item indices; null: every item), for sparse rows: the
     * other entries must be zero.
     */
    static void keep(int item, float[] row, int[] candidates, int k, int[][] neighbours, float[][] weights,
                     boolean magnitude) {
        IntToDoubleFunction key = magnitude ? j -> Math.abs(row[j]) : j -> row[j];
        PriorityQueue<Integer> best = new PriorityQueue<>((x, y) -> key.applyAsDouble(x) != key.applyAsDouble(y)
                ? Double.compare(key.applyAsDouble(x), key.applyAsDouble(y)) : Integer.compare(y, x));
        int count = candidates == null ? row.length - 1 : candidates.length;
        for (int c = 0; c < count; c++) {
            int j = candidates == null ? c + 1 : candidates[c];
            if (j == item || key.applyAsDouble(j) <= 0) {
                continue;
            }
            if (best.size() < k) {
                best.add(j);
            } else if (key.applyAsDouble(j) > key.applyAsDouble(best.peek())) {
                best.poll();
                best.add(j);
            }
        }
        int size = best.size();
        int[] n = new int[size];
        float[] w = new float[size];
        for (int s = size - 1; s >= 0; s--) {
            int j = best.poll();
            n[s] = j;
            w[s] = row[j];
        }
        neighbours[item] = n;
        weights[item] = w;
    }
}
