package dev.kindling.meta.learners;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Scalars;

/** Additive attention masks: a position sees itself and earlier positions (causal), never padding. */
final class AttentionMasks {
    /** Logit added where attention is not allowed. */
    static final double BLOCKED = -1e9;

    private AttentionMasks() {
    }

    /** [batch, 1, n, n]: 0 where query i may attend key j (j <= i and item j is not padding), BLOCKED elsewhere. */
    static NDArray causal(NDArray items, Scalars s) {
        long batch = items.getShape().get(0);
        int n = (int) items.getShape().get(1);
        float[] lower = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                lower[i * n + j] = 1f;
            }
        }
        NDArray causal = items.getManager().create(lower, new Shape(1, 1, n, n)).toType(s.type(), false);
        NDArray keys = items.neq(0).toType(s.type(), false).reshape(batch, 1, 1, n);
        // allowed in {0, 1} -> (allowed - 1) * 1e9 in {-1e9, 0}
        return causal.mul(keys).sub(s.of(1.0)).mul(s.of(-BLOCKED));
    }

    /** [batch, n, 1]: 1 at real items, 0 at padding. */
    static NDArray present(NDArray items, DataType type) {
        return items.neq(0).toType(type, false).expandDims(2);
    }
}
