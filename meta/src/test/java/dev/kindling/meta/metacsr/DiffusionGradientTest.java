package dev.kindling.meta.metacsr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.kindling.meta.UserSequence;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The Diffusion Representer's gradients (and, through it, the whole model's BPR loss) against central finite
 * differences in float64, for one and two hops and both aggregators, on a graph small enough that hubs are sampled.
 */
class DiffusionGradientTest {
    private static final double STEP = 1e-6;
    NDManager manager;
    Scalars s;
    InteractionGraph graph;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        Autograd.record(true);
        s = new Scalars(manager, DataType.FLOAT64);
        Random r = new Random(5);
        List<UserSequence> users = new ArrayList<>();
        for (int u = 0; u < 6; u++) {
            int[] items = r.ints(6, 1, 10).toArray();
            users.add(new UserSequence("u" + u, items, new long[items.length]));
        }
        graph = InteractionGraph.build(users, 10, 3, 7);  // bound 3: hubs sampled
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @ParameterizedTest
    @CsvSource({"1, MEAN", "2, MEAN", "1, MAX", "2, MAX"})
    void representerGradientsMatchFiniteDifferences(int hops, DiffusionRepresenter.Pooling pooling) {
        MetaCsrModel model = new MetaCsrModel(new MetaCsrModel.Config(4, hops, pooling, 3, true,
                SelfAttentionEncoder.Readout.POSITIONS), graph, manager,
                DataType.FLOAT64);
        Params p = model.initialise(11);
        int[] ids = {1, 4, 4, 9, 10, 0, 2};
        NDArray weights = manager.create(new Random(17).doubles(ids.length * 4L).map(v -> v - 0.5).toArray(),
                new ai.djl.ndarray.types.Shape(ids.length, 4));
        check(p, q -> model.representer().items(q, ids, s, manager).mul(weights).sum(), p.select(n ->
                n.startsWith("rep.")));
    }

    @ParameterizedTest
    @CsvSource({"1, true, POSITIONS", "2, true, POSITIONS", "1, true, MEAN", "1, false, MEAN"})
    void modelLossGradientsMatchFiniteDifferences(int hops, boolean sequenceModel,
                                                  SelfAttentionEncoder.Readout readout) {
        MetaCsrModel model = new MetaCsrModel(new MetaCsrModel.Config(4, hops, DiffusionRepresenter.Pooling.MEAN, 3,
                sequenceModel, readout), graph, manager, DataType.FLOAT64);
        Params p = model.initialise(13);
        List<List<Run>> runs = List.of(List.of(new Run(new int[] {1, 2, 3}, 4), new Run(new int[] {5}, 6)),
                List.of(new Run(new int[] {7, 8, 9, 3, 1}, 2)));
        RunBatch batch = RunBatch.of(runs, List.of(new int[] {1, 2, 3, 4, 5, 6}, new int[] {1, 2, 3, 7, 8, 9}), 2, 10,
                new Random(3), manager, DataType.FLOAT64);
        check(p, q -> model.taskLosses(q, batch, model.vectors(q, batch, s, manager), s).sum(), p);
    }

    /** Every entry of every checked tensor: autograd against (f(x + h) - f(x - h)) / 2h. */
    private void check(Params start, Function<Params, NDArray> f, Params names) {
        Params p = jittered(start);
        Params checked = p.select(names::has);
        p.requireGradients();
        NDArray value = f.apply(p);
        Autograd.backward(value, false, false);
        int compared = 0;
        for (String name : checked.names()) {
            NDArray a = p.get(name);
            double[] analytic = a.getGradient().toDoubleArray();
            double[] x = a.stopGradient().toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                double plus = at(p, name, x, i, STEP, f);
                double minus = at(p, name, x, i, -STEP, f);
                double numeric = (plus - minus) / (2 * STEP);
                assertThat(Math.abs(analytic[i] - numeric)).as("%s[%d]: autograd %s, finite differences %s", name, i,
                        analytic[i], numeric).isLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(50);
    }

    /**
     * The parameters plus small seeded noise: biases start at zero, and a node without neighbours has h = 0, so
     * ReLU(W1 h + b1) would sit exactly on ReLU's kink, where finite differences and the (sub)gradient disagree.
     */
    private Params jittered(Params p) {
        Random r = new Random(23);
        Params out = new Params();
        for (String name : p.names()) {
            NDArray a = p.get(name);
            double[] v = a.toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                v[i] += 0.1 * r.nextGaussian();
            }
            out.put(name, manager.create(v, a.getShape()));
        }
        return out;
    }

    private double at(Params p, String name, double[] x, int i, double delta, Function<Params, NDArray> f) {
        double[] moved = x.clone();
        moved[i] += delta;
        Params q = p.detached().with(new Params().put(name, manager.create(moved, p.get(name).getShape())));
        return f.apply(q).getDouble();
    }
}
