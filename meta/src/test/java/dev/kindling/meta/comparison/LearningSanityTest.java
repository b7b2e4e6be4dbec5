package dev.kindling.meta.comparison;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/**
 * Learning sanity on data with planted structure, where the right answer is known: users belong to one of a few
 * clusters and walk a Markov chain over their cluster's items (mostly to the item's successor), and the items' text
 * and image vectors reveal their cluster. The oracle ranks by the true next-item probabilities. Every learned method
 * must come close to the oracle that fits what it can model (sequence models: the chain; order-free collaborative
 * models: the cluster), and a learner that does not learn must fail the same bar: the bar can fail.
 */
class LearningSanityTest {
    private static final Logger LOG = LoggerFactory.getLogger(LearningSanityTest.class);
    private static final int CLUSTERS = 4;
    private static final int PER_CLUSTER = 20;
    private static final double FOLLOW = 0.7;

    static NDManager manager;
    static MetaDataset data;
    static ItemFeatures features;
    static Map<String, Double> ndcg = new LinkedHashMap<>();
    static double sequenceOracle;
    static double clusterOracle;

    /** The world: successor of each item in its cluster's cycle, and cluster of each item. */
    static int cluster(int item) {
        return (item - 1) / PER_CLUSTER;
    }

    static int successor(int item) {
        int c = cluster(item);
        int position = (item - 1) % PER_CLUSTER;
        return c * PER_CLUSTER + (position + 1) % PER_CLUSTER + 1;
    }

