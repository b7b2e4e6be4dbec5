package dev.kindling.meta.metacsr;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.meta.baseline.PopularityRecommender;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Learning sanity on planted structure: every user likes one cluster of items and walks its cycle (mostly to an item's
 * successor), every item equally popular. Popularity cannot rank a new user's next item (AUC about 0.5); metaCSR, trained
 * on the regular users and adapted to each new user's first items, must rank it far better. The same bar applied to
 * metaCSR that has not learned (its initial parameters) must fail: the bar can fail.
 */
class MetaCsrLearningTest {
    private static final Logger LOG = LoggerFactory.getLogger(MetaCsrLearningTest.class);
    private static final int CLUSTERS = 8;
    private static final int PER_CLUSTER = 30;
    private static final double FOLLOW = 0.7;
    private static final double BAR = 0.8;

    static NDManager manager;
    static CsrSplit split;
    static SampledRanking ranking;
    static InteractionGraph graph;

    static List<Interaction> world(long seed) {
        Random r = new Random(seed);
        List<Interaction> out = new ArrayList<>();
        for (int u = 0; u < 300; u++) {
            int c = r.nextInt(CLUSTERS);
            int length = 12 + r.nextInt(20);
            int current = r.nextInt(PER_CLUSTER);
            for (int t = 0; t < length; t++) {
                int item = c * PER_CLUSTER + current + 1;
                out.add(new Interaction("u" + u, String.format("i%03d", item), 5.0,
                        Instant.ofEpochSecond(1_000_000L * u + t), "rating"));
                current = r.nextDouble() < FOLLOW ? (current + 1) % PER_CLUSTER : r.nextInt(PER_CLUSTER);
            }
        }
        return out;
    }

    @BeforeAll
    static void setUp() {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        DjlRuntime.seedRandom(1);
        manager = NDManager.newBaseManager("PyTorch");
        split = CsrSplit.cut(world(3), CsrSplit.Options.PAPER);
        ranking = new SampledRanking(split.cold(), split.itemCount(), 1);
        graph = InteractionGraph.build(split.regular(), split.itemCount(), 16, 1);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static double auc(Map<String, double[]> perUser) {
        return CsrComparison.mean(perUser.get("auc"));
    }

    private static double metaCsr(int steps) {
        try (NDManager m = manager.newSubManager()) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaCsrModel model = new MetaCsrModel(new MetaCsrModel.Config(32, 1, DiffusionRepresenter.Pooling.MEAN,
                    16, true, SelfAttentionEncoder.Readout.POSITIONS), graph, m, DataType.FLOAT32);
            MetaCsrTraining.Options o = MetaCsrTraining.Options.defaults(1).withSteps(steps);
            Params p = MetaCsrTraining.train(model, split.regular(), split.itemCount(), o, s, m, LOG::info);
            try (MetaCsrRecommender r = new MetaCsrRecommender(model, p, o.tasks(), o.innerSteps(), o.innerRate(),
                    o.negatives(), s, m)) {
                return auc(ranking.score(r));
            }
        }
    }

    /** Serving ranks concurrent users in one batch: each must get what it gets alone (its own negatives, its own theta). */
    @Test
    void aUserRankedInABatchGetsTheScoresItGetsAlone() {
        try (NDManager m = manager.newSubManager()) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaCsrModel model = new MetaCsrModel(new MetaCsrModel.Config(32, 1, DiffusionRepresenter.Pooling.MEAN,
                    16, true, SelfAttentionEncoder.Readout.POSITIONS), graph, m, DataType.FLOAT32);
            MetaCsrTraining.Options o = MetaCsrTraining.Options.defaults(1).withSteps(20);
            Params p = MetaCsrTraining.train(model, split.regular(), split.itemCount(), o, s, m, LOG::info);
            try (MetaCsrRecommender r = new MetaCsrRecommender(model, p, o.tasks(), o.innerSteps(), o.innerRate(),
                    o.negatives(), s, m)) {
                List<int[]> users = split.cold().stream().limit(5).map(ColdUser::support).toList();
                List<float[]> together = r.scores(users);
                for (int u = 0; u < users.size(); u++) {
                    float[] alone = r.scores(users.get(u));
                    assertThat(alone).as("the same user twice").containsExactly(r.scores(users.get(u)));
                    for (int i = 1; i < alone.length; i++) {
                        assertThat(together.get(u)[i]).as("user %d, item %d", u, i).isCloseTo(alone[i],
                                Offset.offset(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void metaCsrLearnsWhatPopularityCannot() {
        assertThat(split.cold()).hasSize(60);
        double popularity = auc(ranking.score(new PopularityRecommender(split.regular(), split.itemCount())));
        double trained = metaCsr(150);
        double untrained = metaCsr(0);
        LOG.info("AUC: popularity {}, metaCSR {}, metaCSR untrained {}", popularity, trained, untrained);
        assertThat(popularity).isLessThan(0.65);
        assertThat(trained).isGreaterThan(BAR).isGreaterThan(popularity + 0.2);
        assertThat(untrained).as("the bar can fail").isLessThan(BAR);
    }
}
