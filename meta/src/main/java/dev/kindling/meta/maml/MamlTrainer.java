package dev.kindling.meta.maml;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MML stage 1 (4.4.2): MAML over tasks, one task per old user. For each task of a batch, the local update adapts
 * Theta on the support positions (Eq. 18); the global update then takes one Adam step on Theta and Gamma with the sum
 * of the query losses' gradients at the adapted parameters (Eq. 19-20).
 */
public final class MamlTrainer {
    private final SequenceLearner learner;
    private final InnerLoop inner;
    private final boolean secondOrder;
    private final Scalars s;

    /**
     * @param secondOrder exact meta-gradients (differentiating through the inner steps) instead of first-order MAML
     */
    public MamlTrainer(SequenceLearner learner, int innerSteps, boolean secondOrder, Scalars s) {
        this.learner = learner;
        this.inner = new InnerLoop(learner, innerSteps);
        this.secondOrder = secondOrder;
        this.s = s;
    }

    /**
     * Tasks adapted together: support and query positions over the same sequence windows, one row per task, and each
     * row's user (null entries when anonymous). With more than one row every task gets its own copy of Theta
     * (per-sequence parameters, see {@link dev.kindling.tensor.Layers}): one pass of tensor operations serves the whole
     * batch of tasks instead of one pass per task.
     */
    public record Task(SequenceBatch support, SequenceBatch query, List<String> userIds) {
        public Task(SequenceBatch support, SequenceBatch query) {
            this(support, query, Collections.nCopies((int) support.batchSize(), (String) null));
        }

        /** One row's task for a known user. */
        public Task forUser(String id) {
            if (rows() != 1) {
                throw new IllegalStateException("forUser names the user of a one-row task; this one has " + rows());
            }
            return new Task(support, query, Collections.singletonList(id));
        }

        /** The user of a one-row task (null when anonymous). */
        public String userId() {
            return userIds.get(0);
        }

        public int rows() {
            return (int) support.batchSize();
        }
    }

    /**
     * The meta-gradient of one task's query loss after adaptation (Eq. 19-20 for a single b), and that loss.
     * Gradients of {@code global} are left zero.
     */
    public Result metaGradient(Params global, Task task, NDArray rate, boolean training, NDManager manager) {
        return metaGradient(global, task, rate, 0, training, manager);
    }

    /**
     * The meta-gradient with REG-PAML's regulariser gamma ||dL_support/dtheta||^2 |rate| added to the query objective
     * (gamma 0: none; it only reaches the rate's own parameters). The returned loss is the query loss alone.
     */
    public Result metaGradient(Params global, Task task, NDArray rate, double regularisation, boolean training,
                               NDManager manager) {
        Params gamma = global.select(n -> !learner.adapted(n));
        zero(global);
        InnerLoop.Adaptation a = secondOrder
                ? inner.adaptSecondOrder(global, task.support(), rate, training, s, manager)
                : inner.adaptFirstOrder(global, task.support(), rate, training, s, manager);
        if (secondOrder) {
            zero(global); // the recorded inner backward passes also reached the global leaves
        }
        // Eq. 19-20: the sum of the tasks' query losses, each at its own adapted Theta
        NDArray loss = learner.sequenceLosses(gamma.with(a.theta()), task.query(), training, s).sum();
        NDArray objective = loss;
        if (regularisation > 0 && a.firstGradientNormSquared() != null) {
            // REG-PAML: gamma ||dL_support/dtheta||^2 |alpha(h_i)| per task
            objective = loss.add(InnerLoop.perRow(rate, task.rows()).abs().mul(a.firstGradientNormSquared())
                    .mul(s.temporary(regularisation, manager)).sum());
        }
        Autograd.backward(objective, false, false);
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (String name : global.names()) {
            boolean fromProbe = a.probe() != null && learner.adapted(name);
            NDArray g = (fromProbe ? a.probe().get(name) : global.get(name)).getGradient().stopGradient();
            if (fromProbe && a.perRow()) {
                g = g.sum(new int[] {0}); // each task's copy of Theta: their gradients add up (Eq. 19)
            }
            g = g.duplicate();
            g.attach(manager);
            grads.put(name, g);
        }
        double value = loss.toType(DataType.FLOAT64, false).getDouble();
        zero(global);
        Params out = new Params();
        grads.forEach(out::put);
        return new Result(out, value);
    }

