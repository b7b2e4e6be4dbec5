package dev.kindling.meta.metacsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * x W + b over the last axis of x [..., in], with W [in, out] shared, or one W [tasks, in, out] per task (the inner loop's
 * adapted copies; x's leading axis is then the task), with b [out] or [tasks, out] (may be null).
 */
final class TaskLinear {
    private TaskLinear() {
    }

    static NDArray apply(NDArray x, NDArray w, NDArray b) {
        Shape xs = x.getShape();
        long out = w.getShape().get(w.getShape().dimension() - 1);
        long[] shape = xs.getShape().clone();
        shape[shape.length - 1] = out;
        if (w.getShape().dimension() == 3) {
            long tasks = xs.get(0);
            NDArray y = x.reshape(tasks, -1, xs.get(xs.dimension() - 1)).matMul(w);
            if (b != null) {
                y = y.add(b.reshape(tasks, 1, out));
            }
            return y.reshape(new Shape(shape));
        }
        NDArray y = x.matMul(w);
        return b == null ? y : y.add(b);
    }
}
