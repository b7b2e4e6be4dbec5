package dev.kindling.meta.maml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MAML's local update (MML Eq. 18): J steps of gradient descent on a task's support positions, adapting Theta (the
 * learner's adapted parameters) while Gamma (item embeddings) stays global. The learning rate is a tensor so that it
 * can be a user's own rate (PAML), differentiable when the rate is learned.
 *
 * <p>A support batch of several rows adapts several tasks at once: each row gets its own copy of Theta (a leading
 * per-sequence axis, see {@link dev.kindling.tensor.Layers}), the loss is the sum of the rows' own losses, so each
 * copy's gradient is its own task's, and the rate may be one per row ([rows]).
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
     * @param theta  the adapted Theta to run the query loss with (per row when {@code perRow})
     * @param probe  for first-order adaptation, zero-valued leaves added to theta: after the query backward their
     *               gradients are d L_q / d theta_J, the first-order meta-gradient of Theta; null for exact adaptation,
     *               where the gradient reaches the global Theta itself
     * @param firstGradientNormSquared per row, ||dL_support/dTheta||^2 at the global Theta [rows] (first-order only;
     *               REG-PAML's regulariser uses it); null when there were no steps or the adaptation was exact
     * @param perRow whether theta and probe carry a leading axis of one copy per row
     * @param path   for first-order adaptation when asked for, each inner step's theta_j and the support gradient
     *               g_j taken there (detached; j = 0..J-1); else empty
     */
    public record Adaptation(Params theta, Params probe, NDArray firstGradientNormSquared, boolean perRow,
                             List<Step> path) {
    }

    /** One inner step of a first-order adaptation: where it started (theta_j) and the gradient it took (g_j). */
    public record Step(Params theta, Params gradient) {
    }

    /**
     * First-order adaptation (what the MML authors' code does): gradients of the inner steps are treated as
     * constants. The returned Theta is theta_0 - rate * (g_1 + ... + g_J) + x, where theta_0 is a detached copy of the
     * global Theta, the g_j are detached and x is the zero-valued probe; gradient flows from it to the probe and to
     * {@code rate} (PAML learns the rate through it).
     *
     * @param global  all parameters (Theta and Gamma)
     * @param support the tasks' support positions (weights on the support targets), one row per task
     * @param rate    the inner learning rate, a scalar or one per row (may carry a graph, e.g. PAML's alpha(h_i))
     * @param manager owns the tasks' temporary arrays
     */
    public Adaptation adaptFirstOrder(Params global, SequenceBatch support, NDArray rate, boolean training, Scalars s,
                                      NDManager manager) {
        return adaptFirstOrder(global, support, rate, training, s, manager, false);
    }

    /**
     * {@link #adaptFirstOrder}, keeping each step's theta_j and g_j in {@link Adaptation#path} when {@code keepPath}
     * (what a meta-gradient through the support weights needs, see {@code melo.NextItemMelo}).
     */
    public Adaptation adaptFirstOrder(Params global, SequenceBatch support, NDArray rate, boolean training, Scalars s,
                                      NDManager manager, boolean keepPath) {
        int rows = (int) support.batchSize();
        Params gamma = global.select(n -> !learner.adapted(n)).detached();
        Params start = perRowLeaves(global.select(learner::adapted), rows, manager);
        Params current = start;
        Params sum = null;
        NDArray firstNorm = null;
        List<Step> path = new ArrayList<>();
        for (int j = 0; j < steps; j++) {
            NDArray loss = learner.sequenceLosses(gamma.with(current), support, training, s).sum();
            Autograd.backward(loss, false, false);
            Params grads = current.gradients(manager);
            if (j == 0) {
                firstNorm = rowNorms(grads, rows);
            }
            if (keepPath) {
                path.add(new Step(current.detached(), grads));
            }
            sum = sum == null ? grads : add(sum, grads);
            current = descend(current, grads, rate.stopGradient(), rows).leafCopy(manager);
        }
        // theta_J = theta_0 - rate * sum_j g_j (+ probe): the values of the loop above, the rate kept in the graph.
        Params probe = zeroLeaves(start, manager);
        Params adapted = new Params();
        Params base = steps > 0 ? descend(start.detached(), sum, rate, rows) : start.detached();
        for (String name : start.names()) {
            adapted.put(name, base.get(name).add(probe.get(name)));
        }
        return new Adaptation(adapted, probe, firstNorm, rows > 1, path);
    }

    /**
     * Adaptation whose result is only ranked with (serving, evaluation), never differentiated: the same J steps of
     * Eq. 18, theta_{j+1} = theta_j - rate * grad L_support(theta_j), updated in place on one leaf copy of Theta, with
     * none of the bookkeeping a meta-gradient needs (no gradient sums, probes or per-step copies). Gives the values of
     * {@link #adaptFirstOrder} with far fewer tensor operations.
     *
     * @param rate a detached scalar tensor
     * @return the adapted Theta, detached leaves owned by {@code manager} (per row when the support has several rows)
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
        int rows = (int) support.batchSize();
        Params gamma = global.select(n -> !learner.adapted(n)).detached();
        Params current = perRowLeaves(global.select(learner::adapted), rows, manager);
        List<Params> out = new ArrayList<>();
        int done = 0;
        for (int c = 0; c < checkpoints.length; c++) {
            if (checkpoints[c] < done || checkpoints[c] > steps) {
                throw new IllegalArgumentException("checkpoints must ascend within 0.." + steps + ", got "
                        + Arrays.toString(checkpoints));
            }
            for (; done < checkpoints[c]; done++) {
                NDArray loss = learner.sequenceLosses(gamma.with(current), support, false, s).sum();
                Autograd.backward(loss, false, false);
                Autograd.withoutRecording(() -> {
                    for (NDArray p : current.asMap().values()) {
                        p.subi(p.getGradient().muli(broadcast(rate, p, rows)));
                        Autograd.zeroGradient(p);
                    }
                });
            }
            // the last checkpoint hands over the live copy; earlier ones are copied before it changes again
            out.add(c == checkpoints.length - 1 ? current.detached() : current.leafCopy(manager).detached());
        }
        return out;
    }

    /** Theta as it is for one row, or one copy per row [rows, ...] (still tied to the global values). */
    static Params perRow(Params theta, int rows) {
        if (rows == 1) {
            return theta;
        }
        Params out = new Params();
        for (String name : theta.names()) {
            NDArray t = theta.get(name);
            out.put(name, t.expandDims(0).repeat(0, rows));
        }
        return out;
    }

    /**
     * {@link #perRow} as leaves that record their gradients, cut from Theta's graph and owned by the manager: for several
     * rows the repeat is the copy (a ranking's batch made a second copy of every adapted tensor before).
     */
    static Params perRowLeaves(Params theta, int rows, NDManager manager) {
        return rows == 1 ? theta.leafCopy(manager) : theta.repeatedLeaves(rows, manager);
    }

    /** A rate as given (scalar) or as one value per row [rows]. */
    static NDArray perRow(NDArray rate, int rows) {
        return rate.getShape().dimension() == 0 ? rate : rate.reshape(rows);
    }

    /** The rate shaped to scale a parameter: a scalar, or per row [rows, 1, ..., 1] against a per-row parameter. */
    private static NDArray broadcast(NDArray rate, NDArray parameter, int rows) {
        if (rate.getShape().dimension() == 0 || rate.getShape().size() == 1 && rows == 1) {
            return rate.getShape().dimension() == 0 ? rate : rate.reshape(new Shape());
        }
        long[] shape = new long[parameter.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = rows;
        return rate.reshape(new Shape(shape));
    }

    /** theta - rate * g, per row when the rate has one value per row. */
    private static Params descend(Params theta, Params g, NDArray rate, int rows) {
        Params next = new Params();
        for (String name : theta.names()) {
            NDArray t = theta.get(name);
            next.put(name, t.stopGradient().sub(g.get(name).mul(broadcast(rate, t, rows))));
        }
        return next;
    }

    private static Params add(Params a, Params b) {
        Params out = new Params();
        for (String name : a.names()) {
            out.put(name, a.get(name).add(b.get(name)));
        }
        return out;
    }

    /** ||g||^2 of each row's gradient [rows] (the whole gradient's for one row), float64 for the sum. */
    private static NDArray rowNorms(Params grads, int rows) {
        NDArray total = null;
        for (NDArray g : grads.asMap().values()) {
            NDArray squared = g.toType(DataType.FLOAT64, false).square();
            NDArray perRow = rows == 1 ? squared.sum().reshape(1) : squared.reshape(rows, -1).sum(new int[] {1});
            total = total == null ? perRow : total.add(perRow);
        }
        return total.toType(grads.asMap().values().iterator().next().getDataType(), false);
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
     * Exact (second-order) adaptation of a one-row task: the adapted Theta stays a differentiable function of the
     * global Theta (and of the rate), so back-propagating a query loss through it gives the exact MAML meta-gradient.
     * Each step's gradient is taken at theta_j through a zero-valued leaf x_j (d L / d x_j at x_j = 0 is
     * grad L(theta_j)) with the backward pass recorded. libtorch then keeps a parameter-gradient reference cycle, so
     * memory grows per task (../shared/notes/djl-offline.md): use this for checks and small runs, first-order for long
     * training.
     */
    public Adaptation adaptSecondOrder(Params global, SequenceBatch support, NDArray rate, boolean training, Scalars s,
                                       NDManager manager) {
        if (support.batchSize() != 1) {
            throw new IllegalArgumentException("exact adaptation runs one task at a time, got " + support.batchSize());
        }
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
        return new Adaptation(current, null, null, false, List.of());
    }
}
