package dev.kindling.meta.maml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.learners.FeatureLearner;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Tasks adapted together (one row each, each with its own copy of Theta) give exactly what the same tasks give one at
 * a time: the same meta-gradient sum, the same query loss, the same adapted scores, for windows of different lengths
 * (left-padded in the batch) and for one rate per task.
 */
class BatchedTasksTest {
    NDManager m;
    Scalars s;
    Tasks tasks;
    final int items = 15;
    final List<int[]> windows = List.of(new int[] {3, 7, 1, 9, 4, 11, 2}, new int[] {5, 6, 8, 2},
            new int[] {12, 1, 14, 3, 3, 7});
    final int[] supportTargets = {4, 1, 3};

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        m = NDManager.newBaseManager("PyTorch");
        Autograd.record(true);
        s = new Scalars(m, DataType.FLOAT64);
        ItemFeatures features = ItemFeatures.random(m, items, 5, 4, 0.3, 3, DataType.FLOAT64);
        // the softmax loss samples nothing in tasks, so one-at-a-time and batched tasks see the same targets
        tasks = new Tasks(features, items, 8, DataType.FLOAT64, NextItemLoss.SOFTMAX, 0);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private List<SequenceLearner> learners() {
        LearnerConfig config = new LearnerConfig(8, 2, 2, 16, 0, 8, NextItemLoss.SOFTMAX);
        ItemFeatures f = ItemFeatures.random(m, items, 5, 4, 0.3, 3, DataType.FLOAT64);
        return List.of(new IdLearner(config, items, true, m, DataType.FLOAT64),
                new FeatureLearner(config, f.image(), f.hasImage(), m, DataType.FLOAT64));
    }

    @Test
    void aBatchOfTasksHasTheSumOfTheirMetaGradients() {
        for (SequenceLearner learner : learners()) {
            Params global = learner.initialise(5);
            global.requireGradients();
            MamlTrainer trainer = new MamlTrainer(learner, 2, false, s);
            double[] perTaskRates = {0.3, 0.1, 0.5};
            Params sum = null;
            double lossSum = 0;
            for (int t = 0; t < windows.size(); t++) {
                MamlTrainer.Task one = tasks.task(windows.get(t), supportTargets[t], new Random(1), m);
                MamlTrainer.Result r = trainer.metaGradient(global, one, s.of(perTaskRates[t]), false, m);
                lossSum += r.queryLoss();
                sum = sum == null ? r.gradients() : added(sum, r.gradients());
            }
            MamlTrainer.Task batch = tasks.tasks(windows, supportTargets, Arrays.asList(null, null, null), new Random(1), m);
            assertThat(batch.rows()).isEqualTo(3);
            NDArray rates = m.create(perTaskRates);
            MamlTrainer.Result together = trainer.metaGradient(global, batch, rates, false, m);
            assertThat(together.queryLoss()).isCloseTo(lossSum, within(1e-10));
            for (String name : global.names()) {
                double[] expected = sum.get(name).toDoubleArray();
                double[] actual = together.gradients().get(name).toDoubleArray();
                assertThat(actual).as(learner.getClass().getSimpleName() + " " + name)
                        .containsExactly(expected, within(1e-10));
            }
            assertThat(Arrays.stream(together.gradients().get("pos.emb").toDoubleArray()).map(Math::abs).sum())
                    .as("Theta gets a meta-gradient").isPositive();
        }
    }

