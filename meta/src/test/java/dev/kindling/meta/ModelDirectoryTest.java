package dev.kindling.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/** A small MML trained in all three stages, saved, loaded into a fresh model: same recommendations. */
class ModelDirectoryTest {
    @TempDir
    Path home;

    static MetaDataset synthetic(int items, int users, long seed) {
        Random r = new Random(seed);
        List<String> ids = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 1; i <= items; i++) {
            ids.add("item" + i);
            index.put("item" + i, i);
        }
        List<UserSequence> sequences = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int n = 6 + r.nextInt(8);
            int[] seq = new int[n];
            long[] ts = new long[n];
            int start = 1 + r.nextInt(items);
            for (int i = 0; i < n; i++) {
                seq[i] = 1 + (start + i) % items; // a walk through the catalogue: learnable
                ts[i] = 1_000_000L * u + i;
            }
            sequences.add(new UserSequence("user" + u, seq, ts));
        }
        return MetaDataset.split(ids, index, sequences, 0.8);
    }

    @Test
    void savedModelsLoadBackAndGiveTheSameScores() throws Exception {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            MetaDataset data = synthetic(30, 40, 1);
            ItemFeatures f = ItemFeatures.random(m, 30, 6, 5, 0.3, 2, DataType.FLOAT32);
            LearnerConfig config = new LearnerConfig(8, 1, 2, 16, 0.1, 12);
            MmlModel model = new MmlModel(data, f, config, s, m);
            model.train(new Training.MamlSettings(1, 8, 2, 0.1, 1e-3, false),
                    new MmlModel.Stages(1, 1, 0.2, 3, 1e-3, 1e-3), 7, msg -> { });
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
            float[] before = model.recommender("mml", 0, 0.1, 1).scores(user);
            float[] after = restored.recommender("mml", 0, 0.1, 1).scores(user);
            assertThat(after).containsExactly(before, org.assertj.core.data.Offset.offset(1e-5f));

            Files.writeString(saved.resolve("model.json"), Files.readString(saved.resolve("model.json"))
                    .replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
            assertThatThrownBy(() -> ModelDirectory.load(models, m)).hasMessageContaining("format version 99");
        }
    }
}
