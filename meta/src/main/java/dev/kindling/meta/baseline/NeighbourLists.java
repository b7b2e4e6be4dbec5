package dev.kindling.meta.baseline;

import java.util.Arrays;
import java.util.PriorityQueue;

import dev.kindling.meta.Recommender;


/**
 * Item-to-item weights kept sparse: for each item, its best {@code k} neighbours and their weights. A user's score
 * for item j is the sum over the user's items i of w(i, j) (item-based collaborative filtering, Sarwar et al. 2001;
 * EASE's B rows pruned to their largest entries). The form both collaborative baselines are served in.
 *
 * @param neighbours per item index (0 unused), neighbour item indices, best first
 * @param weights    the same shape, their weights
 */
public record NeighbourLists(int[][] neighbours, float[][] weights) implements Recommender {
    /** The collaborative learner's neighbours per item, as served (EASE's rows pruned to their largest weights). */
    public static final int SERVED = 200;


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

    /** The k largest entries of each row of a dense matrix over {@code items} (row-major, items.length square). */
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
            keep(items[a], row, k, neighbours, weights, false);
        }
        return new NeighbourLists(neighbours, weights);
    }

    /** Keeps the k largest entries of {@code row} (positive ones only when asked) as item {@code item}'s list. */
    static void keep(int item, float[] row, int k, int[][] neighbours, float[][] weights, boolean positiveOnly) {
        PriorityQueue<Integer> best = new PriorityQueue<>((x, y) -> row[x] != row[y] ? Float.compare(row[x], row[y])
                : Integer.compare(y, x));
        for (int j = 1; j < row.length; j++) {
            if (j == item || positiveOnly && row[j] <= 0 || !positiveOnly && row[j] == 0) {
                continue;
            }
            if (best.size() < k) {
                best.add(j);
            } else if (row[j] > row[best.peek()]) {
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