    @Test
    void batchedAdaptationForRankingMatchesOneUserAtATime() {
        SequenceLearner learner = learners().get(0);
        Params global = learner.initialise(9);
        InnerLoop loop = new InnerLoop(learner, 3);
        List<int[]> users = List.of(new int[] {3, 7, 1, 9}, new int[] {5, 6}, new int[] {12, 1, 14, 3, 3});
        List<float[]> single = new ArrayList<>();
        for (int[] u : users) {
            Params adapted = global.with(loop.adaptForRanking(global, tasks.adaptation(u, m), s.of(0.2), s, m));
            single.add(learner.scoreAll(adapted.detached(), tasks.batch(List.of(tasks.recentWindow(u)), m), s)
                    .toType(DataType.FLOAT32, false).toFloatArray());
        }
        SequenceBatch support = tasks.adaptations(users, m);
        Params adapted = global.with(loop.adaptForRanking(global, support, s.of(0.2), s, m));
        List<long[]> recent = users.stream().map(tasks::recentWindow).toList();
        float[] together = learner.scoreAll(adapted.detached(), tasks.batch(recent, m), s)
                .toType(DataType.FLOAT32, false).toFloatArray();
        for (int u = 0; u < users.size(); u++) {
            float[] row = Arrays.copyOfRange(together, u * (items + 1), (u + 1) * (items + 1));
            assertThat(row).as("user %d", u).containsExactly(single.get(u), within(1e-5f));
        }
    }

    /**
     * Items deleted from the catalogue while a model serves keep their index but leave adaptation: the softmax is
     * over the remaining items only, as in a model loaded without them, and BPR never draws them as negatives.
     */
    @Test
    void adaptationLeavesRemovedItemsOut() {
        int[] removed = {2, 10, 13};
        Tasks without = tasks.without(removed);
        SequenceLearner learner = learners().get(0);
        Params p = learner.initialise(4);
        int[] user = {3, 7, 1, 9, 4};
        SequenceBatch batch = without.adaptation(user, m);
        double[] losses = learner.positionLosses(p, batch, false, s).toType(DataType.FLOAT64, false).toDoubleArray();
        // by hand: -log softmax over the items left (the padding and the removed ones out)
        double[] logits = learner.encode(p, batch, false, s).matMul(learner.allItemVectors(p).transpose())
                .toType(DataType.FLOAT64, false).toDoubleArray();
        long[] positives = batch.positives().toLongArray();
        int n = positives.length;
        for (int t = 0; t < n; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 1; i <= items; i++) {
                if (Arrays.binarySearch(removed, i) < 0) {
                    max = Math.max(max, logits[t * (items + 1) + i]);
                }
            }
            double sum = 0;
            for (int i = 1; i <= items; i++) {
                if (Arrays.binarySearch(removed, i) < 0) {
                    sum += Math.exp(logits[t * (items + 1) + i] - max);
                }
            }
            double expected = max + Math.log(sum) - logits[t * (items + 1) + (int) positives[t]];
            assertThat(losses[t]).as("position %d", t).isCloseTo(expected, within(1e-9));
        }
        double[] everything = learner.positionLosses(p, tasks.adaptation(user, m), false, s)
                .toType(DataType.FLOAT64, false).toDoubleArray();
        assertThat(everything[n - 1]).as("with the removed items in, the loss is larger").isGreaterThan(losses[n - 1]);
        assertThat(tasks.without(new int[0])).isSameAs(tasks);

        // BPR: the same draws as a catalogue of the 12 items left, numbered in order
        Tasks bpr = new Tasks(null, items, 8, DataType.FLOAT64).without(removed);
        Tasks compact = new Tasks(null, items - removed.length, 8, DataType.FLOAT64);
        int[] left = java.util.stream.IntStream.rangeClosed(1, items).filter(i -> Arrays.binarySearch(removed, i) < 0)
                .toArray();
        for (int seed = 0; seed < 200; seed++) {
            int negative = bpr.negative(java.util.Set.of(), new Random(seed));
            assertThat(negative).isNotIn(2, 10, 13)
                    .isEqualTo(left[compact.negative(java.util.Set.of(), new Random(seed)) - 1]);
        }
    }

    private static Params added(Params a, Params b) {
        Params out = new Params();
        for (String n : a.names()) {
            out.put(n, a.get(n).add(b.get(n)));
        }
        return out;
    }
}
