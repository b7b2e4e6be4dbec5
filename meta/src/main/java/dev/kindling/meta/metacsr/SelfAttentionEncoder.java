package dev.kindling.meta.metacsr;

import java.util.HashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * metaCSR's Sequential Recommender (3.2): masked additive self-attention, forward and backward.
 * <pre>
 *   cor(i_m, i_n) = W3^T sigma(W4 i_m + W5 i_n) + M_{m,n}                 Eq. 2 (masks: Eq. 3-4, {@link DistanceMasks})
 *   att(i_m, i_n) = softmax over m of cor(i_m, i_n)                     Eq. 5
 *   i_n^fw = sum_m att^fw(i_m, i_n) i_m,  i_n^bw likewise               Eq. 6-7
 *   s_u = ReLU(W6 [E^fw, E^bw] + b3)                                     Eq. 8 (padding positions' rows zero)
 * </pre>
 * Where the paper is silent or inconsistent: Eq. 5's denominator sums over n while Eq. 6 weights the elements m, so the
 * softmax here runs over m, the attended elements (a distribution per output position); a position with no allowed
 * element (the first forward, the last backward) outputs zero; Eq. 8 maps the T x 2d matrix [E^fw, E^bw] to one
 * vector although T varies (2-10): {@link Readout} says how.
 */
public final class SelfAttentionEncoder implements UserEncoder {
    /** How Eq. 8's W6 reads the T x 2d matrix [E^fw, E^bw] (the paper does not say; meta/README.md measures both). */
    public enum Readout {
        /** The rows averaged over the run's real positions, then W6 [2d, d]: every position weighs the same. */
        MEAN,
        /**
         * The matrix as it stands, flattened: runs left-padded with zero rows to the longest run (T = 10), then
         * W6 [10 * 2d, d], so each position (the latest, the one before, ...) has its own weights. The default: on the
         * validation users it ranked better than MEAN (meta/README.md).
         */
        POSITIONS;

        public static Readout of(String name) {
            return switch (name) {
                case "mean" -> MEAN;
                case "positions" -> POSITIONS;
                default -> throw new IllegalArgumentException("readout must be mean or positions, was " + name);
            };
        }
    }

    private final int dimension;
    private final Readout readout;
    private final int span;
    private final Map<Long, double[][][]> masks = new HashMap<>();

    /**
     * @param span the longest run (CsrTasks' maxLength): the positions W6 reads with {@link Readout#POSITIONS}; a
     *             longer run keeps its latest {@code span} positions
     */
    public SelfAttentionEncoder(int dimension, Readout readout, int span) {
        this.dimension = dimension;
        this.readout = readout;
        this.span = span;
    }

    @Override
    public Params initialise(ParamInit init) {
        Params p = new Params();
        p.put("seq.w3", init.normal(dimension, 1));
        p.put("seq.w4", init.normal(dimension, dimension));
        p.put("seq.w5", init.normal(dimension, dimension));
        // with every position's row read, the weights start span^-1/2 smaller, so s_u starts on the scale MEAN's has
        p.put("seq.w6", readout == Readout.MEAN ? init.normal(2L * dimension, dimension)
                : init.normal(2L * dimension * span, dimension).div(Math.sqrt(span)));
        p.put("seq.b3", init.zeros(dimension));
        return p;
    }

    @Override
    public NDArray encode(Params p, NDArray items, NDArray valid, Scalars s) {
        long length = items.getShape().get(2);
        NDManager m = items.getManager();
        double[][][] mk = masks(length);
        NDArray keys = TaskLinear.apply(items, p.get("seq.w4"), null).expandDims(3);        // W4 i_m [t, r, T, 1, d]
        NDArray queries = TaskLinear.apply(items, p.get("seq.w5"), null).expandDims(2);     // W5 i_n [t, r, 1, T, d]
        NDArray pairs = Activation.sigmoid(keys.add(queries));                               // [t, r, m, n, d]
        NDArray cor = TaskLinear.apply(pairs, p.get("seq.w3"), null).squeeze(-1);           // Eq. 2 [t, r, m, n]
        // padding elements are never attended
        NDArray padding = valid.sub(s.of(1)).mul(s.of(-DistanceMasks.BLOCKED)).expandDims(3);
        NDArray fw = attend(cor, padding, DistanceMasks.tensor(mk[0], m, s.type()),
                DistanceMasks.tensor(mk[2], m, s.type()), items, valid);
        NDArray bw = attend(cor, padding, DistanceMasks.tensor(mk[1], m, s.type()),
                DistanceMasks.tensor(mk[3], m, s.type()), items, valid);
        NDArray rows = fw.concat(bw, -1).mul(valid.expandDims(3));                           // [E^fw, E^bw]
        NDArray read;
        if (readout == Readout.MEAN) {
            NDArray count = valid.sum(new int[] {2}, true).maximum(s.of(1));                 // [t, r, 1]
            read = rows.sum(new int[] {2}).div(count);                                       // [t, r, 2d]
        } else {
            read = lastPositions(rows).reshape(rows.getShape().get(0), rows.getShape().get(1), -1); // [t, r, span*2d]
        }
        return Layers.relu(TaskLinear.apply(read, p.get("seq.w6"), p.get("seq.b3")));       // Eq. 8
    }

    /** [t, r, T, 2d] -> [t, r, span, 2d]: zero rows added on the left (as runs are padded), or the latest kept. */
    private NDArray lastPositions(NDArray rows) {
        Shape shape = rows.getShape();
        long length = shape.get(2);
        if (length == span) {
            return rows;
        }
        if (length > span) {
            return rows.get(":, :, " + (length - span) + ":, :");
        }
        return rows.getManager().zeros(new Shape(shape.get(0), shape.get(1), span - length, shape.get(3)),
                rows.getDataType()).concat(rows, 2);
    }

    /** Eq. 5-7 for one direction: [t, r, n, d], zero where nothing may be attended. */
    private static NDArray attend(NDArray cor, NDArray padding, NDArray mask, NDArray allowed, NDArray items,
                                  NDArray valid) {
        NDArray att = cor.add(mask).add(padding).softmax(2);                                // over m
        NDArray out = att.transpose(0, 1, 3, 2).matMul(items);                               // [t, r, n, d]
        NDArray any = valid.matMul(allowed).gt(0).toType(items.getDataType(), false);       // [t, r, n]
        return out.mul(any.expandDims(3));
    }

    private synchronized double[][][] masks(long length) {
        return masks.computeIfAbsent(length, n -> {
            double[][] fw = DistanceMasks.forward(n.intValue());
            double[][] bw = DistanceMasks.backward(n.intValue());
            return new double[][][] {fw, bw, DistanceMasks.allowed(fw), DistanceMasks.allowed(bw)};
        });
    }
}
