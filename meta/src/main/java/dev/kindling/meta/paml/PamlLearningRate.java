package dev.kindling.meta.paml;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * PAML's personalised inner learning rate (approximated tree-based PAML, with the vector index in place of the
 * kd-tree): alpha(h_i) = alpha'(h_i) + sum_k s_k alpha(h_k) / (sum_j s_j + sigma), s_k = exp(-delta ||h_i - h_k||^2),
 * where the h_k are the K nearest users already seen and alpha' is a small MLP of the user embedding h_i (two layers
 * with ReLU; a softplus keeps it positive).
 *
 * <p>Parameters: {@code paml.w1 [d, hidden], paml.b1, paml.w2 [hidden, 1], paml.b2}; b2 starts where alpha' equals the
 * base rate.
 */
public final class PamlLearningRate {
    /** sigma in the denominator (PAML uses 1e-5). */
    static final double SIGMA = 1e-5;

    private final int hidden;
    private final double delta;
    private final double baseRate;

    /**
     * @param hidden   the MLP's hidden size
     * @param delta    the Gaussian kernel's delta
     * @param baseRate alpha' at initialisation
     */
    public PamlLearningRate(int hidden, double delta, double baseRate) {
        if (baseRate <= 0 || delta <= 0) {
            throw new IllegalArgumentException("baseRate and delta must be positive");
        }
        this.hidden = hidden;
        this.delta = delta;
        this.baseRate = baseRate;
    }

    /** A neighbour user: its id, embedding and learning rate. */
    public record Neighbour(String userId, float[] embedding, double rate) {
    }

    /** s_k = exp(-delta ||h_i - h_k||^2), the kernel weight of a neighbour (PAML Eq. 1). */
    public double similarity(float[] h, Neighbour n) {
        double d2 = 0;
        for (int i = 0; i < h.length; i++) {
            double diff = h[i] - n.embedding()[i];
            d2 += diff * diff;
        }
        return Math.exp(-delta * d2);
    }

    public Params initialise(int userDimension, NDManager manager, DataType type, long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.02);
        Params p = new Params();
        p.put("paml.w1", init.normal(userDimension, hidden));
        p.put("paml.b1", init.zeros(hidden));
        p.put("paml.w2", init.normal(hidden, 1));
        p.put("paml.b2", init.full(Math.log(Math.expm1(baseRate)), 1)); // softplus(b2) = baseRate
        return p;
    }

    /**
     * The rate for user embedding h [d]: a scalar tensor, differentiable in the MLP's parameters (h itself is taken
     * as given).
     */
    public NDArray rate(Params p, NDArray h, List<Neighbour> neighbours, Scalars s) {
        NDArray x = h.stopGradient().reshape(1, -1);
        NDArray own = Activation.softPlus(Layers.linear(Layers.relu(Layers.linear(x, p.get("paml.w1"), p.get("paml.b1"))),
                p.get("paml.w2"), p.get("paml.b2"))).reshape(new Shape());
        if (neighbours.isEmpty()) {
            return own;
        }
        float[] hv = x.toType(DataType.FLOAT32, false).toFloatArray();
        double weighted = 0;
        double total = 0;
        for (Neighbour n : neighbours) {
            double sk = similarity(hv, n);
            weighted += sk * n.rate();
            total += sk;
        }
        // The neighbours' term is a constant for this user (their rates are stored values).
        return own.add(s.temporary(weighted / (total + SIGMA), h.getManager()));
    }
}
