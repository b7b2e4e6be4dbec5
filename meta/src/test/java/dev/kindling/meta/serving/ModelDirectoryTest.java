package dev.kindling.meta.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.UserCollection;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.SyntheticWalks;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.baseline.CoOccurrence;
import dev.kindling.meta.baseline.ContentKnnRecommender;
import dev.kindling.meta.baseline.EaseRecommender;
import dev.kindling.meta.baseline.NeighbourLists;
import dev.kindling.meta.baseline.SequentialRules;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.AdaptationTuning;
import dev.kindling.meta.mml.BlendWeights;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.paml.PamlRates;
import dev.kindling.meta.paml.UserRateMemory;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** A small MML trained in all three stages, saved, loaded into a fresh model: same recommendations. */
class ModelDirectoryTest {
    @TempDir
    Path home;

    /** The small learners every test here trains. */
    private static final LearnerConfig SMALL = new LearnerConfig(8, 1, 2, 16, 0.1, 12);

    /** All three stages, briefly: enough to have every parameter group trained. */
    private static void trainSmall(MmlModel model) {
        trainSmall(model, MmlTraining.Options.NONE);
    }

    private static void trainSmall(MmlModel model, MmlTraining.Options options) {
        new MmlTraining(model, options).train(new Training.MamlSettings(1, 8, 2, 0.1, 1e-3, false),
                new MmlTraining.Stages(1, 1, 0.2, 3, 1e-3, 1e-3), 7, msg -> { });
    }

