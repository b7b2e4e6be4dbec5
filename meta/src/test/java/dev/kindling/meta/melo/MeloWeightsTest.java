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

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** MELO's weights act on adaptation: they change the inner update, and they receive a meta-gradient. */
class MeloWeightsTest {
    private static final long SEED = 7L;
    NDManager manager;
    Scalars s;
    RatingBatch batch;
    SasRecRatings backbone;
    LossWeights weights;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        Autograd.record(true);
        s = new Scalars(manager, DataType.FLOAT32);
        batch = RatingBatch.of(List.of(
                new RatingTask("a", new int[] {3, 7, 1, 9, 4, 2, 5}, new double[] {5, 4, 1, 4.5, 2, 3, 5}, 4),
                new RatingTask("b", new int[] {8, 2, 6, 5, 10}, new double[] {1, 2, 3.5, 1, 2}, 3)),
                manager, DataType.FLOAT32);
        backbone = new SasRecRatings(10, 8, 1, 2, manager, DataType.FLOAT32);
        weights = LossWeights.standard(manager, DataType.FLOAT32);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void untrainedWeightsAdaptExactlyAsMaml() {
        Params theta = backbone.initialise(SEED);
        AdaptiveInnerLoop melo = new AdaptiveInnerLoop(backbone, weights, 2);
        AdaptiveInnerLoop maml = new AdaptiveInnerLoop(backbone, null, 2);
        Params rates = melo.initialRates(theta, 0.5, manager, DataType.FLOAT32);
        Params a = melo.adapt(theta, weights.initialise(SEED), rates, batch, s, manager);
        Params b = maml.adapt(theta, null, rates, batch, s, manager);
        for (String name : theta.names()) {
            assertThat(a.get(name).toFloatArray()).as(name)
                    .containsExactly(b.get(name).toFloatArray(), Offset.offset(1e-6f));
        }
    }

    @Test
    void weightsChangeTheInnerUpdateAndGetAMetaGradient() {
        Params theta = backbone.initialise(SEED);
        Params phi = weights.initialise(SEED).with(new Params().put("gamma.w",
                new ParamInit(manager, DataType.FLOAT32, SEED, 0.5).normal(32, 1)));
        phi.requireGradients();
        AdaptiveInnerLoop melo = new AdaptiveInnerLoop(backbone, weights, 1);
        AdaptiveInnerLoop maml = new AdaptiveInnerLoop(backbone, null, 1);
        Params rates = melo.initialRates(theta, 0.5, manager, DataType.FLOAT32);

        NDArray gamma = weights.gammas(phi.detached(), batch.codes(), s);
        assertThat(gamma.min().getFloat()).isGreaterThanOrEqualTo(0f);
        assertThat(gamma.max().sub(gamma.min()).getFloat()).as("gammas differ between positions").isGreaterThan(1e-3f);

        Params weighted = melo.adapt(theta, phi, rates, batch, s, manager);
        Params plain = maml.adapt(theta, null, rates, batch, s, manager);
        double moved = 0;
        for (String name : theta.names()) {
            moved = Math.max(moved, weighted.get(name).sub(plain.get(name)).abs().max().getFloat());
        }
        assertThat(moved).as("MELO's adapted parameters differ from MAML's").isGreaterThan(1e-4);

        AdaptiveInnerLoop.MetaGradients g = melo.metaGradients(theta, phi, rates, batch, s, manager);
        double norm = 0;
        for (NDArray a : g.phi().asMap().values()) {
            norm += a.square().sum().getFloat();
        }
        assertThat(Math.sqrt(norm)).as("the LSTM's meta-gradient").isGreaterThan(1e-5);
        assertThat(g.phi().get("lstm.wh").abs().max().getFloat()).isGreaterThan(0f);
    }
}
