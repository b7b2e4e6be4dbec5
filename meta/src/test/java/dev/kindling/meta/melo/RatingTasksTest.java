package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

import dev.kindling.core.domain.Interaction;

/** The authors' cut: filters, the user split, windows, support and query. */
class RatingTasksTest {

    private static RatedUser user(int n) {
        int[] items = new int[n];
        double[] ratings = new double[n];
        for (int i = 0; i < n; i++) {
            items[i] = i + 1;
            ratings[i] = 1 + i % 5;
        }
        return new RatedUser("u" + n, items, ratings);
    }

    @Test
    void latestWindowIsTheLast30WithUpTo3QueryPositions() {
        RatingTask t = RatingTasks.latestWindow(user(45));
        assertThat(t.length()).isEqualTo(30);
        assertThat(t.items()[0]).isEqualTo(16);
        assertThat(t.items()[29]).isEqualTo(45);
        assertThat(t.querySize()).isEqualTo(3);
        assertThat(t.supportSize()).isEqualTo(27);

        RatingTask shortOne = RatingTasks.latestWindow(user(5));
        assertThat(shortOne.length()).isEqualTo(5);
        assertThat(shortOne.querySize()).isEqualTo(3);
        assertThat(shortOne.supportSize()).isEqualTo(2);
        RatingTask four = RatingTasks.latestWindow(user(4));
        assertThat(four.querySize()).isEqualTo(2);
        assertThat(four.supportSize()).isEqualTo(2);
    }

    @Test
    void historyWindowsPredictEveryRatingFromTheThirdOnce() {
        for (int n : new int[] {5, 6, 31, 47}) {
            List<RatingTask> windows = RatingTasks.historyWindows(user(n));
            List<Integer> queried = new ArrayList<>();
            for (RatingTask t : windows) {
                assertThat(t.length()).isLessThanOrEqualTo(30);
                assertThat(t.supportSize()).isGreaterThanOrEqualTo(2);
                for (int k = t.queryStart(); k < t.length(); k++) {
                    queried.add(t.items()[k]);
                }
            }
            assertThat(queried).as("n = %d", n).hasSize(n - 2).doesNotHaveDuplicates()
                    .allMatch(item -> item >= 3 && item <= n);
        }
    }

    @Test
    void randomWindowsAreContiguousAndCoverTheHistory() {
        RatedUser u = user(50);
        Random random = new Random(1);
        Set<Integer> starts = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            RatingTask t = RatingTasks.randomWindow(u, random);
            assertThat(t.length()).isEqualTo(30);
            for (int k = 1; k < t.length(); k++) {
                assertThat(t.items()[k]).isEqualTo(t.items()[k - 1] + 1);
            }
            assertThat(t.querySize()).isEqualTo(3);
            starts.add(t.items()[0]);
        }
        assertThat(starts).hasSize(21); // every start 1..21
    }

    @Test
    void batchHidesQueryRatingsFromTheWeightingModel() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            RatingBatch b = RatingBatch.of(List.of(RatingTasks.latestWindow(user(6)),
                    RatingTasks.latestWindow(user(4))), m, DataType.FLOAT32);
            assertThat(b.items().toLongArray()).containsExactly(1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 0, 0);
            assertThat(b.codes().toLongArray()).containsExactly(2, 4, 6, 0, 0, 0, 2, 4, 0, 0, 0, 0);
            assertThat(b.support().toFloatArray()).containsExactly(1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0);
            assertThat(b.query().toFloatArray()).containsExactly(0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0);
            assertThat(b.targets().toFloatArray()[5]).isEqualTo(1f / 5f);
        }
    }

    @Test
    void cutFiltersItemsThenUsersAndSplitsUsersDisjointly() {
        List<Interaction> interactions = new ArrayList<>();
        Random random = new Random(3);
        // 200 users; items 0-9 popular, item "rare" rated by few; user "thin" has 4 popular ratings only
        for (int u = 0; u < 200; u++) {
            for (int k = 0; k < 8; k++) {
                interactions.add(new Interaction("user" + u, "item" + random.nextInt(10), 1.0 + random.nextInt(5),
                        Instant.ofEpochSecond(1000L * u + k), "rating"));
            }
        }
        interactions.add(new Interaction("user1", "rare", 5.0, Instant.ofEpochSecond(5), "rating"));
        for (int k = 0; k < 4; k++) {
            interactions.add(new Interaction("thin", "item" + k, 3.0, Instant.ofEpochSecond(k), "rating"));
        }
        interactions.add(new Interaction("thin", "item9", null, Instant.ofEpochSecond(9), "click"));
        RatingDataset.Options options = new RatingDataset.Options(50, 5, 0.2, 0.15, 42);
        RatingDataset data = RatingDataset.cut(interactions, options);
        assertThat(data.itemIds()).doesNotContain("rare").contains("item0", "item9");
        assertThat(data.items()).isEqualTo(10);
        Set<String> all = new HashSet<>();
        data.train().forEach(u -> all.add(u.userId()));
        data.validation().forEach(u -> all.add(u.userId()));
        data.test().forEach(u -> all.add(u.userId()));
        assertThat(all).hasSize(200).doesNotContain("thin");
        assertThat(data.test()).hasSize(40);
        assertThat(data.validation()).hasSize(24);
        assertThat(data.train()).hasSize(136);
        RatedUser one = data.train().stream().filter(u -> u.userId().equals("user1")).findFirst()
                .or(() -> data.test().stream().filter(u -> u.userId().equals("user1")).findFirst())
                .orElseGet(() -> data.validation().stream().filter(u -> u.userId().equals("user1")).findFirst()
                        .orElseThrow());
        assertThat(one.length()).isEqualTo(8); // the rare item's rating dropped
        // the same seed, the same split
        assertThat(RatingDataset.cut(interactions, options).test()).extracting(RatedUser::userId)
                .containsExactlyElementsOf(data.test().stream().map(RatedUser::userId).toList());
    }
}
