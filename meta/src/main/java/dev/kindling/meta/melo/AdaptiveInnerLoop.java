package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MAML's and MELO's inner loop for rating tasks and their meta-gradients, a batch of tasks at once (one copy of theta
 * per row). Every backbone parameter is adapted (MELO Eq. 1, or Eq. 4 with MELO's weights), with MAML++-style
 * learnable rates, one per parameter tensor and step ({@code "<step>.<parameter>"}).
 *
 * <p><b>Meta-gradients without second-order autograd.</b> DJL's create-graph backward leaks (see
 * ../shared/notes/djl-offline.md), and the weighting model's parameters phi reach the query loss only through the
 * inner update, so first-order MAML would give them exactly zero. Instead the J steps are differentiated in reverse
 * by hand: theta_{j+1} = theta_j - alpha_j (.) G_j, G_j = sum_t (gamma_t m_t / N) grad loss_t(theta_j) (Eq. 4; m_t the
 * support mask, N the support size). With v_J = grad L_Q(theta_J) and, going back, u_j = alpha_j (.) v_{j+1}:
 * <ul>
 *   <li>v_j = v_{j+1} - H_j u_j, H_j the inner loss's Hessian at theta_j: a Hessian-vector product by central
 *   differences of two gradients (the backbone's meta-gradient v_0 is then MAML's exact second-order one, Eq. 2);</li>
 *   <li>dL_Q/dalpha_{j,k} = -&lt;v_{j+1,k}, G_{j,k}&gt; for the rate of tensor k at step j;</li>
 *   <li>dL_Q/dgamma_t = -(m_t / N) sum_j &lt;u_j, grad loss_t(theta_j)&gt;; each inner product is a central difference
 *   of loss_t along u_j, which two forward passes give for every position at once; then one backward of
 *   sum_t gamma_t * dL_Q/dgamma_t (the latter a constant) into phi (Eq. 3).</li>
 * </ul>
 * Exact up to the central differences' O(e^2) (float64 tests match finite differences of the whole objective to
 * 1e-7); each step costs two extra forward-backward passes (the Hessian product) and, for MELO, two forward passes.
 * Dropping the Hessian products (first-order along the path) was tried first: it is close for small rates (cosine
 * 0.99998 at alpha = 0.1) but points the wrong way once alpha H is large (cosine -0.997 at alpha = 0.5).
 */
public final class AdaptiveInnerLoop {
    private final RatingBackbone backbone;
    private final LossWeights weights;
    private final int steps;

