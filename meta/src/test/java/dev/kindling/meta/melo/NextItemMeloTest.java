package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.FiniteDifferences;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.InnerLoop;
import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MELO's weights on the next-item inner loop ({@link NextItemMelo}): the weighting LSTM's meta-gradient against
 * central differences of the query loss in float64 (exact for one inner step; for two, the documented first-order
 * approximation along the path), an untrained weighting model giving exactly the unweighted adaptation, and the
 * layout of the LSTM's input.
 */
class NextItemMeloTest {
    private static final long SEED = 20261201L;
    private static final int ITEMS = 12;
    private static final List<int[]> WINDOWS = List.of(new int[] {3, 7, 1, 9, 4, 11, 2}, new int[] {8, 2, 6, 5, 10});
    private static final List<double[]> RATINGS = List.of(new double[] {5, 4, 1, 4.5, 2, 3, 5},
            new double[] {1, 2, Double.NaN, 1, 2});
    private static final int[] SUPPORT = {3, 2};
    NDManager manager;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        Autograd.record(true);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static LearnerConfig config() {
        return new LearnerConfig(8, 1, 2, 8, 0, 6, NextItemLoss.SOFTMAX);
    }

    private Tasks tasks(DataType type) {
        return new Tasks(null, ITEMS, config().maxLength(), type, NextItemLoss.SOFTMAX, 0);
    }

    private NextItemMelo.RatedTask task(Tasks tasks, NextItemWeights weights, int rows) {
        List<int[]> windows = WINDOWS.subList(0, rows);
        int[] support = Arrays.copyOf(SUPPORT, rows);
        MamlTrainer.Task t = tasks.tasks(windows, support, Collections.nCopies(rows, null),
                new Random(SEED), manager);
        return new NextItemMelo.RatedTask(t, weights.codes(windows, RATINGS.subList(0, rows), support, manager));
    }

    /** The meta-objective by value: the summed query loss after weighted adaptation with phi. */
    private double objective(NextItemMelo melo, IdLearner learner, Params global, Params phi,
                             NextItemMelo.RatedTask rated, double rate, Scalars s) {
        try (NDManager sub = manager.newSubManager()) {
            Params adapted = melo.adapt(global, phi, rated.task().support(), rated.codes(), s.of(rate), sub);
            Params items = global.select(n -> !learner.adapted(n)).detached();
            return learner.sequenceLosses(items.with(adapted), rated.task().query(), false, s).sum().getDouble();
        }
    }

    /**
     * The derived dL_Q/dphi against central differences over a dozen LSTM entries; returns the cosine between the
     * two vectors and asserts each entry within {@code tolerance} (relative).
     */
    private double checkAgainstCentralDifferences(int rows, int steps, double rate, double tolerance) {
        Scalars s = new Scalars(manager, DataType.FLOAT64);
        IdLearner learner = new IdLearner(config(), ITEMS, false, manager, DataType.FLOAT64);
        Tasks tasks = tasks(DataType.FLOAT64);
        LossWeights model = new LossWeights(4, 6, manager, DataType.FLOAT64);
        NextItemWeights weights = new NextItemWeights(model, config().maxLength());
        NextItemMelo melo = new NextItemMelo(learner, weights, steps, s);
        Params global = learner.initialise(SEED);
        global.requireGradients();
        // the output layer starts at zero weight (gamma = 1 everywhere): give it values so that every LSTM weight matters
        Params phi = model.initialise(SEED).with(new Params().put("gamma.w",
                new ParamInit(manager, DataType.FLOAT64, SEED + 1, 0.5).normal(6, 1)));
        phi.requireGradients();
        NextItemMelo.RatedTask rated = task(tasks, weights, rows);
        NextItemMelo.Result r = melo.metaGradient(global, phi, rated, s.of(rate), false, manager);
        assertThat(r.queryLoss()).isCloseTo(objective(melo, learner, global, phi, rated, rate, s), Offset.offset(1e-12));

        String[][] probes = {{"rating.emb", "9"}, {"rating.emb", "21"}, {"rating.emb", "41"}, {"lstm.wx", "5"},
                {"lstm.wx", "70"}, {"lstm.wh", "13"}, {"lstm.wh", "100"}, {"lstm.b", "7"}, {"lstm.b", "20"},
                {"lstm.h0", "2"}, {"lstm.c0", "4"}, {"gamma.w", "3"}, {"gamma.b", "0"}};
        double eps = 1e-6;
        double largest = 0;
        double dot = 0;
        double nn = 0;
        double dd = 0;
        for (String[] probe : probes) {
            String name = probe[0];
            int index = Integer.parseInt(probe[1]);
            double numeric;
            try (NDManager m = manager.newSubManager()) {
                numeric = (objective(melo, learner, global, FiniteDifferences.perturbed(phi, name, index, eps, m), rated, rate, s)
                        - objective(melo, learner, global, FiniteDifferences.perturbed(phi, name, index, -eps, m), rated, rate, s))
                        / (2 * eps);
            }
            double derived = r.phiGradients().get(name).toDoubleArray()[index];
            largest = Math.max(largest, Math.abs(numeric));
            dot += derived * numeric;
            nn += numeric * numeric;
            dd += derived * derived;
            if (tolerance > 0) {
                assertThat(Math.abs(derived - numeric)).as("%d rows, J = %d, %s[%d]: derived %.12g, finite "
                        + "differences %.12g", rows, steps, name, index, derived, numeric)
                        .isLessThan(tolerance * Math.max(1e-3, Math.abs(numeric)) + 1e-11);
            }
        }
        // the check is not vacuous: the LSTM's meta-gradient is far from zero
        assertThat(largest).isGreaterThan(1e-7);
        // nothing is left on the learner's or the weighting model's gradients
        for (NDArray a : global.asMap().values()) {
            assertThat(a.getGradient().abs().sum().toType(DataType.FLOAT64, false).getDouble()).isZero();
        }
        for (NDArray a : phi.asMap().values()) {
            assertThat(a.getGradient().abs().sum().toType(DataType.FLOAT64, false).getDouble()).isZero();
        }
        return dot / Math.sqrt(nn * dd);
    }

