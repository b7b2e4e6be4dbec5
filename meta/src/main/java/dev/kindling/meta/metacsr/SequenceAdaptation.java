package dev.kindling.meta.metacsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * metaCSR's inner loop (Eq. 11-12): J steps of plain gradient descent on each task's support loss, on theta_2 only
 * (the sequence model; the item representations are shared and held still, 3.3), each task with its own copy of
 * theta_2 (a leading task axis). First-order: the steps are returned as a constant shift, so the query loss's gradient
 * reaches theta_2 and theta_1 through theta_2' = theta_2 + shift without differentiating the steps themselves (the
 * paper does not say which order; first-order is leak-free in DJL and what the MML authors' code does).
 */
final class SequenceAdaptation {
    private SequenceAdaptation() {
    }

    /**
     * The per-task shift theta_2' - theta_2 (detached, each [tasks, ...]).
     *
     * @param vectors the support batch's item representations, detached
     */
    static Params shift(MetaCsrModel model, Params p, RunBatch support, NDArray vectors, int steps, double rate,
                        Scalars s, NDManager m) {
        Params theta = p.select(UserEncoder::owns);
        int tasks = support.tasks();
        Params current = theta.repeatedLeaves(tasks, m);
        NDArray rateScalar = s.of(rate);
        for (int j = 0; j < steps; j++) {
            NDArray loss = model.taskLosses(p.with(current), support, vectors, s).sum();
            Autograd.backward(loss, false, false);
            Params next = new Params();
            for (String name : current.names()) {
                NDArray c = current.get(name);
                NDArray moved = c.stopGradient().sub(c.getGradient().stopGradient().mul(rateScalar)); // Eq. 12
                Autograd.zeroGradient(c);
                moved.attach(m);
                if (j + 1 < steps) {
                    moved.setRequiresGradient(true);
                }
                next.put(name, moved);
            }
            current = next;
        }
        Params shift = new Params();
        for (String name : current.names()) {
            shift.put(name, current.get(name).stopGradient().sub(theta.get(name).stopGradient().expandDims(0)));
        }
        return shift;
    }

    /** theta_2 + shift per task (gradients flow to theta_2), the rest of p as is. */
    static Params adapted(Params p, Params shift) {
        Params out = new Params();
        for (String name : shift.names()) {
            out.put(name, p.get(name).expandDims(0).add(shift.get(name)));
        }
        return p.with(out);
    }
}
