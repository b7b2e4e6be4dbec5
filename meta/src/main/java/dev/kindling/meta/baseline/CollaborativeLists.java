package dev.kindling.meta.baseline;

import java.util.Arrays;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Params;

/** Item neighbour lists saved as a parameter group: {@code cf.neighbours} [items + 1, k] and {@code cf.weights}. */
public final class CollaborativeLists {
    private CollaborativeLists() {
    }

    public static Params toParams(NeighbourLists lists, NDManager manager) {
        int rows = lists.neighbours().length;
        int k = 1;
        for (int[] n : lists.neighbours()) {
            k = Math.max(k, n == null ? 0 : n.length);
        }
        int[] ids = new int[rows * k];
        float[] weights = new float[rows * k];
        for (int i = 0; i < rows; i++) {
            int[] n = lists.neighbours()[i];
            if (n == null) {
                continue;
            }
            System.arraycopy(n, 0, ids, i * k, n.length);
            System.arraycopy(lists.weights()[i], 0, weights, i * k, n.length);
        }
        return new Params().put("cf.neighbours", manager.create(ids, new Shape(rows, k)))
                .put("cf.weights", manager.create(weights, new Shape(rows, k)));
    }

    /** The saved lists, padded with empty rows for items added since (they have no collaborative data). */
    public static NeighbourLists fromParams(Params p, int itemCount) {
        long[] shape = p.get("cf.neighbours").getShape().getShape();
        int rows = (int) shape[0];
        int k = (int) shape[1];
        int[] ids = p.get("cf.neighbours").toIntArray();
        float[] weights = p.get("cf.weights").toType(DataType.FLOAT32, false).toFloatArray();
        int[][] neighbours = new int[itemCount + 1][];
        float[][] w = new float[itemCount + 1][];
        for (int i = 0; i < rows && i <= itemCount; i++) {
            int len = 0;
            while (len < k && ids[i * k + len] != 0) {
                len++;
            }
            neighbours[i] = Arrays.copyOfRange(ids, i * k, i * k + len);
            w[i] = Arrays.copyOfRange(weights, i * k, i * k + len);
        }
        return new NeighbourLists(neighbours, w);
    }
}