    /** A meta-gradient and the query loss it came from. */
    public record Result(Params gradients, double queryLoss) {
    }

    /**
     * What adaptation does to one task, without dropout: the support and query losses at the global parameters and
     * after the J inner steps. Meta-training is working when adaptation lowers the query loss, not only the support
     * loss (which J steps of descent always lower).
     */
    public record Diagnostics(double supportBefore, double supportAfter, double queryBefore, double queryAfter) {
        public Diagnostics plus(Diagnostics o) {
            return new Diagnostics(supportBefore + o.supportBefore, supportAfter + o.supportAfter,
                    queryBefore + o.queryBefore, queryAfter + o.queryAfter);
        }

        public Diagnostics over(int count) {
            int c = Math.max(1, count);
            return new Diagnostics(supportBefore / c, supportAfter / c, queryBefore / c, queryAfter / c);
        }

        @Override
        public String toString() {
            return String.format("support loss %.4f -> %.4f, query loss %.4f -> %.4f", supportBefore, supportAfter,
                    queryBefore, queryAfter);
        }
    }

    /**
     * The losses of {@link Diagnostics} summed over a task's rows (an adaptation by value; the global parameters keep
     * no gradient).
     */
    public Diagnostics diagnose(Params global, Task task, NDArray rate, NDManager manager) {
        Params detached = global.detached();
        Params gamma = detached.select(n -> !learner.adapted(n));
        Params adapted = gamma.with(inner.adaptForRanking(detached, task.support(), rate.stopGradient(), s, manager));
        double[] v = new double[4];
        Autograd.withoutRecording(() -> {
            v[0] = value(learner.sequenceLosses(detached, task.support(), false, s));
            v[1] = value(learner.sequenceLosses(adapted, task.support(), false, s));
            v[2] = value(learner.sequenceLosses(detached, task.query(), false, s));
            v[3] = value(learner.sequenceLosses(adapted, task.query(), false, s));
        });
        return new Diagnostics(v[0], v[1], v[2], v[3]);
    }

    private static double value(NDArray losses) {
        return losses.sum().toType(DataType.FLOAT64, false).getDouble();
    }

    /**
     * One global update over a batch of tasks: sum of the tasks' meta-gradients, one Adam step. Returns the mean query
     * loss per task (row).
     */
    public double step(Params global, List<Task> tasks, NDArray rate, Adam adam, NDManager manager) {
        return step(global, tasks, (task, m) -> rate, adam, manager);
    }

    /** One global update with per-task inner rates (PAML). Returns the mean query loss. */
    public double step(Params global, List<Task> tasks, InnerRates rates, Adam adam, NDManager manager) {
        Map<String, NDArray> sum = new LinkedHashMap<>();
        double loss = 0;
        int rows = 0;
        try (NDManager batch = manager.newSubManager()) {
            for (Task task : tasks) {
                try (NDManager taskManager = batch.newSubManager()) {
                    NDArray rate = rates.rate(task, taskManager);
                    Result r = metaGradient(global, task, rate, rates.regularisation(), true, taskManager);
                    rates.afterTask(task, rate);
                    rows += task.rows();
                    for (String name : r.gradients().names()) {
                        NDArray g = r.gradients().get(name);
                        NDArray acc = sum.get(name);
                        if (acc == null) {
                            g.attach(batch);
                            sum.put(name, g);
                        } else {
                            acc.addi(g);
                        }
                    }
                    loss += r.queryLoss();
                }
            }
            Params grads = new Params();
            sum.forEach(grads::put);
            adam.step(global, grads);
            rates.afterBatch();
        }
        return loss / Math.max(1, rows);
    }

    private static void zero(Params global) {
        for (NDArray a : global.asMap().values()) {
            if (a.hasGradient()) {
                Autograd.zeroGradient(a);
            }
        }
    }
}
