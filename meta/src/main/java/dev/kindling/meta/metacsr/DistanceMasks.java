package dev.kindling.meta.metacsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * metaCSR's position encoding matrices (Eq. 3-4), indexed [m][n]: m the attended element, n the output position (Eq.
 * 6-7 sum over m). Forward: M_{m,n} = -exp(|m - n|) where m < n (output n sees only earlier elements), blocked
 * otherwise; backward: the same where m > n. The paper writes -infinity for blocked entries; here a large negative
 * number ({@link #BLOCKED}), so a position with no allowed element (the first, forward; the last, backward) gets a
 * uniform softmax instead of NaN, and its output is then zeroed ({@link SelfAttentionEncoder}).
 */
public final class DistanceMasks {
    /** Stands in for -infinity. */
    public static final double BLOCKED = -1e9;

    private DistanceMasks() {
    }

    /** Eq. 3: forward, the future (and the element itself) blocked. */
    public static double[][] forward(int length) {
        double[][] m = new double[length][length];
        for (int a = 0; a < length; a++) {
            for (int b = 0; b < length; b++) {
                m[a][b] = a < b ? -Math.exp(b - a) : BLOCKED;
            }
        }
        return m;
    }

    /** Eq. 4: backward, the past (and the element itself) blocked. */
    public static double[][] backward(int length) {
        double[][] m = new double[length][length];
        for (int a = 0; a < length; a++) {
            for (int b = 0; b < length; b++) {
                m[a][b] = a > b ? -Math.exp(a - b) : BLOCKED;
            }
        }
        return m;
    }

    /** Whether element m may be attended from position n: 1 where the mask is not blocked, [length, length]. */
    static double[][] allowed(double[][] mask) {
        double[][] out = new double[mask.length][];
        for (int a = 0; a < mask.length; a++) {
            out[a] = new double[mask[a].length];
            for (int b = 0; b < mask[a].length; b++) {
                out[a][b] = mask[a][b] > BLOCKED / 2 ? 1 : 0;
            }
        }
        return out;
    }

    static NDArray tensor(double[][] mask, NDManager manager, DataType type) {
        int n = mask.length;
        double[] flat = new double[n * n];
        for (int a = 0; a < n; a++) {
            System.arraycopy(mask[a], 0, flat, a * n, n);
        }
        return manager.create(flat, new Shape(n, n)).toType(type, false);
    }
}