    @Test
    void savedModelsLoadBackAndGiveTheSameScores() throws Exception {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaDataset data = SyntheticWalks.dataset(30, 40, 1);
            ItemFeatures f = ItemFeatures.random(m, 30, 6, 5, 0.3, 2, DataType.FLOAT32);
            LearnerConfig config = SMALL;
            MmlModel model = new MmlModel(data, f, config, s, m);
            trainSmall(model);
            Path models = home.resolve("models");
            Path saved = ModelDirectory.save(models, config, data, Map.of("text", "t@1", "image", "i@2"), model.parameters());
            assertThat(Files.readString(models.resolve("current")).strip()).isEqualTo(saved.getFileName().toString());

            ModelDirectory.Loaded loaded = ModelDirectory.load(models, m);
            assertThat(loaded.manifest().learner()).isEqualTo(config);
            assertThat(loaded.manifest().encoders()).containsEntry("text", "t@1");
            assertThat(loaded.itemIds()).hasSize(30).startsWith("item1");
            assertThat(loaded.groups().keySet()).containsExactly("main", "text", "image", "generator", "fusion");
            MmlModel restored = new MmlModel(data, f, config, s, m);
            restored.restore(loaded.groups(), 3);
            int[] user = {3, 4, 5, 6};
            float[] before = model.recommender(MmlModel.Variant.MML, 0, 0.1).scores(user);
            float[] after = restored.recommender(MmlModel.Variant.MML, 0, 0.1).scores(user);
            assertThat(after).containsExactly(before, Offset.offset(1e-5f));

            Files.writeString(saved.resolve("model.json"), Files.readString(saved.resolve("model.json"))
                    .replace("\"formatVersion\" : " + ModelDirectory.FORMAT_VERSION, "\"formatVersion\" : 99"));
            assertThatThrownBy(() -> ModelDirectory.load(models, m)).hasMessageContaining("format version 99");
        }
    }

    @Test
    void itemsAddedAfterTrainingGetGeneratedEmbeddingsAndAreRanked() throws Exception {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaDataset data = SyntheticWalks.dataset(30, 40, 1);
            ItemFeatures f = ItemFeatures.random(m, 32, 6, 5, 0.3, 2, DataType.FLOAT32);
            LearnerConfig config = SMALL;
            MmlModel model = new MmlModel(data, new ItemFeatures(f.text().get("0:31"), f.image().get("0:31"),
                    f.hasImage().get("0:31")), config, s, m);
            trainSmall(model);
            Path saved = ModelDirectory.save(home.resolve("models"), config, data, Map.of(), model.parameters());
            ModelDirectory.Loaded loaded = ModelDirectory.load(saved, m);

            // The catalogue grew by two items after training: the model's 30 first, then the new ones.
            List<String> ids = new ArrayList<>(loaded.itemIds());
            ids.add("item31");
            ids.add("item32");
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < ids.size(); i++) {
                index.put(ids.get(i), i + 1);
            }
            List<UserSequence> users = new ArrayList<>(data.oldUsers());
            users.addAll(data.newUsers());
            MetaDataset grown = MetaDataset.splitAt(ids, index, users, data.cut());
            MmlModel restored = new MmlModel(grown, f, config, s, m);
            restored.restore(loaded.groups(), 3);
            NDArray table = restored.parameters().get("main").get("item.emb");
            assertThat(table.getShape().get(0)).isEqualTo(33);
            NDArray generated = restored.generated(new int[] {31, 32});
            assertThat(table.get("31:33").toFloatArray())
                    .as("new items' candidate rows are their generated embeddings (Eq. 15-17)")
                    .containsExactly(generated.toFloatArray(), Offset.offset(1e-6f));
            assertThat(table.get("1:31").toFloatArray()).as("trained rows unchanged").containsExactly(
                    loaded.groups().get("main").get("item.emb").get("1:31").toFloatArray(),
                    Offset.offset(0f));
            float[] scores = restored.recommender(MmlModel.Variant.MML, 1, 0.1).scores(new int[] {3, 4, 31});
            assertThat(scores).hasSize(33);
            assertThat(scores[31]).isFinite();
            assertThat(scores[32]).isFinite().isNotEqualTo(scores[31]);
        }
    }

    @Test
    void aModelTrainedWithPamlAdaptsEachNewUserAtItsOwnRateFromItsNeighbours() throws Exception {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             LuceneVectorIndex index = new LuceneVectorIndex(home.resolve("index"),
                     LuceneIndexSettings.DEFAULT)) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaDataset data = SyntheticWalks.dataset(30, 40, 1);
            ItemFeatures f = ItemFeatures.random(m, 30, 6, 5, 0.3, 2, DataType.FLOAT32);
            LearnerConfig config = SMALL;
            MmlModel model = new MmlModel(data, f, config, s, m,
                    MmlModel.Setup.NONE.withPaml(MmlModel.Paml.defaults(new UserRateMemory(index, config.hidden(), 1000))));
            trainSmall(model);
            Path saved = ModelDirectory.save(home.resolve("models"), config, data, Map.of(), model.parameters());
            ModelDirectory.Loaded loaded = ModelDirectory.load(saved, m);
            assertThat(loaded.groups()).containsKey("paml");
            assertThat(index.count(UserCollection.name(config.hidden()))).as("training remembered the old users").isPositive();

            MmlModel restored = new MmlModel(data, f, config, s, m,
                    MmlModel.Setup.NONE.withPaml(MmlModel.Paml.defaults(new UserRateMemory(index, config.hidden(), 1000))));
            restored.restore(loaded.groups(), 3);
            assertThat(restored.hasPaml()).isTrue();
            MmlModel.FusedScores a = restored.recommender(MmlModel.Variant.MML, 2, 0.1).fusedScores(new int[] {3, 4, 5, 6});
            MmlModel.FusedScores b = restored.recommender(MmlModel.Variant.MML, 2, 0.1).fusedScores(new int[] {20, 9, 14});
            assertThat(a.rateFrom()).hasSize(10).allSatisfy(r -> {
                assertThat(r.userId()).startsWith("user");
                assertThat(r.similarity()).isBetween(0.0, 1.0);
                assertThat(r.rate()).isPositive();
            });
            // PAML Eq. 1: alpha'(h_i) plus the kernel-weighted mean of the neighbours' rates, so at least that mean.
            double mean = a.rateFrom().stream().mapToDouble(r -> r.similarity() * r.rate()).sum()
                    / (a.rateFrom().stream().mapToDouble(PamlRates.RateSource::similarity).sum() + 1e-5);
            assertThat(a.mainRate()).isGreaterThan(mean).isNotEqualTo(0.1);
            assertThat(b.mainRate()).as("a different user, a different rate").isNotEqualTo(a.mainRate());

            MmlModel plain = new MmlModel(data, f, config, s, m);
            plain.restore(loaded.groups(), 3);
            assertThat(plain.hasPaml()).as("without its memory the model adapts at the given rate").isFalse();
            assertThat(plain.recommender(MmlModel.Variant.MML, 2, 0.1).fusedScores(new int[] {3, 4, 5, 6}).mainRate()).isEqualTo(0.1);
        }
    }

    @Test
    void theAdaptationChosenOnHeldOutUsersIsSavedWithTheModel() throws Exception {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaDataset data = SyntheticWalks.dataset(30, 60, 1);
            ItemFeatures f = ItemFeatures.random(m, 30, 6, 5, 0.3, 2, DataType.FLOAT32);
            LearnerConfig config = SMALL;
            MmlModel model = new MmlModel(data, f, config, s, m);
            trainSmall(model);
            List<UserSequence> heldOut = new ArrayList<>(data.oldUsers());
            heldOut.addAll(data.newUsers());
            List<String> lines = new ArrayList<>();
            int[] user = heldOut.get(0).items();
            List<MmlModel.FusedScores> byStep = model.fusedScoresAtSteps(user, new int[] {1, 3}, 0.5);
            assertThat(byStep.get(0).scores()).as("J = 1 from the shared adaptation")
                    .containsExactly(model.recommender(MmlModel.Variant.MML, 1, 0.5).scores(user), Offset.offset(1e-5f));
            assertThat(byStep.get(1).scores()).as("J = 3 from the shared adaptation")
                    .containsExactly(model.recommender(MmlModel.Variant.MML, 3, 0.5).scores(user), Offset.offset(1e-5f));
            AdaptationTuning.Choice choice = AdaptationTuning.choose(model,
                    new HeldOutUsers(heldOut, 6, Protocol.NEXT_ITEM), new int[] {1, 3},
                    new double[] {0.01, 0.5}, lines::add);
            assertThat(choice.users()).isEqualTo(heldOut.stream().filter(u -> u.length() >= 6).count()).isGreaterThan(50);
            assertThat(choice.steps()).isIn(1, 3);
            assertThat(choice.rate()).isIn(0.01, 0.5);
            assertThat(choice.ndcg10()).isBetween(0.0, 1.0).isLessThanOrEqualTo(choice.best())
                    .isGreaterThanOrEqualTo(choice.best() - choice.standardError() - 1e-12);
            assertThat(lines).singleElement().asString().contains("adaptation: " + choice.steps() + " steps");

            Path saved = ModelDirectory.save(home.resolve("models"), config, data, Map.of(), model.parameters(), choice);
            assertThat(ModelDirectory.load(saved, m).manifest().servingAdaptation()).isEqualTo(choice);
            Path plain = ModelDirectory.save(home.resolve("plain"), config, data, Map.of(), model.parameters());
            assertThat(ModelDirectory.load(plain, m).manifest().servingAdaptation())
                    .isEqualTo(AdaptationTuning.Choice.DEFAULT);

            AdaptationTuning.Choice few = AdaptationTuning.choose(model,
                    new HeldOutUsers(heldOut.subList(0, 5), 6, Protocol.NEXT_ITEM), new int[] {1},
                    new double[] {0.1}, lines::add);
            assertThat(few).as("too few users to choose from").isEqualTo(AdaptationTuning.Choice.DEFAULT);
        }
    }

    /**
     * mml-cf's blend is chosen with its adaptation, ranks as the search scored it, and is saved with the model; the
     * saved model keeps no attention layer for it.
     */
    @Test
    void theBlendOfTheCollaborativeVariantIsChosenAndSaved() throws Exception {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaDataset data = SyntheticWalks.dataset(30, 60, 1);
            ItemFeatures f = ItemFeatures.random(m, 30, 6, 5, 0.3, 2, DataType.FLOAT32);
            MmlModel model = new MmlModel(data, f, SMALL, s, m);
            NeighbourLists ease = EaseRecommender.fit(new CoOccurrence(data.oldUsers(), data.itemCount()), 10, 1000, m)
                    .sparsify(NeighbourLists.SERVED);
            trainSmall(model, MmlTraining.Options.NONE.withCollaborative(() -> ease));
            assertThat(model.parameters()).containsKeys("collaborative", "sequential").doesNotContainKey("fusion-cf");
            List<UserSequence> heldOut = new ArrayList<>(data.oldUsers());
            heldOut.addAll(data.newUsers());
            AdaptationTuning.Choice choice = AdaptationTuning.choose(model, MmlModel.Variant.CF,
                    new HeldOutUsers(heldOut, 6, Protocol.NEXT_N), new int[] {1}, new double[] {0.5}, msg -> { });
            assertThat(choice.blend()).isIn(BlendWeights.grid());

            int[] user = heldOut.get(0).items();
            float[][] members = model.standardisedMembersAtSteps(List.of(user), new int[] {1}, 0.5).get(0).get(0);
            assertThat(members).hasNumberOfRows(BlendWeights.MEMBERS);
            // the fifth member is content similarity (one matrix product in the model), standardised (Eq. 9)
            assertStandardised(members[4], new ContentKnnRecommender(f.textRows()).scores(user), "content");
            // the sixth, the sequential rules of every old user's sequence
            float[] rules = SequentialRules.fit(data.oldUsers(), data.itemCount(), NeighbourLists.SERVED).scores(user);
            double top = 0;
            for (float x : rules) {
                top = Math.max(top, x);
            }
            assertThat(top).as("the rules score some item").isPositive();
            assertStandardised(members[5], rules, "sequential rules");
            MmlModel.FusedScores served = null;
            // the chosen blend, one that gives every member a part, and ones that weigh learners by 0 (serving does
            // not run those learners): served scores are the searched sums
            for (BlendWeights blend : List.of(choice.blend(), new BlendWeights(0.5, 1, 0.5, 1, 2, 1),
                    new BlendWeights(1, 0.5, 0, 1, 2, 1), new BlendWeights(0, 0, 0, 1, 1, 0.5))) {
                double[] w = blend.normalised();
                MmlModel.FusedScores scores = model.recommender(MmlModel.Variant.CF, 1, 0.5, blend).fusedScores(user);
                for (int i = 1; i < members[0].length; i++) {
                    double blended = 0;
                    for (int l = 0; l < BlendWeights.MEMBERS; l++) {
                        blended += w[l] * members[l][i];
                    }
                    assertThat((double) scores.scores()[i]).as("item %d", i).isCloseTo(blended, Offset.offset(1e-4));
                }
                assertThat(scores.weights()).containsExactly((float) w[0], (float) w[1], (float) w[2], (float) w[3],
                        (float) w[4], (float) w[5]);
                served = served == null ? scores : served;
            }

            Path saved = ModelDirectory.save(home.resolve("cf"), SMALL, data, Map.of(), model.parameters(), choice);
            ModelDirectory.Loaded loaded = ModelDirectory.load(saved, m);
            assertThat(loaded.manifest().servingAdaptation()).isEqualTo(choice);
            MmlModel restored = new MmlModel(data, f, SMALL, s, m);
            restored.restore(loaded.groups(), 3);
            assertThat(restored.recommender(MmlModel.Variant.CF, 1, 0.5, choice.blend()).scores(user))
                    .containsExactly(served.scores(), Offset.offset(1e-5f));

            // a model saved before the sequential rules: their member is zero, the others rank as before
            Map<String, Params> before = new HashMap<>(loaded.groups());
            before.remove("sequential");
            MmlModel older = new MmlModel(data, f, SMALL, s, m);
            older.restore(before, 3);
            float[][] olderMembers = older.standardisedMembersAtSteps(List.of(user), new int[] {1}, 0.5).get(0).get(0);
            assertThat(olderMembers[5]).containsOnly(0f);
            for (int l = 0; l < 5; l++) {
                assertThat(olderMembers[l]).containsExactly(members[l], Offset.offset(1e-5f));
            }
        }
    }

    /** {@code member} is {@code raw} standardised over the items (Eq. 9). */
    private static void assertStandardised(float[] member, float[] raw, String what) {
        double mean = 0;
        for (float x : raw) {
            mean += x / raw.length;
        }
        double var = 0;
        for (float x : raw) {
            var += (x - mean) * (x - mean) / raw.length;
        }
        for (int i = 0; i < raw.length; i++) {
            assertThat((double) member[i]).as("%s, item %d", what, i)
                    .isCloseTo((raw[i] - mean) / Math.sqrt(var + 1e-5), Offset.offset(1e-3));
        }
    }
}
