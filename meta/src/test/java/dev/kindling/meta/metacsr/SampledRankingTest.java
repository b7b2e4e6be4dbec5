package dev.kindling.meta.metacsr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The protocol's candidates and per-user metrics on scores whose ranks are known. */
class SampledRankingTest {
    private static final int ITEMS = 300;

    private static ColdUser user(int target, int... touched) {
        return new ColdUser("u" + target, new int[] {touched[0]}, target, Arrays.stream(touched).sorted().toArray());
    }

    @Test
    void negativesAreDistinctNeverTouchedAndTheSameForEveryMethod() {
        ColdUser u = user(7, 7, 1, 2, 3);
        SampledRanking a = new SampledRanking(List.of(u), ITEMS, 5);
        // score = item index: the target 7 beats the negatives below it; every negative is untouched and distinct
        Map<String, double[]> byIndex = a.score(sequence -> {
            float[] scores = new float[ITEMS + 1];
            for (int i = 0; i <= ITEMS; i++) {
                scores[i] = i;
            }
            return scores;
        });
        // negatives below 7 are 4, 5, 6 at most (1-3 are touched): AUC = below / 100
        double auc = byIndex.get("auc")[0];
        assertThat(auc * SampledRanking.NEGATIVES).isBetween(0.0, 3.0);
        assertThat(byIndex.get("map")[0]).isCloseTo(1.0 / (1 + Math.round((1 - auc) * SampledRanking.NEGATIVES)),
                within(1e-12));
        assertThat(new SampledRanking(List.of(u), ITEMS, 5).score(sequence -> constant(7))
                .get("auc")[0]).as("same seed, same candidates").isEqualTo(
                a.score(sequence -> constant(7)).get("auc")[0]);
    }

    private static float[] constant(int best) {
        float[] scores = new float[ITEMS + 1];
        scores[best] = 1;
        return scores;
    }

    @Test
    void metricsFollowTheRank() {
        ColdUser u = user(9, 9, 4);
        SampledRanking ranking = new SampledRanking(List.of(u), ITEMS, 1);
        Map<String, double[]> top = ranking.score(sequence -> constant(9));
        assertThat(top.get("auc")[0]).isEqualTo(1.0);
        assertThat(top.get("map")[0]).isEqualTo(1.0);
        assertThat(top.get("hit@1")[0]).isEqualTo(1.0);
        assertThat(top.get("ndcg@1")[0]).isEqualTo(1.0);
        // every score equal: a tie with all 100 negatives: AUC one half, rank 101 (ties count against the target)
        Map<String, double[]> tied = ranking.score(sequence -> new float[ITEMS + 1]);
        assertThat(tied.get("auc")[0]).isCloseTo(0.5, within(1e-12));
        assertThat(tied.get("map")[0]).isCloseTo(1.0 / 101, within(1e-12));
        assertThat(tied.get("hit@20")[0]).isEqualTo(0.0);
        assertThat(SampledRanking.metrics()).hasSize(42).startsWith("auc", "map", "hit@1");
    }
}
