package dev.kindling.meta.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.SyntheticWalks;
import dev.kindling.tensor.DjlRuntime;

/** EASE's served form: each item's row pruned to its weights largest in magnitude, negative ones included. */
class EaseRecommenderTest {
    @Test
    void servedListsKeepEachRowsLargestWeightsInMagnitudeNegativeOnesIncluded() {
        DjlRuntime.ensureOffline();
        MetaDataset data = SyntheticWalks.dataset(40, 80, 2);
        CoOccurrence co = new CoOccurrence(data.oldUsers(), data.itemCount());
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            EaseRecommender ease = EaseRecommender.fit(co, 10, 20_000, m);
            NeighbourLists all = ease.sparsify(data.itemCount());
            NeighbourLists few = ease.sparsify(5);
            int negativesKept = 0;
            for (int i = 1; i <= data.itemCount(); i++) {
                float[] row = ease.scores(new int[] {i}); // B's row i
                float[] whole = all.scores(new int[] {i});
                for (int j = 1; j <= data.itemCount(); j++) {
                    assertThat(whole[j]).as("every nonzero weight kept: the dense row").isCloseTo(row[j], within(0f));
                }
                if (few.neighbours()[i] == null) {
                    continue;
                }
                int[] expected = IntStream.rangeClosed(1, data.itemCount()).filter(j -> row[j] != 0).boxed()
                        .sorted(Comparator.comparingDouble(j -> -Math.abs(row[j]))).limit(5).mapToInt(j -> j)
                        .sorted().toArray();
                int[] kept = Arrays.stream(few.neighbours()[i]).sorted().toArray();
                assertThat(kept).as("item %d's five largest in magnitude", i).containsExactly(expected);
                for (float w : few.weights()[i]) {
                    negativesKept += w < 0 ? 1 : 0;
                }
            }
            assertThat(negativesKept).as("negative weights are kept where they are among the largest").isPositive();
        }
    }
}
