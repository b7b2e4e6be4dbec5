package dev.kindling.meta.maml;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.kindling.tensor.Scalars;

/**
 * Where a task's inner learning rate comes from: one fixed rate (MAML, MML) or each user's own (PAML). The rate is a
 * scalar tensor; when it is learned, gradient reaches its parameters through the first-order inner loop.
 */
public interface InnerRates {

    /** The inner learning rate for a task. */
    NDArray rate(MamlTrainer.Task task, NDManager manager);

    /** Called after the task's meta-gradient was taken (PAML remembers the user here). */
    default void afterTask(MamlTrainer.Task task, NDArray rate) {
    }

    /**
     * REG-PAML's gamma: the query objective gains gamma ||dL_support/dtheta||^2 |alpha(h_i)|, which pulls the rate down
     * for users whose support gradient is large (PAML, "Regularised PAML"). 0: no regulariser.
     */
    default double regularisation() {
        return 0;
    }

    /** Called after each global update (PAML updates its own parameters here). */
    default void afterBatch() {
    }

    /** The same rate for every task. */
    static InnerRates fixed(double rate, Scalars s) {
        NDArray r = s.of(rate);
        return (task, manager) -> r;
    }
}
