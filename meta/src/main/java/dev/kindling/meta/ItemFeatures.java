package dev.kindling.meta;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.generator.NeighbourTable;

/**
 * The encoder vectors of every item, indexed like the learners' item indices (row 0 is padding): unit text vectors
 * and unit image vectors, with zero rows for items without a picture (so they contribute nothing to a Gram matrix and
 * the image learner can tell them apart).
 *
 * @param text     [items + 1, text dimension]
 * @param image    [items + 1, image dimension]
 * @param hasImage [items + 1], 1 where the item has a picture
 */
public record ItemFeatures(NDArray text, NDArray image, NDArray hasImage) {

    /** These vectors as the generator's neighbour table reads them (Eq. 14). */
    public NeighbourTable.Vectors vectors() {
        return new NeighbourTable.Vectors(text, image, hasImage);
    }

    /** Cosines between the text vectors of the items in each window: [batch, n, n]. */
    public NDArray textGram(NDArray items) {
        return gram(text, items);
    }

    /** Cosines between the image vectors, 0 where either item has no picture: [batch, n, n]. */
    public NDArray imageGram(NDArray items) {
        return gram(image, items);
    }

    private static NDArray gram(NDArray vectors, NDArray items) {
        NDArray rows = vectors.get(items).stopGradient();
        return rows.matMul(rows.transpose(0, 2, 1));
    }

    /** The text vectors as rows per item index (null for row 0 and for items without a text vector). */
    public float[][] textRows() {
        int n = (int) text.getShape().get(0);
        int d = (int) text.getShape().get(1);
        float[] flat = text.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] rows = new float[n][];
        for (int i = 1; i < n; i++) {
            float[] row = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
            double norm = 0;
            for (float x : row) {
                norm += x * x;
            }
            rows[i] = norm > 0 ? row : null;
        }
        return rows;
    }

    /**
     * These features for a catalogue of {@code items} items (at least as many as now), owned by the manager: rows that
     * are not given are copied, the given ones (item index to vector; null: the item has none) replace or add rows.
     * Done with tensor operations: nothing of the size of the catalogue goes through the Java heap.
     */
    public ItemFeatures withRows(int items, Map<Integer, float[]> textRows, Map<Integer, float[]> imageRows,
                                 NDManager manager) {
        Map<Integer, float[]> presence = new HashMap<>();
        imageRows.forEach((i, v) -> presence.put(i, new float[] {v != null ? 1 : 0}));
        NDArray has = withRows(hasImage.reshape(-1, 1), items, presence, manager);
        return new ItemFeatures(withRows(text, items, textRows, manager), withRows(image, items, imageRows, manager),
                has.reshape(-1));
    }

    private static NDArray withRows(NDArray matrix, int items, Map<Integer, float[]> rows, NDManager manager) {
        long d = matrix.getShape().get(1);
        long before = matrix.getShape().get(0);
        NDArray out = matrix.duplicate();
        out.attach(manager);
        if (items + 1 > before) {
            NDArray grown = out.concat(manager.zeros(new Shape(items + 1 - before, d), matrix.getDataType()), 0);
            out.close();
            out = grown;
        }
        for (Map.Entry<Integer, float[]> row : rows.entrySet()) {
            float[] v = row.getValue();
            if (v != null && v.length != d) {
                throw new IllegalArgumentException("item " + row.getKey() + ": a vector of " + v.length
                        + " values, the features have " + d);
            }
            try (NDArray value = v == null ? manager.zeros(new Shape(d), matrix.getDataType())
                    : manager.create(v).toType(matrix.getDataType(), false)) {
                out.set(new NDIndex(row.getKey()), value);
            }
        }
        return out;
    }

    /** Random unit features for tests and synthetic checks. */
    public static ItemFeatures random(NDManager manager, int items, int textDim, int imageDim, double missingImage,
                                      long seed, DataType type) {
        Random r = new Random(seed);
        double[] t = new double[(items + 1) * textDim];
        double[] im = new double[(items + 1) * imageDim];
        double[] has = new double[items + 1];
        for (int i = 1; i <= items; i++) {
            unit(r, t, i * textDim, textDim);
            if (r.nextDouble() >= missingImage) {
                unit(r, im, i * imageDim, imageDim);
                has[i] = 1;
            }
        }
        return new ItemFeatures(manager.create(t, new Shape(items + 1, textDim)).toType(type, true),
                manager.create(im, new Shape(items + 1, imageDim)).toType(type, true),
                manager.create(has).toType(type, true));
    }

    private static void unit(Random r, double[] out, int offset, int dim) {
        double norm = 0;
        for (int k = 0; k < dim; k++) {
            out[offset + k] = r.nextGaussian();
            norm += out[offset + k] * out[offset + k];
        }
        norm = Math.sqrt(norm);
        for (int k = 0; k < dim; k++) {
            out[offset + k] /= norm;
        }
    }
}
