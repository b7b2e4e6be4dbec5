package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;


import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    @Test
    void metaLearnedModelsBeatBasicAndTheConstant() {
        DjlRuntime.ensureOffline();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            RatingDataset data = RatingDataset.cut(SyntheticRatings.of(400, 40, SEED),
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
