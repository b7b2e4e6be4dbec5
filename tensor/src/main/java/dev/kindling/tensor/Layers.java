package dev.kindling.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/** Stateless layers as functions of explicit parameters. */
public final class Layers {
    private Layers() {
    }

    /** x W + b, with W of shape [in, out]; b may be null. */
    public static NDArray linear(NDArray x, NDArray w, NDArray b) {
        NDArray y = x.matMul(w);
        return b == null ? y : y.add(b);
    }

    /**
     * Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, eps 1e-12 (SASRec's), as
     * libtorch's single fused op (one call instead of nine, differentiable twice).
     */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, Scalars s) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)), gamma,
                beta, 1e-12f).singletonOrThrow();
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
        NDArray keep = x.getManager().randomUniform(0f, 1f, x.getShape()).gte(s.of(p).toType(DataType.FLOAT32, false))
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
}
