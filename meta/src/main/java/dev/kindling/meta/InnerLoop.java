package dev.kindling.meta;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MAML's local update (MML Eq. 18): J steps of gradient descent on a task's support positions, adapting Theta (the
 * learner's adapted parameters) while Gamma (item embeddings) stays global. The learning rate is a tensor so that it
 * can be a user's own rate (PAML), differentiable when the rate is learned.
 */
public final class InnerLoop {
    private final SequenceLearner learner;
    private final int steps;

    public InnerLoop(SequenceLearner learner, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("inner steps must not be negative, was " + steps);
        }
        this.learner = learner;
        this.steps = steps;
    }

    public int steps() {
        return steps;
    }

    /**
     * Adapted parameters for the query pass.
     *
     * @param theta the adapted Theta to run the query loss with
     * @param probe for first-order adaptation, zero-valued leaves added to theta: after the query backward their
     *              gradients are d L_q / d theta_J, the first-order meta-gradient of Theta; null for exact adaptation,
     *              where the gradient reaches the global Theta itself
     * @param firstGradientNormSquared ||dL_support/dTheta||^2 at the global Theta (first-order only; REG-PAML's
     *              regulariser uses it), 0 when there were no steps or the adaptation was exact
     */
    public record Adaptation(Params theta, Params probe, double firstGradientNormSquared) {
        public Adaptation(Params theta, Params probe) {
            this(theta, probe, 0);
        }
    }

    /**
     * First-order adaptation (what the MML authors' code does): gradients of the inner steps are treated as
     * constants. The returned Theta is theta_0 - rate * (g_1 + ... + g_J) + x, where theta_0 is a detached copy of the
     * global Theta, the g_j are detached and x is the zero-valued probe; gradient flows from it to the probe and to
     * {@code rate} (PAML learns the rate through it).
     *
     * @param global  all parameters (Theta and Gamma)
     * @param support the task's support positions (weights on the support targets)
     * @param rate    the inner learning rate, a scalar tensor (may carry a graph, e.g. PAML's alpha(h_i))
     * @param manager owns the task's temporary arrays
     */
    public Adaptation adaptFirstOrder(Params global, SequenceBatch support, NDArray rate, boolean training, Scalars s,
                                  NDManager manager) {
        Params theta = global.select(learner::adapted);
        Params gamma = global.select(n -> !learner.adapted(n)).detached();
        Params start = theta.leafCopy(manager);
        Params current = start;
        Map<String, NDArray> sum = new LinkedHashMap<>();
        double firstNorm = 0;
        for (int j = 0; j < steps; j++) {
            NDArray loss = learner.loss(gamma.with(current), support, training, s);
            Autograd.backward(loss, false, false);
            Params grads = current.gradients(manager);
            Params next = new Params();
            for (String name : current.names()) {
                NDArray g = grads.get(name);
                if (j == 0) {
                    firstNorm += g.square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                }
                sum.merge(name, g, NDArray::add);
                next.put(name, current.get(name).stopGradient().sub(g.mul(rate.stopGradient())));
            }
            current = next.leafCopy(manager);
        }
        // theta_J = theta_0 - rate * sum_j g_j (+ probe): the values of the loop above, the rate kept in the graph.
        Params probe = zeroLeaves(start, manager);
        Params adapted = new Params();
        for (String name : start.names()) {
            NDArray value = start.get(name).stopGradient();
            if (steps > 0) {
                value = value.sub(sum.get(name).mul(rate));
            }
            adapted.put(name, value.add(probe.get(name)));
        }
        return new Adaptation(adapted, probe, firstNorm);
    }

    /**
     * Adaptation whose result is only ranked with (serving, evaluation), never differentiated: the same J steps of
     * Eq. 18, theta_{j+1} = theta_j - rate * grad L_support(theta_j), updated in place on one leaf copy of Theta, with
     * none of the bookkeeping a meta-gradient needs (no gradient sums, probes or per-step copies). Gives the values of
     * {@link #adaptFirstOrder} with far fewer tensor operations.
     *
     * @param rate a detached scalar tensor
     * @return the adapted Theta, detached leaves owned by {@code manager}
     */
    public Params adaptForRanking(Params global, SequenceBatch support, NDArray rate, Scalars s, NDManager manager) {
        return adaptForRanking(global, support, rate, new int[] {steps}, s, manager).get(0);
    }

    /**
     * {@link #adaptForRanking} once, with Theta kept after each of the given step counts (ascending, at most this
     * loop's steps; 0 is the global Theta): what several settings of J would give, for the cost of the largest.
     */
    public List<Params> adaptForRanking(Params global, SequenceBatch support, NDArray rate, int[] checkpoints,
                                        Scalars s, NDManager manager) {
        Params gamma = global.select(n -> !learner.adapted(n)).detached();
        Params current = global.select(learner::adapted).leafCopy(manager);
        List<Params> out = new ArrayList<>();
        int done = 0;
        for (int c = 0; c < checkpoints.length; c++) {
            if (checkpoints[c] < done || checkpoints[c] > steps) {
                throw new IllegalArgumentException("checkpoints must ascend within 0.." + steps + ", got "
                        + java.util.Arrays.toString(checkpoints));
            }
            for (; done < checkpoints[c]; done++) {
                NDArray loss = learner.loss(gamma.with(current), support, false, s);
                Autograd.backward(loss, false, false);
                Autograd.withoutRecording(() -> {
                    for (NDArray p : current.asMap().values()) {
                        p.subi(p.getGradient().muli(rate));
                        Autograd.zeroGradient(p);
                    }
                });
            }
            // the last checkpoint hands over the live copy; earlier ones are copied before it changes again
            out.add(c == checkpoints.length - 1 ? current.detached() : current.leafCopy(manager).detached());
        }
        return out;
    }

    private static Params zeroLeaves(Params like, NDManager manager) {
        Params out = new Params();
        for (String name : like.names()) {
            NDArray x = like.get(name).zerosLike().stopGradient();
            x.attach(manager);
            x.setRequiresGradient(true);
            out.put(name, x);
        }
        return out;
    }

    /**
     * Exact (second-order) adaptation: the adapted Theta stays a differentiable function of the global Theta (and of
     * the rate), so back-propagating a query loss through it gives the exact MAML meta-gradient. Each step's gradient
     * is taken at theta_j through a zero-valued leaf x_j (d L / d x_j at x_j = 0 is grad L(theta_j)) with the backward
     * pass recorded. libtorch then keeps a parameter-gradient reference cycle, so memory grows per task
     * (../shared/notes/djl-offline.md): use this for checks and small runs, first-order for long training.
     */
    public Adaptation adaptSecondOrder(Params global, SequenceBatch support, NDArray rate, boolean training, Scalars s,
                                   NDManager manager) {
        // Gamma is not adapted, but theta_J depends on it through the support gradients: keep that path too.
        Params gamma = global.select(n -> !learner.adapted(n));
        Params current = global.select(learner::adapted);
        for (int j = 0; j < steps; j++) {
            Params probe = zeroLeaves(current, manager);
            Params shifted = new Params();
            for (String name : current.names()) {
                shifted.put(name, current.get(name).add(probe.get(name)));
            }
            NDArray loss = learner.loss(gamma.with(shifted), support, training, s);
            Autograd.backward(loss, true, true);
            Params next = new Params();
            for (String name : current.names()) {
                next.put(name, current.get(name).sub(probe.get(name).getGradient().mul(rate)));
            }
            current = next;
        }
        return new Adaptation(current, null);
    }
}
