package dev.kindling.meta.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.meta.melo.RatingDataset;
import dev.kindling.meta.melo.RatingMethod;
import dev.kindling.meta.melo.RatingModel;
import dev.kindling.meta.melo.RatingTraining;
import dev.kindling.meta.melo.SasRecRatings;
import dev.kindling.meta.melo.SyntheticRatings;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/**
 * A MELO rating model trained briefly on synthetic ratings (users grumpy, fair or generous), saved, loaded as the
 * server loads it: the same predictions as the trained model, predictions that follow the user's ratings, unknown
 * items reported rather than guessed, the same answer twice.
 */
class ServedRatingModelTest {
    private static final long SEED = 11L;

    @TempDir
    Path home;

    @Test
    void savedMeloModelPredictsAsTrainedAndFollowsTheUsersRatings() {
        DjlRuntime.ensureOffline();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            RatingDataset data = RatingDataset.cut(SyntheticRatings.of(400, 40, SEED),
                    new RatingDataset.Options(1, 5, 0.0, 0.15, SEED));
            RatingTraining.Options options = new RatingTraining.Options(150, 64, 3e-3, 40, 16, 2, 0.5, 1e-3, 1e-2,
                    1e-2, 5.0, 20, true, SEED);
            RatingTraining training = new RatingTraining(data, options, s, manager);
            RatingModel melo = training.meta(training.basic(SasRecRatings.standard(data.items(), manager,
                    DataType.FLOAT32)), RatingMethod.MELO);
            List<String> itemIds = data.itemIds().subList(1, data.itemIds().size());
            var manifest = new RatingModelDirectory.Manifest(RatingModelDirectory.FORMAT_VERSION, "v1", "melo",
                    "sasrec", melo.innerSteps(), 0.5, 5.0, 400, 8000, Map.of("melo", training.validationRmse(melo)));
            RatingModelDirectory.save(home.resolve("models").resolve(RatingModelDirectory.DIRECTORY), manifest,
                    itemIds, melo);

            ServedRatingModel served = ServedRatingModel.load(home.resolve("models"), manager);
            assertThat(served.manifest()).isEqualTo(manifest);
            assertThat(served.itemCount()).isEqualTo(data.items());

            // the loaded model predicts what the trained one does
            List<String> rated = itemIds.subList(0, 10);
            List<String> candidates = itemIds.subList(10, itemIds.size());
            List<ServedRatingModel.Rating> mixed = new ArrayList<>();
            for (int k = 0; k < rated.size(); k++) {
                mixed.add(new ServedRatingModel.Rating(rated.get(k), k % 2 == 0 ? 4.5 : 2.0));
            }
            var prediction = served.predict(mixed, candidates);
            double[] direct = melo.predictNext(IntStream.rangeClosed(1, 10).toArray(),
                    mixed.stream().mapToDouble(ServedRatingModel.Rating::stars).toArray(),
                    IntStream.rangeClosed(11, data.items()).toArray(), s, manager);
            assertThat(prediction.predictions()).hasSize(candidates.size());
            for (int c = 0; c < direct.length; c++) {
                assertThat(prediction.predictions().get(c).itemId()).isEqualTo(candidates.get(c));
                assertThat(prediction.predictions().get(c).rating())
                        .isCloseTo(Math.max(0.5, Math.min(5.0, direct[c])), Offset.offset(1e-5));
            }
            assertThat(served.predict(mixed, candidates)).as("the same answer twice").isEqualTo(prediction);

            // a generous user's predictions sit well above a grumpy one's on the same items
            double generous = mean(served.predict(same(rated, 5.0), candidates));
            double grumpy = mean(served.predict(same(rated, 1.0), candidates));
            assertThat(generous - grumpy).as("generous %.3f vs grumpy %.3f", generous, grumpy).isGreaterThan(1.0);

            // unknown items are reported, not guessed; only the latest 29 known ratings are read
            List<ServedRatingModel.Rating> withUnknown = new ArrayList<>(same(itemIds, 3.0));
            withUnknown.add(1, new ServedRatingModel.Rating("not-an-item", 4.0));
            var partial = served.predict(withUnknown, List.of("i-none", itemIds.get(0)));
            assertThat(partial.unknownItems()).containsExactly("i-none");
            assertThat(partial.unusedRatings()).containsExactly("not-an-item");
            assertThat(partial.predictions()).extracting(ServedRatingModel.Predicted::itemId)
                    .containsExactly(itemIds.get(0));
            assertThat(partial.adaptedOn()).hasSize(RatingModel.CONTEXT)
                    .isEqualTo(itemIds.subList(itemIds.size() - RatingModel.CONTEXT, itemIds.size()));

            served.close();
            assertThatThrownBy(() -> served.predict(mixed, candidates)).isInstanceOf(ServingModel.Replaced.class);
        }
    }

    private static List<ServedRatingModel.Rating> same(List<String> items, double stars) {
        return items.stream().map(i -> new ServedRatingModel.Rating(i, stars)).toList();
    }

    private static double mean(ServedRatingModel.Prediction p) {
        return p.predictions().stream().mapToDouble(ServedRatingModel.Predicted::rating).average().orElseThrow();
    }
}
