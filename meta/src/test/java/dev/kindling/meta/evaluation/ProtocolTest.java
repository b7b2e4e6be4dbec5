package dev.kindling.meta.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kindling.meta.UserSequence;

/** The evaluation's queries and metrics, on hand-made users whose answers are known. */
class ProtocolTest {
    /** Items 1..14 in order; items 10 and 11 (the 10th and 11th interactions) share a timestamp, as do 8 and 9. */
    private static UserSequence user() {
        int[] items = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        long[] ts = {1, 2, 3, 4, 5, 6, 7, 8, 8, 10, 10, 12, 13, 14};
        return new UserSequence("u", items, ts);
    }

    private static float[] ranking(int... best) {
        float[] scores = new float[31];
        for (int i = 1; i < scores.length; i++) {
            scores[i] = -i; // a fixed order for the rest: low indices first
        }
        for (int r = 0; r < best.length; r++) {
            scores[best[r]] = 100 - r;
        }
        return scores;
    }

    @Test
    void anItemSharingTheTargetsTimestampCountsAsAHit() {
        EvaluationCase q = Protocol.NEXT_ITEM.query(user(), 10);
        assertThat(q.support()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(q.relevant()).as("the 10th item and the 11th, at the same second").containsExactly(10, 11);
        // the model puts 11 first: ranked by time and then by id, 11 comes after 10, but the order between them is
        // not information, so it is a hit at rank 1
        Map<String, Double> v = RankingMetrics.score(ranking(11, 20, 10), q);
        assertThat(v.get("ndcg@10")).isEqualTo(1.0);
        assertThat(v.get("mrr@10")).isEqualTo(1.0);
        // only the target itself would have been at rank 3
        assertThat(RankingMetrics.score(ranking(20, 21, 10), q).get("ndcg@10"))
                .isCloseTo(1 / (Math.log(4) / Math.log(2)), within(1e-12));
    }

    @Test
    void aTiedItemAlreadyInTheSupportIsNotAnAnswer() {
        // k = 9: the 9th interaction (item 9) shares its timestamp with item 8, which is in the support
        EvaluationCase q = Protocol.NEXT_ITEM.query(user(), 9);
        assertThat(q.relevant()).containsExactly(9);
    }

    @Test
    void nextNHoldsTheNextTenDistinctItemsNotInTheSupport() {
        int[] items = {1, 2, 3, 4, 5, 3, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
        long[] ts = new long[items.length];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = i;
        }
        EvaluationCase q = Protocol.NEXT_N.query(new UserSequence("u", items, ts), 5);
        assertThat(q.support()).containsExactly(1, 2, 3, 4);
        // interactions 5..14: 5, 3 (a repeat of a support item: left out), 6, 6 (once), 7, 8, 9, 10, 11, 12
        assertThat(q.relevant()).containsExactly(5, 6, 7, 8, 9, 10, 11, 12);
        assertThat(q.anyHit()).isFalse();
        assertThat(RankingMetrics.score(ranking(5, 6, 7, 8, 9, 10, 11, 12), q).get("ndcg@10")).isCloseTo(1.0,
                within(1e-12));
        // half of them, at the top: DCG of ranks 0..3 over the ideal DCG of 8 relevant items
        double dcg = 0;
        double ideal = 0;
        for (int r = 0; r < 8; r++) {
            ideal += 1 / (Math.log(r + 2) / Math.log(2));
            dcg += r < 4 ? 1 / (Math.log(r + 2) / Math.log(2)) : 0;
        }
        float[] half = ranking(5, 6, 7, 8);
        for (int i : new int[] {9, 10, 11, 12}) {
            half[i] = -1000; // last
        }
        Map<String, Double> v = RankingMetrics.score(half, q);
        assertThat(v.get("ndcg@10")).isCloseTo(dcg / ideal, within(1e-12));
        assertThat(v.get("recall@10")).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void tiesInTheScoresCountHalfSoAConstantScorerIsNoBetterThanChance() {
        EvaluationCase q = Protocol.NEXT_ITEM.query(user(), 5);
        float[] flat = new float[31];
        Map<String, Double> v = RankingMetrics.score(flat, q);
        // 25 other rankable items (30 less the 4 support items and the target) tie with it: half of them, 12, above
        assertThat(v.get("ndcg@20")).isCloseTo(1 / (Math.log(14) / Math.log(2)), within(1e-12));
        assertThat(v.get("ndcg@10")).isZero();
    }

    @Test
    void bootstrapIntervalsAreSeededAndPairedDifferencesOfTheSameValuesAreZero() {
        double[] values = new double[200];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 7 == 0 ? 1 : 0;
        }
        Bootstrap.Interval a = Bootstrap.mean95(values);
        assertThat(Bootstrap.mean95(values)).isEqualTo(a);
        double mean = Arrays.stream(values).average().orElseThrow();
        assertThat(a.low()).isLessThan(mean);
        assertThat(a.high()).isGreaterThan(mean);
        assertThat(Bootstrap.difference95(values, values)).isEqualTo(new Bootstrap.Interval(0, 0));
    }
}
