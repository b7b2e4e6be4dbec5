package dev.kindling.meta.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class RankingMetricsTest {

    /** A prepared query (what the blend search scores a hundred rankings with) gives exactly the metrics' values. */
    @Test
    void aPreparedQueryScoresAsTheMetricsDo() {
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            int items = 50;
            float[] scores = new float[items + 1];
            for (int i = 1; i <= items; i++) {
                scores[i] = random.nextInt(8); // coarse: many ties
            }
            if (round % 10 == 0) {
                scores[7] = Float.NaN;
            }
            int[] support = {1 + random.nextInt(items), 1 + random.nextInt(items)};
            int[] relevant = round % 2 == 0 ? new int[] {7} : new int[] {7, 20 + random.nextInt(10), 31, 44};
            EvaluationCase query = new EvaluationCase(support, relevant, round % 4 == 0);
            Map<String, Double> expected = RankingMetrics.score(scores, query);
            RankingMetrics.PreparedQuery prepared = new RankingMetrics.PreparedQuery(query, scores.length);
            double[] above = prepared.above(scores);
            assertThat(prepared.ndcg(above, 10)).isCloseTo(expected.get("ndcg@10"), Offset.offset(1e-12));
            assertThat(prepared.ndcg(above, 5)).isCloseTo(expected.get("ndcg@5"), Offset.offset(1e-12));
            assertThat(prepared.ndcg(above, Integer.MAX_VALUE)).isCloseTo(expected.get("ndcg"), Offset.offset(1e-12));
        }
    }

    /** Relevant items placed first give 1; a relevant item below every other, with one relevant item, 1/log2(n+1). */
    @Test
    void ndcgOfKnownRankings() {
        float[] scores = {0, 5, 4, 3, 2, 1};
        EvaluationCase top = new EvaluationCase(new int[] {}, new int[] {1, 2}, false);
        assertThat(RankingMetrics.score(scores, top).get("ndcg@10")).isEqualTo(1.0);
        EvaluationCase last = new EvaluationCase(new int[] {}, new int[] {5}, false);
        assertThat(RankingMetrics.score(scores, last).get("ndcg")).isCloseTo(1 / (Math.log(6) / Math.log(2)),
                Offset.offset(1e-12));
        assertThat(RankingMetrics.score(scores, last).get("ndcg@3")).isNull();
        assertThat(RankingMetrics.score(scores, last).get("ndcg@5")).isCloseTo(1 / (Math.log(6) / Math.log(2)),
                Offset.offset(1e-12));
    }
}
