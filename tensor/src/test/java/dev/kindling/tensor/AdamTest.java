package dev.kindling.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Adam's update against the closed form, and that it minimises a quadratic. */
class AdamTest {

    @Test
    void theFirstStepsFollowTheBiasCorrectedUpdate() {
        DjlRuntime.ensureOffline();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Params params = new Params().put("w", manager.create(new double[] {1.0, -2.0}));
            Adam adam = new Adam(manager, 0.1);
            double[] g1 = {0.5, -4.0};
            adam.step(params, new Params().put("w", manager.create(g1)));
            // step 1: mhat = g, vhat = g^2, so each weight moves by lr * sign(g) (up to eps)
            assertThat(params.get("w").toDoubleArray()[0]).isCloseTo(0.9, within(1e-7));
            assertThat(params.get("w").toDoubleArray()[1]).isCloseTo(-1.9, within(1e-7));
            double[] g2 = {1.5, -4.0};
            adam.step(params, new Params().put("w", manager.create(g2)));
            double m = 0.9 * 0.1 * 0.5 + 0.1 * 1.5;
            double v = 0.999 * 0.001 * 0.25 + 0.001 * 2.25;
            double expected = 0.9 - 0.1 * (m / (1 - 0.81)) / (Math.sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
            assertThat(params.get("w").toDoubleArray()[0]).isCloseTo(expected, within(1e-7));
        }
    }

    @Test
    void itMinimisesAQuadraticThroughAutograd() {
        DjlRuntime.ensureOffline();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Params params = new Params().put("w", manager.create(new double[] {3.0, -1.0}));
            NDArray target = manager.create(new double[] {0.5, 2.0});
            Adam adam = new Adam(manager, 0.05);
            params.requireGradients();
            boolean was = Autograd.recording();
            Autograd.record(true);
            try {
                for (int i = 0; i < 400; i++) {
                    NDArray loss = params.get("w").sub(target).square().sum();
                    Autograd.backward(loss, false, false);
                    Params gradients = params.gradients(manager);
                    Autograd.zeroGradient(params.get("w"));
                    adam.step(params, gradients);
                }
            } finally {
                Autograd.record(was);
            }
            assertThat(params.get("w").toDoubleArray()).containsExactly(new double[] {0.5, 2.0}, within(1e-2));
        }
    }

    @Test
    void theCosineScheduleRunsFromTheRateToItsEndShare() {
        assertThat(Adam.cosine(0.01, 0, 100, 0.1)).isCloseTo(0.01, within(1e-15));
        assertThat(Adam.cosine(0.01, 50, 100, 0.1)).isCloseTo(0.0055, within(1e-15));
        assertThat(Adam.cosine(0.01, 100, 100, 0.1)).isCloseTo(0.001, within(1e-15));
        assertThat(Adam.cosine(0.01, 100, 100, 0)).isCloseTo(0, within(1e-15));
    }
}
