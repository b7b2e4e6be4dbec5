package dev.kindling.meta.maml;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.tensor.DjlRuntime;

/** What adaptation to a user scores each next item against with the softmax loss. */
class ScoredItemsTest {
    NDManager m;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        m = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private static long[] candidates(SequenceBatch batch) {
        return batch.candidates() == null ? null : batch.candidates().toLongArray();
    }

    @Test
    void aLargeCatalogueIsSampledOnceTheSameForEveryUserAloneAndInABatch() {
        Tasks tasks = new Tasks(null, 5_000, 20, DataType.FLOAT32, NextItemLoss.SOFTMAX, 300);
        long[] one = candidates(tasks.adaptation(new int[] {3, 7, 9}, m));
        long[] other = candidates(tasks.adaptation(new int[] {4000, 12, 77, 5}, m));
        long[] batched = candidates(tasks.adaptations(List.of(new int[] {3, 7, 9}, new int[] {1, 2}), m));
        assertThat(one).hasSize(300).doesNotHaveDuplicates().isSorted().isEqualTo(other).isEqualTo(batched);
        assertThat(Arrays.stream(one).min().orElseThrow()).isGreaterThanOrEqualTo(1);
        assertThat(Arrays.stream(one).max().orElseThrow()).isLessThanOrEqualTo(5_000);
        // spread over the catalogue, not a block of it
        assertThat(Arrays.stream(one).filter(i -> i <= 2_500).count()).isBetween(100L, 200L);
        // the same sample for a model's tasks made again (serving after a restart adapts as before)
        assertThat(candidates(new Tasks(null, 5_000, 20, DataType.FLOAT32, NextItemLoss.SOFTMAX, 300)
                .adaptation(new int[] {1, 2}, m))).isEqualTo(one);
    }

    @Test
    void removedItemsAreNeverSampledAndASmallCatalogueIsScoredWhole() {
        Tasks tasks = new Tasks(null, 1_000, 20, DataType.FLOAT32, NextItemLoss.SOFTMAX, 300);
        int[] removed = java.util.stream.IntStream.rangeClosed(1, 500).toArray();
        long[] left = candidates(tasks.without(removed).adaptation(new int[] {600, 700}, m));
        assertThat(left).hasSize(300).doesNotHaveDuplicates();
        assertThat(Arrays.stream(left).allMatch(i -> i > 500 && i <= 1_000)).isTrue();
        assertThat(candidates(new Tasks(null, 300, 20, DataType.FLOAT32, NextItemLoss.SOFTMAX, 300)
                .adaptation(new int[] {1, 2}, m))).as("300 items: every item, no sample").isNull();
        assertThat(candidates(new Tasks(null, 5_000, 20, DataType.FLOAT32, NextItemLoss.SOFTMAX, 0)
                .adaptation(new int[] {1, 2}, m))).as("no sampling asked for").isNull();
    }
}
