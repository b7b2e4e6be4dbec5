package dev.kindling.meta;

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

    /** Called after each global update (PAML updates its own parameters here). */
    default void afterBatch() {
    }

    /** The same rate for every task. */
    static InnerRates fixed(double rate, Scalars s) {
        NDArray r = s.of(rate);
        return (task, manager) -> r;
    }
}
