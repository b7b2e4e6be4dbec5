package dev.kindling.meta.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

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
            if (!query.anyHit() && !Float.isNaN(scores[7])) {
                assertThat(expected.get("ndcg@10")).as("against a direct count").isCloseTo(
                        directNdcg(scores, query, 10), Offset.offset(1e-12));
            }
        }
    }

    /**
     * {@code above} counted directly for each relevant item: competitors strictly above plus half the tied ones (rounded
     * down), every competitor for a NaN score; many ties, NaN among the competitors and the relevant items.
     */
    @Test
    void aboveCountsTheCompetitorsOverEachRelevantItem() {
        Random random = new Random(5);
        for (int round = 0; round < 500; round++) {
            int items = 40;
            float[] scores = new float[items + 1];
            for (int i = 1; i <= items; i++) {
                scores[i] = random.nextInt(10) < 1 ? Float.NaN : random.nextInt(6);
            }
            int[] relevant = random.ints(1 + random.nextInt(10), 1, items + 1).distinct().toArray();
            int[] support = {random.nextInt(items) + 1};
            EvaluationCase query = new EvaluationCase(support, relevant, false);
            Set<Integer> skip = new HashSet<>();
            for (int i : relevant) {
                skip.add(i);
            }
            skip.add(support[0]);
            List<Double> expected = new ArrayList<>();
            for (int r : relevant) {
                int better = 0;
                int ties = 0;
                int competitors = 0;
                for (int i = 1; i <= items; i++) {
                    if (!skip.contains(i)) {
                        competitors++;
                        better += scores[i] > scores[r] ? 1 : 0;
                        ties += scores[i] == scores[r] ? 1 : 0;
                    }
                }
                expected.add(Float.isNaN(scores[r]) ? competitors : (double) (better + ties / 2));
            }
            Collections.sort(expected);
            double[] above = new RankingMetrics.PreparedQuery(query, scores.length).above(scores);
            assertThat(above).as("round %d", round).containsExactly(
                    expected.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    /**
     * NDCG@K written out from the definition, independently of {@code RankingMetrics}: a relevant item's rank is the
     * competitors above it plus half of those tied (rounded down), plus the relevant items placed before it.
     */
    private static double directNdcg(float[] scores, EvaluationCase query, int k) {
        Set<Integer> support = new HashSet<>();
        for (int e : query.support()) {
            support.add(e);
        }
        Set<Integer> relevant = new HashSet<>();
        for (int r : query.relevant()) {
            relevant.add(r);
        }
        List<Integer> above = new ArrayList<>();
        for (int r : relevant) {
            int better = 0;
            int ties = 0;
            for (int i = 1; i < scores.length; i++) {
                if (relevant.contains(i) || support.contains(i)) {
                    continue;
                }
                better += scores[i] > scores[r] ? 1 : 0;
                ties += scores[i] == scores[r] ? 1 : 0;
            }
            above.add(better + ties / 2);
        }
        Collections.sort(above);
        double dcg = 0;
        for (int j = 0; j < above.size(); j++) {
            if (above.get(j) + j < k) {
                dcg += 1 / (Math.log(above.get(j) + j + 2) / Math.log(2));
            }
        }
        double idcg = 0;
        for (int j = 0; j < Math.min(k, relevant.size()); j++) {
            idcg += 1 / (Math.log(j + 2) / Math.log(2));
        }
        return dcg / idcg;
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
