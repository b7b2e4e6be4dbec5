package dev.kindling.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multi-head scaled dot-product self-attention over explicit parameters (SASRec's attention; with a bias it is MML's
 * feature-aware attention, Eq. 1, 2 and 4): head_i = softmax((Q_i K_i^T + B_i) / sqrt(d/h) + mask) V_i, outputs
 * concatenated and projected by W^O.
 *
 * <p>Parameters under {@code prefix}: {@code .wq .bq .wk .bk .wv .bv .wo .bo}, each weight [d, d].
 */
public final class SelfAttention {
    private SelfAttention() {
    }

    /**
     * @param x        input [batch, n, d]
     * @param heads    number of heads h (d divisible by h)
     * @param bias     additive attention bias [batch, h, n, n] (Eq. 4's B), or null for vanilla attention
     * @param mask     additive mask broadcastable to [batch, h, n, n]: 0 where attending is allowed, a large negative
     *                 number elsewhere (future positions, padding)
     * @param dropout  attention-probability dropout
     * @return [batch, n, d]
     */
    public static NDArray forward(NDArray x, Params p, String prefix, int heads, NDArray bias, NDArray mask,
                                  double dropout, boolean training, Scalars s) {
        Shape shape = x.getShape();
        long batch = shape.get(0);
        long n = shape.get(1);
        long d = shape.get(2);
        if (d % heads != 0) {
            throw new IllegalArgumentException("hidden size " + d + " is not divisible by " + heads + " heads");
        }
        long dk = d / heads;
        NDArray q = split(Layers.linear(x, p.get(prefix + ".wq"), p.get(prefix + ".bq")), batch, n, heads, dk);
        NDArray k = split(Layers.linear(x, p.get(prefix + ".wk"), p.get(prefix + ".bk")), batch, n, heads, dk);
        NDArray v = split(Layers.linear(x, p.get(prefix + ".wv"), p.get(prefix + ".bv")), batch, n, heads, dk);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (bias != null) {
            scores = scores.add(bias);
        }
        // Eq. 4: (Q K^T + B) / sqrt(d/h); the mask after scaling keeps masked logits far below the rest.
        scores = scores.mul(s.of(1.0 / Math.sqrt(dk))).add(mask);
        NDArray probs = Layers.dropout(scores.softmax(-1), dropout, training, s);
        NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, n, d);
        // Eq. 1: [head_1, ..., head_h] W^O
        return Layers.linear(context, p.get(prefix + ".wo"), p.get(prefix + ".bo"));
    }

    /**
     * What the last row of causal self-attention over {@code [prefix; appended_c]} gives, for C appended positions at
     * once that share one prefix: each appended position attends every prefix position and itself, the prefix's keys
     * and values computed once instead of once per row (vanilla attention, no dropout: for inference).
     *
     * @param prefix   the shared positions [1, n, d]
     * @param appended one position after the prefix per row [C, 1, d]
     * @return the appended positions' attention output [C, 1, d]
     */
    public static NDArray forwardAppended(NDArray prefix, NDArray appended, Params p, String name, int heads,
                                         Scalars s) {
        long n = prefix.getShape().get(1);
        long rows = appended.getShape().get(0);
        long d = appended.getShape().get(2);
        long dk = d / heads;
        NDArray kp = split(Layers.linear(prefix, p.get(name + ".wk"), p.get(name + ".bk")), 1, n, heads, dk);
        NDArray vp = split(Layers.linear(prefix, p.get(name + ".wv"), p.get(name + ".bv")), 1, n, heads, dk);
        NDArray q = split(Layers.linear(appended, p.get(name + ".wq"), p.get(name + ".bq")), rows, 1, heads, dk);
        NDArray k = split(Layers.linear(appended, p.get(name + ".wk"), p.get(name + ".bk")), rows, 1, heads, dk);
        NDArray v = split(Layers.linear(appended, p.get(name + ".wv"), p.get(name + ".bv")), rows, 1, heads, dk);
        // [C, h, 1, n] against the prefix (broadcast over the rows), [C, h, 1, 1] against itself
        NDArray scores = q.matMul(kp.transpose(0, 1, 3, 2)).concat(q.mul(k).sum(new int[] {3}, true), 3)
                .mul(s.of(1.0 / Math.sqrt(dk)));
        NDArray probs = scores.softmax(-1);
        NDArray context = probs.get(":, :, :, 0:" + n).matMul(vp).add(probs.get(":, :, :, " + n + ":").mul(v))
                .transpose(0, 2, 1, 3).reshape(rows, 1, d);
        return Layers.linear(context, p.get(name + ".wo"), p.get(name + ".bo"));
    }

    private static NDArray split(NDArray x, long batch, long n, long heads, long dk) {
        return x.reshape(batch, n, heads, dk).transpose(0, 2, 1, 3);
    }
}