    static MetaDataset world(long seed) {
        Random r = new Random(seed);
        int items = CLUSTERS * PER_CLUSTER;
        List<String> ids = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 1; i <= items; i++) {
            ids.add("i" + i);
            index.put("i" + i, i);
        }
        List<UserSequence> users = new ArrayList<>();
        for (int u = 0; u < 300; u++) {
            int c = r.nextInt(CLUSTERS);
            int length = 14 + r.nextInt(12);
            int[] seq = new int[length];
            long[] ts = new long[length];
            int current = c * PER_CLUSTER + 1 + r.nextInt(PER_CLUSTER);
            for (int t = 0; t < length; t++) {
                seq[t] = current;
                ts[t] = 1_000_000L * u + t;
                current = r.nextDouble() < FOLLOW ? successor(current) : c * PER_CLUSTER + 1 + r.nextInt(PER_CLUSTER);
            }
            users.add(new UserSequence("u" + u, seq, ts));
        }
        return MetaDataset.split(ids, index, users, 0.8);
    }

    /** Unit vectors near their cluster's centre (the image missing for a third of the items). */
    static ItemFeatures features(NDManager m, long seed) {
        Random r = new Random(seed);
        int items = CLUSTERS * PER_CLUSTER;
        return new ItemFeatures(m.create(vectors(r, items, 12, 0.25, 0), new Shape(items + 1, 12)),
                m.create(vectors(r, items, 10, 0.25, 0.33), new Shape(items + 1, 10)),
                m.create(presence(items, 0.33, new Random(seed))));
    }

    private static float[] vectors(Random r, int items, int dim, double noise, double missing) {
        float[][] centres = new float[CLUSTERS][dim];
        for (float[] c : centres) {
            for (int k = 0; k < dim; k++) {
                c[k] = (float) r.nextGaussian();
            }
        }
        float[] out = new float[(items + 1) * dim];
        Random gone = new Random(7);
        for (int i = 1; i <= items; i++) {
            if (missing > 0 && gone.nextDouble() < missing) {
                continue;
            }
            double norm = 0;
            for (int k = 0; k < dim; k++) {
                float v = (float) (centres[cluster(i)][k] + noise * r.nextGaussian());
                out[i * dim + k] = v;
                norm += v * v;
            }
            for (int k = 0; k < dim; k++) {
                out[i * dim + k] /= (float) Math.sqrt(norm);
            }
        }
        return out;
    }

    private static float[] presence(int items, double missing, Random ignored) {
        float[] has = new float[items + 1];
        Random gone = new Random(7);
        for (int i = 1; i <= items; i++) {
            has[i] = gone.nextDouble() < missing ? 0 : 1;
        }
        return has;
    }

    @BeforeAll
    static void trainEverything() {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        manager = NDManager.newBaseManager("PyTorch");
        data = world(3);
        features = features(manager, 4);
        LearnerConfig learner = new LearnerConfig(16, 1, 2, 32, 0.1, 20, NextItemLoss.SOFTMAX);
        ColdStartEvaluation.Settings settings = new ColdStartEvaluation.Settings(List.of(10), List.of(1L), learner, 40,
                new Training.MamlSettings(15, 16, 2, 0.05, 3e-3, false, Training.Episodes.COLD_START),
                new MmlTraining.Stages(3, 6, 0.1, 3, 3e-3, 3e-3),
                List.of(Method.POPULARITY, Method.ITEM_KNN, Method.EASE, Method.SASREC, Method.MAML_ID, Method.MML,
                        Method.MML_CF), 3,
                List.of(0.01, 0.05), 0, true, Protocol.NEXT_ITEM,
                new ColdStartEvaluation.BaselineSettings(List.of(1.0, 10.0), 1000, List.of(20, 0)));
        for (ColdStartEvaluation.MethodResult r : new ColdStartEvaluation(data, features, settings).run(manager,
                LOG::info)) {
            ndcg.put(r.method(), r.mean().get("ndcg@10"));
        }
        HeldOutUsers test = new HeldOutUsers(ColdStartEvaluation.halves(data.newUsers(), 1L).test(), 10,
                Protocol.NEXT_ITEM);
        sequenceOracle = test.ndcg10(LearningSanityTest::chainOracle);
        clusterOracle = test.ndcg10(LearningSanityTest::clusterOracle);
        LOG.info("oracles: chain {}, cluster {}; methods {}", sequenceOracle, clusterOracle, ndcg);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** The true next-item probabilities after the last item. */
    static float[] chainOracle(int[] support) {
        int last = support[support.length - 1];
        float[] p = clusterOracle(support);
        p[successor(last)] += (float) FOLLOW;
        return p;
    }

    /** What an order-free model can know: the user's cluster, every item of it alike. */
    static float[] clusterOracle(int[] support) {
        float[] p = new float[CLUSTERS * PER_CLUSTER + 1];
        int c = cluster(support[0]);
        for (int i = c * PER_CLUSTER + 1; i <= (c + 1) * PER_CLUSTER; i++) {
            p[i] = (float) ((1 - FOLLOW) / PER_CLUSTER);
        }
        return p;
    }

    @Test
    void theOraclesSetAHighBar() {
        assertThat(sequenceOracle).isGreaterThan(0.6);
        assertThat(clusterOracle).isBetween(0.15, sequenceOracle);
    }

    /**
     * Within 75% of the chain oracle. MML's learners train on threads of their own that share libtorch's random
     * generator, so their dropout masks, and the scores, vary from run to run: 30 test users put mml-cf between 0.69
     * and 0.77 (0.80-0.89 of the oracle) in five runs. An untrained learner stays below 80% of the far lower
     * cluster oracle ({@link #whatDoesNotLearnFailsTheBar}).
     */
    @Test
    void sequenceLearnersComeCloseToTheChainOracle() {
        for (String method : List.of("sasrec", "maml-id", "mml", "mml-cf")) {
            assertThat(ndcg.get(method)).as(method + " NDCG@10 against the chain oracle's " + sequenceOracle)
                    .isGreaterThan(0.75 * sequenceOracle);
        }
    }

    @Test
    void collaborativeModelsComeCloseToTheClusterOracle() {
        for (String method : List.of("item-knn", "ease")) {
            assertThat(ndcg.get(method)).as(method + " NDCG@10 against the cluster oracle's " + clusterOracle)
                    .isGreaterThan(0.8 * clusterOracle);
        }
    }

    @Test
    void whatDoesNotLearnFailsTheBar() {
        assertThat(ndcg.get("popularity")).as("popularity knows no cluster").isLessThan(0.8 * clusterOracle);
        // an ID learner that never trains (random weights), scored the same way
        IdLearner untrained = new IdLearner(new LearnerConfig(16, 1, 2, 32, 0, 20, NextItemLoss.SOFTMAX),
                data.itemCount(), true, manager, DataType.FLOAT32);
        Scalars s = new Scalars(manager, DataType.FLOAT32);
        Tasks tasks = Tasks.forLearner(untrained.config(), features, data.itemCount(), DataType.FLOAT32);
        double broken = new HeldOutUsers(ColdStartEvaluation.halves(data.newUsers(), 1L).test(), 10,
                Protocol.NEXT_ITEM).ndcg10(new AdaptedRecommender(untrained, untrained.initialise(1), tasks, 0, 0.05, s,
                manager));
        assertThat(broken).as("an untrained learner").isLessThan(0.8 * clusterOracle);
    }
}
