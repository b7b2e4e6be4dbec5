package dev.kindling.tensor;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;

/**
 * Stateless layers as functions of explicit parameters.
 *
 * <p>Parameters may be per sequence: a weight with one more leading axis than usual, of the batch's size, holds one
 * copy for each sequence of the batch (MAML adapting a batch of tasks at once, each task its own copy of Theta).
 */
public final class Layers {
    private Layers() {
    }

    /**
     * x W + b, with W of shape [in, out] (b [out], may be null), or per sequence W [batch, in, out] (b [batch, out])
     * with x [batch, ..., in].
     */
    public static NDArray linear(NDArray x, NDArray w, NDArray b) {
        NDArray y = x.matMul(w);
        if (b == null) {
            return y;
        }
        return perSequence(w, 2) ? y.add(alignedTo(b, y)) : y.add(b);
    }

    /** Whether a parameter whose usual rank is {@code rank} carries a leading per-sequence axis. */
    public static boolean perSequence(NDArray parameter, int rank) {
        return parameter.getShape().dimension() == rank + 1;
    }

    /** A per-sequence vector [batch, d] shaped [batch, 1, ..., 1, d] to broadcast over x's middle axes. */
    private static NDArray alignedTo(NDArray perSequence, NDArray x) {
        long[] shape = new long[x.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = perSequence.getShape().get(0);
        shape[shape.length - 1] = perSequence.getShape().get(1);
        return perSequence.reshape(new Shape(shape));
    }

    /**
     * Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, eps 1e-12 (SASRec's), as
     * libtorch's single fused op (one call instead of nine, differentiable twice).
     */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, Scalars s) {
        Shape last = new Shape(x.getShape().get(x.getShape().dimension() - 1));
        if (perSequence(gamma, 1)) {
            // the fused op takes one gain for the whole batch: normalise with unit gain, then apply each sequence's own
            NDArray unit = LayerNorm.layerNorm(x, last, s.ones(last), s.zeros(last), 1e-12f)
                    .singletonOrThrow();
            return unit.mul(alignedTo(gamma, unit)).add(alignedTo(beta, unit));
        }
        return LayerNorm.layerNorm(x, last, gamma, beta, 1e-12f).singletonOrThrow();
    }

    public static NDArray relu(NDArray x) {
        return Activation.relu(x);
    }

    /**
     * Inverted dropout: zeroes each entry with probability p and scales the rest by 1/(1-p); the identity when not
     * training or p = 0.
     */
    public static NDArray dropout(NDArray x, double p, boolean training, Scalars s) {
        if (!training || p <= 0) {
            return x;
        }
        NDArray keep = RandomDraws.uniform(x.getManager(), x.getShape()).gte(s.of(p).toType(DataType.FLOAT32, false))
                .toType(x.getDataType(), false);
        return x.mul(keep).mul(s.of(1.0 / (1.0 - p)));
    }

    /** Rows of an embedding table: table [rows, d], ids int64 of any shape -> [..., d]. */
    public static NDArray embedding(NDArray table, NDArray ids) {
        return table.get(ids);
    }

    /** BPR loss (Rendle et al.), mean over pairs: -log sigmoid(pos - neg) = softplus(neg - pos). */
    public static NDArray bprLoss(NDArray positive, NDArray negative) {
        return Activation.softPlus(negative.sub(positive)).mean();
    }

    /** Mean cross-entropy of logits [m, c] against target indices [m]. */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        NDArray logProbs = logits.logSoftmax(-1);
        return logProbs.gather(targets.reshape(-1, 1), 1).neg().mean();
    }

    /**
     * Cross-entropy of several targets per row: logits [b, c], targets [b, W] (item indices), weights [b, W] (1 for a
     * target, 0 for padding); the weighted mean of -log softmax over the targets.
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets, NDArray weights) {
        NDArray logProbs = logits.logSoftmax(-1).gather(targets, 1);
        return logProbs.mul(weights).sum().neg().div(weights.sum());
    }
}
