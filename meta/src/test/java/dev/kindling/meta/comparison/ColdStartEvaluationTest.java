package dev.kindling.meta.comparison;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.SyntheticWalks;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.baseline.CoOccurrence;
import dev.kindling.meta.baseline.EaseRecommender;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.maml.EarlyStopping;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;

/**
 * The evaluation's machinery on a small synthetic catalogue: early stopping keeps the best epoch, and seeds run in
 * parallel give the same numbers as seeds run one after the other (the generator's neighbours are tested in the
 * generator module, NeighbourTableTest), and cross-fitting scores every new user with choices made on the other half.
 */
class ColdStartEvaluationTest {
    @Test
    void earlyStoppingKeepsTheBestEpochAndStopsAfterPatience() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Params p = new Params().put("w", m.create(new float[] {0f}));
            p.requireGradients();
            double[] scores = {0.1, 0.3, 0.2, 0.25, 0.9};
            int[] epoch = {0};
            try (EarlyStopping stop = new EarlyStopping("test", x -> scores[epoch[0] - 1], 2, m)) {
                boolean goOn = true;
                while (goOn) {
                    epoch[0]++;
                    p.get("w").getGradient(); // a trained leaf
                    Autograd.withoutRecording(() -> p.get("w").addi(1f)); // "training": w = epoch
                    goOn = stop.afterEpoch(epoch[0], p);
                }
                assertThat(epoch[0]).as("stopped two checks after the best").isEqualTo(4);
                stop.restoreBest(p);
                assertThat(stop.bestEpoch()).isEqualTo(2);
                assertThat(p.get("w").getFloat(0)).as("values of epoch 2, in place").isEqualTo(2f);
            }
        }
    }

    @Test
    void parallelSeedsGiveTheSameNumbersAsSequentialOnes() {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        MetaDataset data = SyntheticWalks.dataset(40, 80, 2);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            ItemFeatures f = ItemFeatures.random(m, 40, 6, 5, 0.3, 2, DataType.FLOAT32);
            ColdStartEvaluation.Settings settings = new ColdStartEvaluation.Settings(List.of(5), List.of(1L, 2L),
                    new LearnerConfig(8, 1, 2, 16, 0, 12), 2, new Training.MamlSettings(2, 8, 2, 0.1, 1e-3, false),
                    new MmlTraining.Stages(1, 2, 0.2, 3, 1e-3, 1e-3), List.of(Method.POPULARITY, Method.PT_FT, Method.MML), 1,
                    List.of(0.05, 0.2), 0, false);
            List<ColdStartEvaluation.MethodResult> one = new ColdStartEvaluation(data, f, settings).run(m, x -> { }, 1);
            List<ColdStartEvaluation.MethodResult> two = new ColdStartEvaluation(data, f, settings).run(m, x -> { }, 2);
            assertThat(one).extracting(ColdStartEvaluation.MethodResult::method)
                    .containsExactly("popularity", "pt-ft", "mml");
            for (int i = 0; i < one.size(); i++) {
                ColdStartEvaluation.MethodResult a = one.get(i);
                ColdStartEvaluation.MethodResult b = two.get(i);
                assertThat(a.testUsers()).isEqualTo(8); // 16 new users, half of them tested
                List<Double> allowed = a.method().equals("popularity") ? List.of(0.1) : List.of(0.05, 0.2);
                assertThat(a.chosenRates()).as("one rate per seed, from the grid").hasSize(2)
                        .allSatisfy(r -> assertThat(r).isIn(allowed));
                assertThat(b.chosenRates()).isEqualTo(a.chosenRates());
                for (String metric : a.mean().keySet()) {
                    assertThat(b.mean().get(metric)).as(a.method() + " " + metric)
                            .isCloseTo(a.mean().get(metric), within(1e-6));
                }
            }
            assertThat(one.get(0).mean().get("recall@20")).as("popularity finds something on a walk catalogue")
                    .isPositive();
        }
    }

    @Test
    void crossFittingScoresBothHalvesEachWithTheChoiceMadeOnTheOther() {
        DjlRuntime.ensureOffline();
        MetaDataset data = SyntheticWalks.dataset(40, 80, 2);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            ItemFeatures f = ItemFeatures.random(m, 40, 6, 5, 0.3, 2, DataType.FLOAT32);
            List<Long> seeds = List.of(1L, 2L);
            ColdStartEvaluation.Settings settings = new ColdStartEvaluation.Settings(List.of(5), seeds,
                    new LearnerConfig(8, 1, 2, 16, 0, 12), 2, new Training.MamlSettings(2, 8, 2, 0.1, 1e-3, false),
                    new MmlTraining.Stages(1, 2, 0.2, 3, 1e-3, 1e-3), List.of(Method.EASE), 1, List.of(0.05), 0,
                    false);
            ColdStartEvaluation.MethodResult result = new ColdStartEvaluation(data, f, settings)
                    .withCrossFitting(true).run(m, x -> { }, 2).get(0);

            // the same by hand: EASE's lambda chosen on one half (first best validation NDCG@10), scored on the other
            CoOccurrence co = new CoOccurrence(data.oldUsers(), data.itemCount());
            List<Double> lambdas = ColdStartEvaluation.BaselineSettings.DEFAULT.easeLambdas();
            List<Double> chosen = new ArrayList<>();
            double expected = 0;
            for (long seed : seeds) {
                ColdStartEvaluation.Halves h = ColdStartEvaluation.halves(data.newUsers(), seed);
                List<Double> values = new ArrayList<>();
                for (List<List<UserSequence>> tuneTest : List.of(List.of(h.validation(), h.test()),
                        List.of(h.test(), h.validation()))) {
                    HeldOutUsers tune = new HeldOutUsers(tuneTest.get(0), 5, Protocol.NEXT_ITEM);
                    double best = lambdas.get(0);
                    double bestScore = Double.NEGATIVE_INFINITY;
                    for (double lambda : lambdas) {
                        double score = tune.ndcg10(EaseRecommender.fit(co, lambda, 20_000, m));
                        if (score > bestScore) {
                            bestScore = score;
                            best = lambda;
                        }
                    }
                    chosen.add(best);
                    new HeldOutUsers(tuneTest.get(1), 5, Protocol.NEXT_ITEM).evaluate(EaseRecommender.fit(co, best,
                            20_000, m)).perUser().forEach(u -> values.add(u.get("ndcg@10")));
                }
                assertThat(values).as("every new user of the seed, once").hasSize(16);
                expected += values.stream().mapToDouble(Double::doubleValue).average().orElseThrow() / seeds.size();
            }
            assertThat(result.testUsers()).as("both halves are test users").isEqualTo(16);
            assertThat(result.chosenRates()).as("per seed: the first half's choice, then the second's")
                    .isEqualTo(chosen);
            assertThat(result.mean().get("ndcg@10")).isCloseTo(expected, within(1e-9));
            assertThat(expected).as("EASE finds something on a walk catalogue").isPositive();
        }
    }
}