    /** One inner step: the derivation is exact, so it matches to the central differences' precision. */
    @Test
    void lstmMetaGradientMatchesCentralDifferencesForOneInnerStep() {
        checkAgainstCentralDifferences(2, 1, 2.0, 1e-6);
        checkAgainstCentralDifferences(1, 1, 2.0, 1e-6);
    }

    /**
     * Two inner steps: first-order along the path (the Hessian terms through theta_1 dropped). On this small learner
     * it stays close to the finite differences (measured cosine 0.99994 at the evaluation's rate 0.05 and 0.99995 at
     * 2.0); the check asserts the direction, not the entries.
     */
    @Test
    void lstmMetaGradientIsFirstOrderAlongThePathForTwoInnerSteps() {
        assertThat(checkAgainstCentralDifferences(2, 2, 0.05, 0)).as("cosine at alpha 0.05").isGreaterThan(0.999);
        assertThat(checkAgainstCentralDifferences(2, 2, 2.0, 0)).as("cosine at alpha 2").isGreaterThan(0.999);
    }

    /** An untrained weighting model weights every position by exactly 1: the adaptation and the ranking are MAML's. */
    @Test
    void untrainedWeightsGiveExactlyTheUnweightedAdaptation() {
        Scalars s = new Scalars(manager, DataType.FLOAT32);
        IdLearner learner = new IdLearner(config(), ITEMS, false, manager, DataType.FLOAT32);
        Tasks tasks = tasks(DataType.FLOAT32);
        LossWeights model = LossWeights.standard(manager, DataType.FLOAT32);
        NextItemWeights weights = new NextItemWeights(model, config().maxLength());
        Params global = learner.initialise(SEED);
        Params phi = model.initialise(SEED);
        NextItemMelo.RatedTask rated = task(tasks, weights, 2);
        try (NDManager sub = manager.newSubManager()) {
            SequenceBatch support = rated.task().support();
            Params weighted = new NextItemMelo(learner, weights, 3, s).adapt(global, phi, support, rated.codes(),
                    s.of(0.2), sub);
            Params plain = new InnerLoop(learner, 3).adaptForRanking(global, support, s.of(0.2), s, sub);
            double moved = 0;
            for (String name : plain.names()) {
                float[] want = plain.get(name).toFloatArray();
                assertThat(weighted.get(name).toFloatArray()).as(name).containsExactly(want);
                float[] start = global.get(name).toFloatArray();   // per row: [rows, ...], row by row
                for (int i = 0; i < want.length; i++) {
                    moved = Math.max(moved, Math.abs(want[i] - start[i % start.length]));
                }
            }
            assertThat(moved).as("adaptation moved Theta").isGreaterThan(0);
        }
        // the recommenders that evaluation compares: the same scores, to the bit
        List<int[]> users = List.of(new int[] {3, 7, 1, 9, 4}, new int[] {8, 2, 6}, new int[] {5});
        List<double[]> ratings = Arrays.asList(new double[] {5, 1, 0.5, 4, 3}, null, new double[] {2});
        List<float[]> melo = NextItemMelo.recommender(learner, global, weights, phi, tasks, 2, 0.2, s, manager)
                .scores(users, ratings);
        List<float[]> maml = new AdaptedRecommender(learner, global, tasks, 2, 0.2, s, manager).scores(users);
        for (int u = 0; u < users.size(); u++) {
            assertThat(melo.get(u)).as("user %d", u).containsExactly(maml.get(u));
        }
    }

    /**
     * The LSTM reads each row's support ratings left-aligned, position t holding the rating of the item it predicts
     * (the window's item t + 1); unknown ratings and query positions get 0; the gather puts the weights back at the
     * batch's right-aligned positions.
     */
    @Test
    void codesFollowTheTargetsOfTheSupportPositions() {
        NextItemWeights weights = new NextItemWeights(LossWeights.standard(manager, DataType.FLOAT32), 6);
        NextItemWeights.Codes codes = weights.codes(WINDOWS, RATINGS, SUPPORT, manager);
        // row 0: 7 items, 6 positions, the first 3 support (targets 7, 1, 9 rated 4, 1, 4.5)
        // row 1: 5 items, 4 positions right-aligned after 2 of padding, the first 2 support (targets 2, 6: 2, unknown)
        assertThat(codes.codes().toLongArray()).containsExactly(8, 2, 9, 0, 0, 0, 4, 0, 0, 0, 0, 0);
        assertThat(codes.positions().toLongArray()).containsExactly(0, 1, 2, 3, 4, 5, 5, 5, 0, 1, 2, 3);
        // adaptation: every position is support; a sequence longer than the window keeps its most recent items
        NextItemWeights.Codes all = weights.codes(List.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8}),
                List.of(new double[] {1, 1.5, 2, 2.5, 3, 3.5, 4, 5}), null, manager);
        assertThat(all.codes().toLongArray()).containsExactly(4, 5, 6, 7, 8, 10);
        assertThat(all.codes().getShape().get(1)).isEqualTo(6);
    }
}
