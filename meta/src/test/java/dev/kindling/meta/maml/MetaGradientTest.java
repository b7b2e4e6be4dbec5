package dev.kindling.meta.maml;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The exact (second-order) MAML meta-gradient of a small feature-aware ID learner, against central finite differences
 * of the query loss after J inner steps, in float64.
 */
class MetaGradientTest {
    private static final long SEED = 20261123L;
    NDManager manager;
    Scalars s;
    IdLearner learner;
    MamlTrainer.Task task;
    NDArray rate;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        Autograd.record(true);
        s = new Scalars(manager, DataType.FLOAT64);
        int items = 12;
        LearnerConfig config = new LearnerConfig(8, 1, 2, 8, 0, 6);
        learner = new IdLearner(config, items, true, manager, DataType.FLOAT64);
        ItemFeatures features = ItemFeatures.random(manager, items, 5, 4, 0.3, SEED, DataType.FLOAT64);
        task = new Tasks(features, items, config.maxLength(), DataType.FLOAT64)
                .task(new int[] {3, 7, 1, 9, 4, 11, 2}, new Random(SEED), manager);
        rate = s.of(0.5); // large enough that second-order terms matter
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** The query loss after J first-order-valued inner steps: the meta-objective, by value only. */
    private double objective(Params global, int steps) {
        try (NDManager sub = manager.newSubManager()) {
            InnerLoop.Adaptation a = new InnerLoop(learner, steps).adaptFirstOrder(global, task.support(), rate, false, s, sub);
            Params gamma = global.select(n -> !learner.adapted(n)).detached();
            return learner.loss(gamma.with(a.theta()), task.query(), false, s).getDouble();
        }
    }

    @Test
    void secondOrderMetaGradientMatchesCentralDifferences() {
        int steps = 2;
        Params global = learner.initialise(SEED);
        global.requireGradients();
        MamlTrainer exact = new MamlTrainer(learner, steps, true, s);
        MamlTrainer firstOrder = new MamlTrainer(learner, steps, false, s);
        MamlTrainer.Result r = exact.metaGradient(global, task, rate, false, manager);
        MamlTrainer.Result fo = firstOrder.metaGradient(global, task, rate, false, manager);
        assertThat(r.queryLoss()).isCloseTo(objective(global, steps), Offset.offset(1e-12));

        String[][] probes = {{"block0.att.wq", "5"}, {"block0.w1", "17"}, {"block0.ln2.g", "3"}, {"pos.emb", "44"},
                {"fa.wte", "32"}, {"block0.wb", "40"}, {"item.emb", "9 * 8 + 2"}};
        double eps = 1e-6;
        double worst = 0;
        double firstOrderGap = 0;
        for (String[] probe : probes) {
            String name = probe[0];
            int index = probe[1].contains("*") ? 9 * 8 + 2 : Integer.parseInt(probe[1]);
            double plus;
            double minus;
            try (NDManager m = manager.newSubManager()) {
                plus = objective(FiniteDifferences.perturbed(global, name, index, eps, m), steps);
                minus = objective(FiniteDifferences.perturbed(global, name, index, -eps, m), steps);
            }
            double numeric = (plus - minus) / (2 * eps);
            double analytic = r.gradients().get(name).toDoubleArray()[index];
            double approx = fo.gradients().get(name).toDoubleArray()[index];
            double scale = Math.max(1e-3, Math.abs(numeric));
            worst = Math.max(worst, Math.abs(analytic - numeric) / scale);
            firstOrderGap = Math.max(firstOrderGap, Math.abs(approx - numeric) / scale);
            assertThat(Math.abs(analytic - numeric)).as("%s[%d]: exact %.10g, finite differences %.10g", name, index,
                    analytic, numeric).isLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
        }
        // The check can fail: the first-order approximation is visibly off on the same entries.
        assertThat(firstOrderGap).isGreaterThan(1e-3);
        assertThat(worst).isLessThan(1e-5);
    }

    @Test
    void adaptationForRankingGivesTheFirstOrderValues() {
        Params global = learner.initialise(SEED);
        global.requireGradients();
        try (NDManager sub = manager.newSubManager()) {
            Params reference = new InnerLoop(learner, 3).adaptFirstOrder(global, task.support(), rate, false, s, sub)
                    .theta();
            Params lean = new InnerLoop(learner, 3).adaptForRanking(global, task.support(), rate, s, sub);
            assertThat(lean.names()).containsExactlyElementsOf(reference.names());
            double moved = 0;
            for (String name : reference.names()) {
                double[] want = reference.get(name).toDoubleArray();
                double[] got = lean.get(name).toDoubleArray();
                double[] start = global.get(name).toDoubleArray();
                for (int i = 0; i < want.length; i++) {
                    assertThat(got[i]).as("%s[%d]", name, i).isCloseTo(want[i], Offset.offset(1e-12));
                    moved = Math.max(moved, Math.abs(got[i] - start[i]));
                }
            }
            assertThat(moved).as("the steps changed Theta").isGreaterThan(1e-3);
            // The global parameters are left as they were, with no gradient collected on them.
            for (String name : reference.names()) {
                assertThat(global.get(name).getGradient().abs().sum().toType(DataType.FLOAT64, false).getDouble()).isZero();
            }
        }
    }

    @Test
    void checkpointsOfOneAdaptationEqualSeparateAdaptations() {
        Params global = learner.initialise(SEED);
        try (NDManager sub = manager.newSubManager()) {
            List<Params> at = new InnerLoop(learner, 3)
                    .adaptForRanking(global, task.support(), rate, new int[] {0, 1, 3}, s, sub);
            int[] steps = {0, 1, 3};
            for (int c = 0; c < steps.length; c++) {
                Params alone = new InnerLoop(learner, steps[c]).adaptForRanking(global, task.support(), rate, s, sub);
                for (String name : alone.names()) {
                    assertThat(at.get(c).get(name).toDoubleArray()).as("%s after %d steps", name, steps[c])
                            .containsExactly(alone.get(name).toDoubleArray(), Offset.offset(1e-12));
                }
            }
        }
    }
}
