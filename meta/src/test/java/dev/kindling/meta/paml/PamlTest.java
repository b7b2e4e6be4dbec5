package dev.kindling.meta.paml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.UserCollection;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.maml.InnerLoop;
import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** PAML's rate formula, its memory in a real vector index, and learning the rate through first-order MAML. */
class PamlTest {
    @TempDir
    Path dir;

    @Test
    void rateIsTheMlpPlusTheKernelWeightedNeighbourRates() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT64);
            PamlLearningRate paml = new PamlLearningRate(4, 0.5, 0.05);
            Params p = paml.initialise(3, m, DataType.FLOAT64, 1);
            NDArray h = m.create(new double[] {1, 0, 0});
            double alone = paml.rate(p, h, List.of(), s).getDouble();
            assertThat(alone).isPositive();
            List<PamlLearningRate.Neighbour> nb = List.of(new PamlLearningRate.Neighbour("a", new float[] {1, 0, 0}, 0.2),
                    new PamlLearningRate.Neighbour("b", new float[] {0, 1, 0}, 0.4));
            double s1 = 1.0;                  // exp(-0.5 * 0)
            double s2 = Math.exp(-0.5 * 2);   // exp(-0.5 * ||(1,-1,0)||^2)
            double expected = alone + (s1 * 0.2 + s2 * 0.4) / (s1 + s2 + PamlLearningRate.SIGMA);
            assertThat(paml.rate(p, h, nb, s).getDouble()).isCloseTo(expected, within(1e-9));
        }
    }

    @Test
    void memoryFindsNearestUsersAndEvictsTheLeastRecentlyUsed() {
        try (LuceneVectorIndex index = new LuceneVectorIndex(dir, LuceneIndexSettings.DEFAULT)) {
            UserRateMemory memory = new UserRateMemory(index, 2, 3);
            memory.remember("a", new float[] {1, 0}, 0.1);
            memory.remember("b", new float[] {0, 1}, 0.2);
            memory.remember("c", new float[] {1, 1}, 0.3);
            List<PamlLearningRate.Neighbour> near = memory.nearest("x", new float[] {1, 0.1f}, 1);
            assertThat(near).hasSize(1);
            assertThat(near.get(0).rate()).isEqualTo(0.1);
            memory.nearest("x", new float[] {0.1f, 1}, 1); // uses b: c is now the least recently used... after a
            memory.remember("d", new float[] {-1, 0}, 0.4);
            assertThat(memory.size()).isEqualTo(3);
            assertThat(index.count(UserCollection.name(2))).as("an evicted user keeps its embedding").isEqualTo(4);
            assertThat(UserCollection.rate(index, 2, "c")).as("least recently used: its rate is forgotten").isEmpty();
            assertThat(UserCollection.rate(index, 2, "a")).contains(0.1);
            assertThat(memory.nearest("x", new float[] {1, 1}, 4)).as("only users with a rate are neighbours")
                    .extracting(PamlLearningRate.Neighbour::userId).containsExactlyInAnyOrder("a", "b", "d");
        }
    }

    @Test
    void theRateMlpLearnsThroughFirstOrderMaml() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             LuceneVectorIndex index = new LuceneVectorIndex(dir.resolve("i"), LuceneIndexSettings.DEFAULT)) {
            Autograd.record(true);
            Scalars s = new Scalars(m, DataType.FLOAT64);
            int items = 15;
            LearnerConfig config = new LearnerConfig(8, 1, 2, 16, 0, 8);
            ItemFeatures f = ItemFeatures.random(m, items, 4, 4, 0.3, 2, DataType.FLOAT64);
            IdLearner learner = new IdLearner(config, items, true, m, DataType.FLOAT64);
            Params global = learner.initialise(3);
            global.requireGradients();
            PamlLearningRate paml = new PamlLearningRate(8, 1.0, 0.05);
            Params pp = paml.initialise(8, m, DataType.FLOAT64, 4);
            PamlRates rates = new PamlRates(paml, pp, new UserRateMemory(index, 8, 100), learner, global, 3, 1e-2, s, m);
            Tasks tasks = new Tasks(f, items, config.maxLength(), DataType.FLOAT64);
            Random r = new Random(5);
            List<MamlTrainer.Task> batch = List.of(tasks.task(new int[] {1, 4, 6, 2, 9}, r, m).forUser("u1"),
                    tasks.task(new int[] {3, 5, 7, 8, 10, 12}, r, m).forUser("u2"));
            double before = pp.get("paml.b2").getDouble(0);
            new MamlTrainer(learner, 2, false, s).step(global, batch, rates, new Adam(m, 1e-3), m);
            assertThat(pp.get("paml.b2").getDouble(0)).as("the rate MLP received a gradient and moved")
                    .isNotCloseTo(before, within(1e-9));
            assertThat(index.count(UserCollection.name(8))).as("both users remembered").isEqualTo(2);
        }
    }

    @Test
    void regPamlAddsGammaTimesTheSupportGradientNormToTheRatesGradient() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(m, DataType.FLOAT64);
            int items = 12;
            LearnerConfig config = new LearnerConfig(8, 1, 2, 16, 0, 8);
            ItemFeatures f = ItemFeatures.random(m, items, 4, 4, 0.3, 2, DataType.FLOAT64);
            IdLearner learner = new IdLearner(config, items, true, m, DataType.FLOAT64);
            Params global = learner.initialise(3);
            global.requireGradients();
            PamlLearningRate paml = new PamlLearningRate(8, 1.0, 0.05);
            Params pp = paml.initialise(8, m, DataType.FLOAT64, 4);
            pp.requireGradients();
            Tasks tasks = new Tasks(f, items, config.maxLength(), DataType.FLOAT64);
            MamlTrainer.Task task = tasks.task(new int[] {1, 4, 6, 2, 9}, new Random(5), m);
            NDArray h = m.create(new double[] {0.3, -0.1, 0.2, 0.5, -0.4, 0.1, 0, 0.2});
            MamlTrainer trainer = new MamlTrainer(learner, 2, false, s);
            double gamma = 0.7;

            NDArray rate = paml.rate(pp, h, List.of(), s);
            trainer.metaGradient(global, task, rate, 0, false, m);
            double plain = pp.get("paml.b2").getGradient().getDouble(0);
            Autograd.zeroGradient(pp.get("paml.b2"));
            NDArray again = paml.rate(pp, h, List.of(), s);
            trainer.metaGradient(global, task, again, gamma, false, m);
            double regularised = pp.get("paml.b2").getGradient().getDouble(0);

            double alpha = rate.getDouble();
            double norm2 = new InnerLoop(learner, 2).adaptFirstOrder(global, task.support(), s.of(alpha), false, s, m)
                    .firstGradientNormSquared().getDouble(0);
            assertThat(norm2).isPositive();
            // d/db2 of gamma ||g||^2 |softplus(z)| = gamma ||g||^2 sigmoid(z), and sigmoid(z) = 1 - exp(-alpha)
            assertThat(regularised - plain).isCloseTo(gamma * norm2 * (1 - Math.exp(-alpha)), within(1e-9));
        }
    }
}
