package dev.kindling.meta.baseline;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.meta.Recommender;


/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019), a strong collaborative baseline: over
 * the old users' binary interaction matrix X, P = (X^T X + lambda I)^-1 and B = I - P diagMat(1 / diag(P)) (the
 * closed form of min ||X - X B||^2 + lambda ||B||^2 with diag(B) = 0, the paper's Eq. 8); a user's scores are the
 * sum of B's rows over the user's items. The inverse is dense and costs O(m^3), so B covers at most {@code maxItems}
 * items, the most interacted ones; the others score 0.
 */
public final class EaseRecommender implements Recommender {
    private static final Logger LOG = LoggerFactory.getLogger(EaseRecommender.class);

    private final int itemCount;
    private final int[] items;
    private final int[] position;
    private final float[] weights;
    private final double lambda;

    private EaseRecommender(int itemCount, int[] items, float[] weights, double lambda) {
        this.itemCount = itemCount;
        this.items = items;
        this.weights = weights;
        this.lambda = lambda;
        this.position = new int[itemCount + 1];
        Arrays.fill(position, -1);
        for (int a = 0; a < items.length; a++) {
            position[items[a]] = a;
        }
    }

    /**
     * Fits B.
     *
     * @param lambda   the L2 weight (Steck's lambda)
     * @param maxItems the largest item count B covers (the dense inverse's size)
     * @param manager  where the inverse is computed (libtorch); freed before this returns
     */
    public static EaseRecommender fit(CoOccurrence co, double lambda, int maxItems, NDManager manager) {
        if (lambda <= 0) {
            throw new IllegalArgumentException("EASE's lambda must be positive, was " + lambda);
        }
        long start = System.nanoTime();
        int[] items = co.mostInteracted(maxItems);
        int m = items.length;
        float[] g = co.dense(items);
        for (int a = 0; a < m; a++) {
            g[a * m + a] += (float) lambda;
        }
        float[] b;
        try (NDManager sub = manager.newSubManager()) {
            // one m x m matrix held at a time besides the inverse's own (m = 9,742 on ml-latest-small: 380 MB each)
            NDArray gram = sub.create(g, new Shape(m, m));
            g = null;
            NDArray p = gram.inverse();
            gram.close();
            NDArray diag = p.diagonal();
            // Eq. 8: B_ij = -P_ij / P_jj, zero diagonal
            p.divi(diag.reshape(1, m)).negi();
            b = p.toType(DataType.FLOAT32, false).toFloatArray();
        }
        for (int a = 0; a < m; a++) {
            b[a * m + a] = 0f;
        }
        LOG.debug("EASE over {} items, lambda {}: {} s", m, lambda, String.format("%.1f", (System.nanoTime() - start) / 1e9));
        return new EaseRecommender(co.itemCount(), items, b, lambda);
    }

    public double lambda() {
        return lambda;
    }

    /** Items B covers. */
    public int coveredItems() {
        return items.length;
    }

    @Override
    public float[] scores(int[] sequence) {
        float[] out = new float[itemCount + 1];
        int m = items.length;
        for (int i : sequence) {
            int a = i < position.length ? position[i] : -1;
            if (a < 0) {
                continue;
            }
            int row = a * m;
            for (int c = 0; c < m; c++) {
                out[items[c]] += weights[row + c];
            }
        }
        return out;
    }

    /**
     * The {@code k} weights largest in magnitude of each covered item's row (B_ij for j != i, negative ones too), for a
     * compact copy that serves without the dense matrix: {@code neighbours[i]} and {@code values[i]} (item indices,
     * largest first).
     */
    public NeighbourLists sparsify(int k) {
        return NeighbourLists.top(itemCount, items, weights, k);
    }
}
