package dev.kindling.meta;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

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

    /** One task: support and query positions over the same sequence window, for a user (null when anonymous). */
    public record Task(SequenceBatch support, SequenceBatch query, String userId) {
        public Task(SequenceBatch support, SequenceBatch query) {
            this(support, query, null);
        }

        public Task forUser(String id) {
            return new Task(support, query, id);
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
        NDArray loss = learner.loss(gamma.with(a.theta()), task.query(), training, s);
        NDArray objective = loss;
        if (regularisation > 0 && a.firstGradientNormSquared() > 0) {
            objective = loss.add(rate.abs().mul(s.temporary(regularisation * a.firstGradientNormSquared(), manager)));
        }
        Autograd.backward(objective, false, false);
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (String name : global.names()) {
            boolean fromProbe = a.probe() != null && learner.adapted(name);
            NDArray g = (fromProbe ? a.probe().get(name) : global.get(name)).getGradient().stopGradient().duplicate();
            g.attach(manager);
            grads.put(name, g);
        }
        double value = loss.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        zero(global);
        Params out = new Params();
        grads.forEach(out::put);
        return new Result(out, value);
    }

    /** A meta-gradient and the query loss it came from. */
    public record Result(Params gradients, double queryLoss) {
    }

    /**
     * One global update over a batch of tasks: sum of the tasks' meta-gradients, one Adam step. Returns the mean query
     * loss.
     */
    public double step(Params global, List<Task> tasks, NDArray rate, Adam adam, NDManager manager) {
        return step(global, tasks, (task, m) -> rate, adam, manager);
    }

    /** One global update with per-task inner rates (PAML). Returns the mean query loss. */
    public double step(Params global, List<Task> tasks, InnerRates rates, Adam adam, NDManager manager) {
        Map<String, NDArray> sum = new LinkedHashMap<>();
        double loss = 0;
        try (NDManager batch = manager.newSubManager()) {
            for (Task task : tasks) {
                try (NDManager taskManager = batch.newSubManager()) {
                    NDArray rate = rates.rate(task, taskManager);
                    Result r = metaGradient(global, task, rate, rates.regularisation(), true, taskManager);
                    rates.afterTask(task, rate);
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
        return loss / Math.max(1, tasks.size());
    }

    private static void zero(Params global) {
        for (NDArray a : global.asMap().values()) {
            if (a.hasGradient()) {
                Autograd.zeroGradient(a);
            }
        }
    }
}
