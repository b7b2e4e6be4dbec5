package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/**
 * Learning sanity on synthetic ratings where adaptation must pay: each item has a quality, each user a leniency
 * (grumpy, fair or generous) that no item id reveals; a rating is quality + leniency + noise. Basic can learn the
 * items' quality but not the users' leniency; MAML and MELO can read it from the support's errors.
 */
class MeloLearningSanityTest {
    private static final Logger LOG = LoggerFactory.getLogger(MeloLearningSanityTest.class);
    private static final long SEED = 11L;

    static List<Interaction> syntheticRatings(int users, int items, long seed) {
        Random random = new Random(seed);
        double[] quality = new double[items];
        for (int i = 0; i < items; i++) {
            quality[i] = 3.2 + 0.7 * random.nextGaussian();
        }
        double[] leniency = {-1.2, 0, 1.0};
        List<Interaction> out = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            double lenient = leniency[random.nextInt(3)];
            int n = 8 + random.nextInt(25);
            for (int k = 0; k < n; k++) {
                int item = random.nextInt(items);
                double r = quality[item] + lenient + 0.3 * random.nextGaussian();
                r = Math.max(0.5, Math.min(5, Math.round(2 * r) / 2.0));
                out.add(new Interaction("u" + u, "i" + item, r, Instant.ofEpochSecond(1000L * k), "rating"));
            }
        }
        return out;
    }

    @Test
    void metaLearnedModelsBeatBasicAndTheConstant() {
        DjlRuntime.ensureOffline();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            RatingDataset data = RatingDataset.cut(syntheticRatings(400, 40, SEED),
                    new RatingDataset.Options(1, 5, 0.25, 0.15, SEED));
            RatingTraining.Options options = new RatingTraining.Options(150, 64, 3e-3, 60, 16, 1, 0.5, 1e-3, 1e-2,
                    1e-2, 5.0, 30, true, SEED);
            RatingTraining training = new RatingTraining(data, options, s, manager);
            RatingBackbone backbone = new SasRecRatings(data.items(), 16, 1, 2, manager, DataType.FLOAT32);
            RatingEvaluation evaluation = new RatingEvaluation(false);
            double mean = data.trainMeanRating();
            RatingModel basic = training.basic(backbone);
            RatingResult constant = evaluation.constant(data.test(), mean);
            RatingResult basicResult = evaluation.evaluate(basic, data.test(), mean, 0, s, manager);
            RatingResult maml = evaluation.evaluate(training.meta(basic, RatingMethod.MAML), data.test(), mean, 0, s,
                    manager);
            RatingResult melo = evaluation.evaluate(training.meta(basic, RatingMethod.MELO), data.test(), mean, 0, s,
                    manager);
            LOG.info("synthetic RMSE: constant {}, basic {}, maml {}, melo {}", constant.rmse(), basicResult.rmse(),
                    maml.rmse(), melo.rmse());
            assertThat(basicResult.rmse()).isLessThan(constant.rmse());
            assertThat(maml.rmse()).isLessThan(basicResult.rmse());
            assertThat(melo.rmse()).isLessThan(basicResult.rmse());
            assertThat(melo.groups()).hasSize(RatingEvaluation.GROUP_EDGES.length - 1);
        }
    }
}
