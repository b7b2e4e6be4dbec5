package dev.kindling.meta.maml;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.SyntheticWalks;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

class TrainingProgressTest {
    @Test
    void stagesAddUpAndAnEarlyStopCountsTheRestAsDone() {
        List<TrainingProgress.Snapshot> seen = new ArrayList<>();
        TrainingProgress p = new TrainingProgress(seen::add);
        p.plan("pre-training", 10);
        p.plan("fusion", 5);
        assertThat(p.snapshot()).isEqualTo(new TrainingProgress.Snapshot(0, 15, ""));
        p.advance("pre-training");
        p.advance("pre-training");
        assertThat(p.snapshot().fraction()).isEqualTo(2.0 / 15);
        p.finish("pre-training"); // early stopping after 2 of 10
        assertThat(p.snapshot()).isEqualTo(new TrainingProgress.Snapshot(10, 15, "pre-training"));
        p.plan("pre-training", 10); // planned again: what was done stays done
        assertThat(p.snapshot().done()).isEqualTo(10);
        for (int i = 0; i < 7; i++) {
            p.advance("fusion"); // more than planned do not count
        }
        assertThat(p.snapshot()).isEqualTo(new TrainingProgress.Snapshot(15, 15, "fusion"));
        assertThat(seen).extracting(TrainingProgress.Snapshot::done).isSorted();
    }

    @Test
    void concurrentStagesCountEveryEpoch() throws Exception {
        TrainingProgress p = new TrainingProgress(s -> { });
        p.plan("a", 500);
        p.plan("b", 500);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        for (String stage : List.of("a", "b")) {
            pool.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    p.advance(stage);
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.snapshot().done()).isEqualTo(1000);
    }

    @Test
    void mmlTrainingReportsEveryStageToTheEnd() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            MetaDataset data = SyntheticWalks.dataset(30, 40, 1);
            ItemFeatures f = ItemFeatures.random(m, 30, 6, 5, 0.3, 2, DataType.FLOAT32);
            MmlModel model = new MmlModel(data, f, new LearnerConfig(8, 1, 2, 16, 0.1, 12),
                    new Scalars(m, DataType.FLOAT32), m);
            List<TrainingProgress.Snapshot> seen = Collections.synchronizedList(new ArrayList<>());
            TrainingProgress progress = new TrainingProgress(seen::add);
            new MmlTraining(model, MmlTraining.Options.NONE.withPretraining(2).withProgress(progress))
                    .train(new Training.MamlSettings(2, 8, 1, 0.1, 1e-3, false),
                            new MmlTraining.Stages(1, 2, 0.2, 3, 1e-3, 1e-3), 7, msg -> { });
            // three learners x (2 pre-training + 2 meta-training epochs), 1 generator epoch, 2 fusion epochs
            assertThat(progress.snapshot()).isEqualTo(new TrainingProgress.Snapshot(15, 15, "training the fusion"));
            assertThat(seen).extracting(TrainingProgress.Snapshot::stage).contains("pre-training the main learner",
                    "meta-training the text learner", "training the generator");
            assertThat(seen.stream().filter(s -> s.done() > 0 && s.done() < 15)).as("steps in between").isNotEmpty();
        }
    }
}
