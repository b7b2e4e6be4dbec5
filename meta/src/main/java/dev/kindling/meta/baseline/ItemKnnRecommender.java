package dev.kindling.meta.baseline;

/**
 * Item-based k-nearest-neighbour collaborative filtering (Sarwar et al., WWW 2001; Deshpande and Karypis 2004): the
 * cosine between two items' columns of the old users' binary interaction matrix, s(i, j) = G_ij / sqrt(G_ii G_jj),
 * kept for each item's {@code k} most similar items; a user's score for j is the sum of s(i, j) over the user's items.
 */
public final class ItemKnnRecommender {
    private ItemKnnRecommender() {
    }

    /** The k most similar items of every item that old users interacted with (k = 0: every co-occurring item). */
    public static NeighbourLists fit(CoOccurrence co, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("item-kNN's neighbourhood must not be negative, was " + k);
        }
        int keep = k == 0 ? Integer.MAX_VALUE : k;
        int n = co.itemCount();
        int[][] neighbours = new int[n + 1][];
        float[][] weights = new float[n + 1][];
        float[] row = new float[n + 1];
        double[] norm = new double[n + 1];
        for (int i = 1; i <= n; i++) {
            norm[i] = Math.sqrt(co.count(i));
        }
        for (int i = 1; i <= n; i++) {
            if (co.count(i) == 0) {
                continue;
            }
            co.row(i, row);
            for (int j = 1; j <= n; j++) {
                if (row[j] > 0) {
                    row[j] = (float) (row[j] / (norm[i] * norm[j]));
                }
            }
            NeighbourLists.keep(i, row, keep, neighbours, weights, false);
        }
        return new NeighbourLists(neighbours, weights);
    }
}
