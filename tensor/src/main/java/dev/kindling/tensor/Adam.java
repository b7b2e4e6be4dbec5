package dev.kindling.tensor;

import java.util.HashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/** The Adam optimiser (Kingma and Ba), updating parameters in place from given gradients. */
public final class Adam {
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final NDManager manager;
    private final Map<String, NDArray> m = new HashMap<>();
    private final Map<String, NDArray> v = new HashMap<>();
    private long step;

    public Adam(NDManager manager, double learningRate) {
        this(manager, learningRate, 0.9, 0.999, 1e-8);
    }

    public Adam(NDManager manager, double learningRate, double beta1, double beta2, double epsilon) {
        this.manager = manager;
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /** One step: params[name] -= lr * mhat / (sqrt(vhat) + eps), for every parameter that has a gradient. */
    public void step(Params params, Params gradients) {
        step(params, gradients, learningRate);
    }

    /** One step at the given learning rate (a schedule, e.g. cosine decay, instead of the constructor's rate). */
    public void step(Params params, Params gradients, double learningRate) {
        step++;
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        for (String name : gradients.names()) {
            NDArray p = params.get(name);
            m.computeIfAbsent(name, k -> state(p));
            v.computeIfAbsent(name, k -> state(p));
        }
        Autograd.withoutRecording(() -> {
            for (String name : gradients.names()) {
                NDArray g = gradients.get(name);
                NDArray p = params.get(name);
                NDArray mi = m.get(name);
                NDArray vi = v.get(name);
                // Temporaries land in the optimiser's manager: close them here, every step.
                try (NDScope scope = new NDScope()) {
                    mi.muli(beta1).addi(g.mul(1 - beta1));
                    vi.muli(beta2).addi(g.square().muli(1 - beta2));
                    p.subi(mi.div(c1).divi(vi.div(c2).sqrt().addi(epsilon)).muli(learningRate));
                }
            }
        });
    }

    /**
     * A rate decaying along a half cosine from {@code rate} at step 0 to {@code endShare * rate} at step {@code steps}
     * (the schedule for {@link #step(Params, Params, double)}).
     */
    public static double cosine(double rate, long step, long steps, double endShare) {
        double end = rate * endShare;
        return end + (rate - end) * 0.5 * (1 + Math.cos(Math.PI * step / steps));
    }

    private NDArray state(NDArray like) {
        NDArray a = like.zerosLike().stopGradient();
        a.attach(manager);
        NDScope.unregister(a);
        return a;
    }
}
