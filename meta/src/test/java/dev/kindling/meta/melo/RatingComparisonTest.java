package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import dev.kindling.tensor.DjlRuntime;

/** The comparison runs end to end (a few steps each) and pairs every method with the others on the same users. */
class RatingComparisonTest {

    @Test
    void reportsEveryMethodPerBackboneWithPairedDifferences() {
        DjlRuntime.ensureOffline();
        RatingDataset data = RatingDataset.cut(SyntheticRatings.of(80, 20, 5),
                new RatingDataset.Options(1, 5, 0.25, 0.15, 5));
        RatingTraining.Options options = new RatingTraining.Options(4, 8, 1e-3, 3, 4, 2, 0.1, 1e-3, 1e-2, 1e-2, 5.0,
                2, false, 5);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            RatingComparison.Report report = RatingComparison.run(data, RatingComparison.BACKBONES, options,
                    new RatingEvaluation(RatingEvaluation.Scope.HISTORY), manager);
            assertThat(report.results()).extracting(r -> r.backbone() + "/" + r.method()).containsExactly(
                    "sasrec/basic", "sasrec/maml", "sasrec/melo", "gru4rec/basic", "gru4rec/maml", "gru4rec/melo");
            assertThat(report.differences()).hasSize(6);
            for (RatingResult r : report.results()) {
                assertThat(r.userIds()).hasSize(data.test().size());
                assertThat(r.rmse()).isBetween(0.0, 5.0);
                assertThat(r.rmse95().low()).isLessThanOrEqualTo(r.rmse()).isNotNaN();
                assertThat(r.groups().stream().mapToInt(RatingResult.ImbalanceGroup::users).sum())
                        .isEqualTo(data.test().size());
            }
            assertThat(report.constant().rmse()).isPositive();
        }
        assertThat(List.of(RatingMethod.values())).hasSize(3);
    }
}