    /**
     * @param weights MELO's weighting model, or null for MAML (every support position weighted 1)
     * @param steps   inner steps J
     */
    public AdaptiveInnerLoop(RatingBackbone backbone, LossWeights weights, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("inner steps must be at least 1, was " + steps);
        }
        this.backbone = backbone;
        this.weights = weights;
        this.steps = steps;
    }

    public int steps() {
        return steps;
    }

    /** The meta-gradients of a batch and its mean query loss (the mean over rows of each row's mean over positions). */
    public record MetaGradients(Params theta, Params phi, Params rates, double queryLoss) {
    }

    /** Inner rates, one per backbone tensor and step, all {@code initial}. */
    public Params initialRates(Params theta, double initial, NDManager manager, DataType type) {
        ParamInit init = new ParamInit(manager, type, 0, 0);
        Params rates = new Params();
        for (int j = 0; j < steps; j++) {
            for (String name : theta.names()) {
                rates.put(j + "." + name, init.full(initial));
            }
        }
        return rates;
    }

    /** Squared errors of the predictions against rating / 5 at every position [rows, n]. */
    NDArray squaredErrors(Params theta, RatingBatch batch, Scalars s) {
        return backbone.predict(theta, batch.items(), s).sub(batch.targets()).square();
    }

    /** Each position's weight in the inner loss [rows, n]: gamma_t m_t / N (Eq. 4), constant. */
    private NDArray supportWeights(NDArray gamma, RatingBatch batch) {
        NDArray count = batch.support().sum(new int[] {1}, true).maximum(1);
        return gamma.stopGradient().mul(batch.support()).div(count);
    }

    /** The query positions' weights [rows, n]: 1 / (rows * query size), so the sum is the mean of the rows' means. */
    private static NDArray queryWeights(RatingBatch batch) {
        NDArray count = batch.query().sum(new int[] {1}, true).maximum(1);
        return batch.query().div(count).div(batch.rows());
    }

    /** MELO's gamma [rows, n] (recorded, when phi records gradients), or ones for MAML. */
    NDArray gammas(Params phi, RatingBatch batch, Scalars s) {
        return weights == null ? batch.support().onesLike() : weights.gammas(phi, batch.codes(), s);
    }

    /**
     * The meta-gradients of a batch of tasks (see the class comment).
     *
     * @param global the backbone's parameters (not modified; no gradient is collected on them)
     * @param phi    the weighting model's parameters (recording gradients), or null for MAML
     * @param rates  the inner rates
     * @param manager owns the step's arrays (close it after the optimiser step)
     */
    public MetaGradients metaGradients(Params global, Params phi, Params rates, RatingBatch batch, Scalars s,
                                       NDManager manager) {
        int rows = (int) batch.rows();
        NDArray gamma = gammas(phi, batch, s);
        NDArray w = supportWeights(gamma, batch);
        List<Params> thetas = new ArrayList<>();
        List<Params> supportGradients = new ArrayList<>();
        Params current = perRow(global, rows).leafCopy(manager);
        for (int j = 0; j < steps; j++) {
            NDArray loss = squaredErrors(current, batch, s).mul(w).sum();   // Eq. 4's inner loss, summed over rows
            Autograd.backward(loss, false, false);
            Params g = current.gradients(manager);
            thetas.add(current.detached());
            supportGradients.add(g);
            current = descend(current, g, rates, j).leafCopy(manager);
        }
        NDArray queryLoss = squaredErrors(current, batch, s).mul(queryWeights(batch)).sum();
        Autograd.backward(queryLoss, false, false);
        Params v = current.gradients(manager);
        double lossValue = queryLoss.toType(DataType.FLOAT64, false).getDouble();

        // Reverse mode through the J steps: v is dL_Q/dtheta_{j+1}; theta_{j+1} = theta_j - alpha_j (.) G_j(theta_j)
        // gives dL_Q/dtheta_j = v - H_j (alpha_j (.) v) (H_j the inner loss's Hessian at theta_j, a Hessian-vector
        // product by central differences of gradients), dL_Q/dalpha_{j,k} = -<v_k, G_{j,k}>, and
        // dL_Q/dgamma_t += -(m_t / N) <alpha_j (.) v, grad loss_t(theta_j)>.
        Params rateGradients = new Params();
        NDArray dGamma = null;
        for (int j = steps - 1; j >= 0; j--) {
            Params u = scaled(v, rates, j);
            for (String name : global.names()) {
                rateGradients.put(j + "." + name, v.get(name).mul(supportGradients.get(j).get(name)).sum().neg());
            }
            if (phi != null) {
                NDArray inner = directionalDerivatives(thetas.get(j), u, batch, s);
                dGamma = dGamma == null ? inner : dGamma.add(inner);
            }
            Params hu = hessianTimes(thetas.get(j), u, w, batch, s, manager);
            Params next = new Params();
            for (String name : global.names()) {
                next.put(name, v.get(name).sub(hu.get(name)));
            }
            v = next;
        }
        Params ordered = new Params();
        for (int j = 0; j < steps; j++) {
            for (String name : global.names()) {
                ordered.put(j + "." + name, rateGradients.get(j + "." + name));
            }
        }
        rateGradients = ordered;
        Params thetaGradients = new Params();
        for (String name : global.names()) {
            thetaGradients.put(name, v.get(name).sum(new int[] {0}));   // Eq. 2: the sum of the rows' dL_Q/dtheta_0
        }
        Params phiGradients = null;
        if (phi != null) {
            NDArray count = batch.support().sum(new int[] {1}, true).maximum(1);
            dGamma = dGamma.mul(batch.support()).div(count).neg();   // dL_Q/dgamma_t
            Autograd.backward(gamma.mul(dGamma.stopGradient()).sum(), false, false);   // into phi (Eq. 3)
            phiGradients = phi.gradients(manager);
            for (NDArray p : phi.asMap().values()) {
                Autograd.zeroGradient(p);
            }
        }
        return new MetaGradients(thetaGradients, phiGradients, rateGradients, lossValue);
    }

    /**
     * &lt;u, grad loss_t(theta)&gt; for every row and position [rows, n], by central differences along each row's u
     * with a step of {@code h / ||u_row||} (h = 1e-2 in float32, 1e-5 in float64).
     */
    NDArray directionalDerivatives(Params theta, Params u, RatingBatch batch, Scalars s) {
        int rows = (int) batch.rows();
        NDArray e = steps(u, batch, s);   // [rows], no graph: recording is off below
        boolean was = Autograd.recording();
        Autograd.record(false);
        try {
            Params plus = new Params();
            Params minus = new Params();
            for (String name : theta.names()) {
                NDArray step = u.get(name).mul(perRowShape(e, u.get(name)));
                plus.put(name, theta.get(name).add(step));
                minus.put(name, theta.get(name).sub(step));
            }
            NDArray difference = squaredErrors(plus, batch, s).sub(squaredErrors(minus, batch, s));
            return difference.div(e.mul(2).reshape(rows, 1));
        } finally {
            Autograd.record(was);
        }
    }

    /**
     * H u per row: the Hessian of the weighted inner loss (weights {@code w}) at theta times u, by central differences
     * of its gradient along each row's u, with the step of {@link #directionalDerivatives}.
     */
    Params hessianTimes(Params theta, Params u, NDArray w, RatingBatch batch, Scalars s, NDManager manager) {
        NDArray e = steps(u, batch, s);
        Params plus = new Params();
        Params minus = new Params();
        for (String name : theta.names()) {
            NDArray step = u.get(name).mul(perRowShape(e, u.get(name)));
            plus.put(name, theta.get(name).add(step));
            minus.put(name, theta.get(name).sub(step));
        }
        Params gPlus = gradient(plus, w, batch, s, manager);
        Params gMinus = gradient(minus, w, batch, s, manager);
        Params out = new Params();
        for (String name : theta.names()) {
            out.put(name, gPlus.get(name).sub(gMinus.get(name)).div(perRowShape(e.mul(2), u.get(name))));
        }
        return out;
    }

    /** The gradient of the weighted inner loss at the given (per-row) parameters. */
    private Params gradient(Params at, NDArray w, RatingBatch batch, Scalars s, NDManager manager) {
        Params leaves = at.leafCopy(manager);
        Autograd.backward(squaredErrors(leaves, batch, s).mul(w).sum(), false, false);
        return leaves.gradients(manager);
    }

    /** Each row's finite-difference step along u [rows]: h / ||u_row|| (h = 1e-2 in float32, 1e-5 in float64). */
    private static NDArray steps(Params u, RatingBatch batch, Scalars s) {
        int rows = (int) batch.rows();
        NDArray normSquared = null;
        for (NDArray a : u.asMap().values()) {
            NDArray r = a.stopGradient().square().reshape(rows, -1).sum(new int[] {1});   // a constant: no graph
            normSquared = normSquared == null ? r : normSquared.add(r);
        }
        double h = s.type() == DataType.FLOAT64 ? 1e-5 : 1e-2;
        return normSquared.sqrt().add(1e-30).pow(-1).mul(h);
    }

    /**
     * Adapted parameters for prediction (evaluation, serving): the same J steps of Eq. 4, no meta-gradient
     * bookkeeping. Returns per-row leaves owned by {@code manager}, detached.
     */
    public Params adapt(Params global, Params phi, Params rates, RatingBatch batch, Scalars s, NDManager manager) {
        return adaptFrom(perRow(global, (int) batch.rows()), phi, rates, batch, s, manager);
    }

    /**
     * {@link #adapt} for a batch of one task (serving one user): the same steps on one plain copy of theta, without
     * the per-row axis (fewer and smaller operations). Returns detached leaves owned by {@code manager}.
     */
    public Params adaptOne(Params global, Params phi, Params rates, RatingBatch batch, Scalars s, NDManager manager) {
        if (batch.rows() != 1) {
            throw new IllegalArgumentException("adaptOne adapts one task, the batch has " + batch.rows());
        }
        return adaptFrom(global, phi, rates, batch, s, manager);
    }

    /** The J steps of Eq. 4 from {@code start} (per row, or plain for a batch of one). */
    private Params adaptFrom(Params start, Params phi, Params rates, RatingBatch batch, Scalars s, NDManager manager) {
        NDArray gamma;
        boolean was = Autograd.recording();
        Autograd.record(false);
        try {
            gamma = gammas(phi == null ? null : phi.detached(), batch, s);
        } finally {
            Autograd.record(was);
        }
        NDArray w = supportWeights(gamma, batch);
        Params current = start.leafCopy(manager);
        for (int j = 0; j < steps; j++) {
            NDArray loss = squaredErrors(current, batch, s).mul(w).sum();
            Autograd.backward(loss, false, false);
            int step = j;
            Autograd.withoutRecording(() -> current.asMap().forEach((name, p) -> {
                // Eq. 4's step in place on the leaf copy: theta_j - alpha_{j,k} g_k
                p.subi(p.getGradient().muli(rates.get(step + "." + name).stopGradient()));
                Autograd.zeroGradient(p);
            }));
        }
        return current.detached();
    }

    /** theta_j - alpha_{j,k} g_k per tensor k (Eq. 1 / Eq. 4), detached. */
    private static Params descend(Params theta, Params g, Params rates, int j) {
        Params next = new Params();
        for (String name : theta.names()) {
            next.put(name, theta.get(name).stopGradient().sub(g.get(name).mul(rates.get(j + "." + name)
                    .stopGradient())));
        }
        return next;
    }

    /** alpha_j (.) V per tensor. */
    private static Params scaled(Params v, Params rates, int j) {
        Params out = new Params();
        for (String name : v.names()) {
            out.put(name, v.get(name).mul(rates.get(j + "." + name).stopGradient()));
        }
        return out;
    }

    /** One copy of each parameter per row [rows, ...] (still tied to the global values). */
    static Params perRow(Params theta, int rows) {
        Params out = new Params();
        for (String name : theta.names()) {
            out.put(name, theta.get(name).expandDims(0).repeat(0, rows));
        }
        return out;
    }

    /** A per-row vector [rows] shaped [rows, 1, ..., 1] to scale a per-row parameter. */
    private static NDArray perRowShape(NDArray perRow, NDArray parameter) {
        long[] shape = new long[parameter.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = perRow.getShape().get(0);
        return perRow.reshape(new Shape(shape));
    }
}
