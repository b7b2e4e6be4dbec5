package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.FiniteDifferences;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The acceptance check of issue 15: the meta-gradient of the query loss with respect to MELO's weighting LSTM (which
 * first-order MAML would leave at zero), derived by {@link AdaptiveInnerLoop} with central differences along the query
 * gradient and Hessian-vector products, against central differences of the query loss itself, in float64, for one and
 * for three inner steps. The inner rates' and the backbone's meta-gradients are checked the same way.
 */
class MeloMetaGradientTest {
    private static final long SEED = 20261130L;
    NDManager manager;
    Scalars s;
    RatingBatch batch;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        Autograd.record(true);
        s = new Scalars(manager, DataType.FLOAT64);
        List<RatingTask> tasks = List.of(
                new RatingTask("a", new int[] {3, 7, 1, 9, 4, 2, 5}, new double[] {5, 4, 1, 4.5, 2, 3, 5}, 4),
                new RatingTask("b", new int[] {8, 2, 6, 5, 10}, new double[] {1, 2, 3.5, 1, 2}, 3));
        batch = RatingBatch.of(tasks, manager, DataType.FLOAT64);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** The meta-objective by value: the mean query loss after adapting with the given phi and rates. */
    private double objective(AdaptiveInnerLoop loop, Params theta, Params phi, Params rates) {
        try (NDManager sub = manager.newSubManager()) {
            Params adapted = loop.adapt(theta, phi, rates, batch, s, sub);
            NDArray count = batch.query().sum(new int[] {1}, true);
            return loop.squaredErrors(adapted, batch, s).mul(batch.query()).div(count).sum().getDouble()
                    / batch.rows();
        }
    }

    private Params weightingParameters(LossWeights weights) {
        Params phi = weights.initialise(SEED);
        // the output layer starts at zero weight (gamma = 1 everywhere, as MAML): give it values so that every LSTM
        // weight matters
        phi = phi.with(new Params().put("gamma.w", new ParamInit(manager, DataType.FLOAT64, SEED + 1, 0.5)
                .normal(6, 1)));
        phi.requireGradients();
        return phi;
    }

    void checkAgainstCentralDifferences(RatingBackbone backbone, int steps, double rate) {
        LossWeights weights = new LossWeights(4, 6, manager, DataType.FLOAT64);
        AdaptiveInnerLoop loop = new AdaptiveInnerLoop(backbone, weights, steps);
        Params theta = backbone.initialise(SEED);
        Params phi = weightingParameters(weights);
        // rates large enough that adaptation moves the query loss visibly
        Params rates = loop.initialRates(theta, rate, manager, DataType.FLOAT64);
        AdaptiveInnerLoop.MetaGradients g = loop.metaGradients(theta, phi, rates, batch, s, manager);
        assertThat(g.queryLoss()).isCloseTo(objective(loop, theta, phi, rates),
                Offset.offset(1e-12));

        double eps = 1e-6;
        double largest = 0;
        String[][] probes = {{"rating.emb", "9"}, {"rating.emb", "21"}, {"lstm.wx", "5"}, {"lstm.wx", "70"},
                {"lstm.wh", "13"}, {"lstm.wh", "100"}, {"lstm.b", "7"}, {"lstm.b", "20"}, {"lstm.h0", "2"},
                {"lstm.c0", "4"}, {"gamma.w", "3"}, {"gamma.b", "0"}};
        for (String[] probe : probes) {
            String name = probe[0];
            int index = Integer.parseInt(probe[1]);
            double numeric;
            try (NDManager m = manager.newSubManager()) {
                numeric = (objective(loop, theta, FiniteDifferences.perturbed(phi, name, index, eps, m), rates)
                        - objective(loop, theta, FiniteDifferences.perturbed(phi, name, index, -eps, m), rates)) / (2 * eps);
            }
            double derived = g.phi().get(name).toDoubleArray()[index];
            largest = Math.max(largest, Math.abs(numeric));
            assertThat(Math.abs(derived - numeric)).as("%s %s[%d]: derived %.12g, finite differences %.12g",
                    backbone.name(), name, index, derived, numeric)
                    .isLessThan(1e-7 * Math.max(1e-3, Math.abs(numeric)) + 1e-11);
        }
        // the check is not vacuous: the LSTM's meta-gradient is far from zero
        assertThat(largest).isGreaterThan(1e-4);

        String third = theta.names().toArray(new String[0])[3];
        for (String name : new String[] {"0.item.emb", "0.out.w", "0.out.b", "0." + third,
                (steps - 1) + ".out.b", (steps - 1) + "." + third}) {
            double numeric;
            try (NDManager m = manager.newSubManager()) {
                numeric = (objective(loop, theta, phi, FiniteDifferences.perturbed(rates, name, 0, eps, m))
                        - objective(loop, theta, phi, FiniteDifferences.perturbed(rates, name, 0, -eps, m))) / (2 * eps);
            }
            double derived = g.rates().get(name).getDouble();
            assertThat(Math.abs(derived - numeric)).as("%s rate %s: derived %.12g, finite differences %.12g",
                    backbone.name(), name, derived, numeric).isLessThan(1e-7 * Math.max(1e-3, Math.abs(numeric)));
        }

        // the backbone's meta-gradient: MAML's exact second-order one
        for (String name : theta.names()) {
            int index = (int) (theta.get(name).getShape().size() / 3);
            double numeric;
            try (NDManager m = manager.newSubManager()) {
                numeric = (objective(loop, FiniteDifferences.perturbed(theta, name, index, eps, m), phi, rates)
                        - objective(loop, FiniteDifferences.perturbed(theta, name, index, -eps, m), phi, rates)) / (2 * eps);
            }
            double derived = g.theta().get(name).toDoubleArray()[index];
            assertThat(Math.abs(derived - numeric)).as("%s theta %s[%d]: derived %.12g, finite differences %.12g",
                    backbone.name(), name, index, derived, numeric)
                    .isLessThan(1e-7 * Math.max(1e-3, Math.abs(numeric)) + 1e-11);
        }
    }

    @Test
    void lstmMetaGradientMatchesCentralDifferencesWithSasRec() {
        checkAgainstCentralDifferences(new SasRecRatings(10, 8, 1, 2, manager, DataType.FLOAT64), 1, 2.0);
    }

    @Test
    void lstmMetaGradientMatchesCentralDifferencesWithGru4Rec() {
        checkAgainstCentralDifferences(new Gru4RecRatings(10, 6, manager, DataType.FLOAT64), 1, 2.0);
    }

    /** Several inner steps, at a rate large enough that dropping the Hessian terms would flip the gradient's sign. */
    @Test
    void metaGradientsMatchCentralDifferencesOverThreeInnerSteps() {
        checkAgainstCentralDifferences(new SasRecRatings(10, 8, 1, 2, manager, DataType.FLOAT64), 3, 0.5);
    }
}
