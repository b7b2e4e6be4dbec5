package dev.kindling.meta.mml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kindling.meta.evaluation.EvaluationCase;

class BlendWeightsTest {

    @Test
    void theGridStartsWithTheCollaborativeLearnerAloneAndHoldsNoBlendTwice() {
        List<BlendWeights> grid = BlendWeights.grid();
        assertThat(grid).hasSize(324);
        assertThat(grid.get(0)).isEqualTo(new BlendWeights(0, 0, 0, 1, 0, 0));
        assertThat(new HashSet<>(grid.stream().map(b -> Arrays.stream(b.normalised()).boxed().toList()).toList()))
                .hasSize(324);
        assertThat(grid).allMatch(b -> b.collaborative() == 1);
    }

    @Test
    void theGridWithoutLearnersWeighsOnlyEaseContentSimilarityAndTheRules() {
        List<BlendWeights> expected = new ArrayList<>();
        for (double sequential : new double[] {0, 0.5, 1}) {
            for (double content : new double[] {0, 1, 2, 3}) {
                expected.add(new BlendWeights(0, 0, 0, 1, content, sequential));
            }
        }
        assertThat(BlendWeights.gridWithoutLearners()).containsExactlyElementsOf(expected);
    }

    /**
     * model.json of models saved before content similarity or the sequential rules joined: their weights read as 0,
     * the blend as it was.
     */
    @Test
    void aBlendSavedWithFewerMembersReadsWithoutTheNewOnes() throws Exception {
        BlendWeights four = new ObjectMapper().readValue("{\"id\":0.5,\"text\":1.0,\"image\":0.0,"
                + "\"collaborative\":1.0}", BlendWeights.class);
        assertThat(four).isEqualTo(new BlendWeights(0.5, 1, 0, 1, 0, 0));
        assertThat(four.normalised()).containsExactly(0.2, 0.4, 0, 0.4, 0, 0);
        BlendWeights five = new ObjectMapper().readValue("{\"id\":0.5,\"text\":1.0,\"image\":0.0,"
                + "\"collaborative\":1.0,\"content\":2.5}", BlendWeights.class);
        assertThat(five).isEqualTo(new BlendWeights(0.5, 1, 0, 1, 2.5, 0));
    }

    @Test
    void normalisedWeightsSumToOne() {
        assertThat(new BlendWeights(1, 0.5, 0, 1, 1.5, 1).normalised()).containsExactly(0.2, 0.1, 0, 0.2, 0.3, 0.2);
        assertThat(BlendWeights.EQUAL.normalised()).containsOnly(1.0 / 6).hasSize(6);
    }

    @Test
    void weightsMustBeNonNegativeAndNotAllZero() {
        assertThatThrownBy(() -> new BlendWeights(-1, 0, 0, 1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(Double.NaN, 0, 0, 1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(0, 0, 0, 1, Double.POSITIVE_INFINITY, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(0, 0, 0, 1, 0, -0.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(0, 0, 0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Users whose relevant items the text member scores higher, the others being noise: the search keeps the text
     * learner at full weight and drops the noisy members (the collaborative learner's weight is fixed at 1).
     */
    @Test
    void theSearchChoosesTheMemberThatRanksTheRelevantItems() {
        List<BlendWeights> grid = BlendWeights.grid();
        AdaptationTuning.BlendSearch search = searchWithSignalIn(1, 2.5f, grid);
        BlendWeights best = search.best();
        assertThat(best).isEqualTo(new BlendWeights(0, 1, 0, 1, 0, 0));
        assertThat(mean(search.ndcg10(best))).as("the text blend against the collaborative learner alone")
                .isGreaterThan(mean(search.ndcg10(grid.get(0))) + 0.2);
    }

    /** The same with the signal in content similarity: its weight goes above the collaborative learner's. */
    @Test
    void theSearchGivesContentSimilarityWeightWhenItRanksTheRelevantItems() {
        List<BlendWeights> grid = BlendWeights.grid();
        AdaptationTuning.BlendSearch search = searchWithSignalIn(4, 1.5f, grid);
        BlendWeights best = search.best();
        assertThat(best.content()).isGreaterThanOrEqualTo(2);
        assertThat(best.content()).isGreaterThan(best.id() + best.text() + best.image());
        assertThat(mean(search.ndcg10(best))).isGreaterThan(mean(search.ndcg10(grid.get(0))) + 0.1);
    }

    /** The same with the signal in the sequential rules: they get the most weight the grid has, the learners none. */
    @Test
    void theSearchGivesTheSequentialRulesWeightWhenTheyRankTheRelevantItems() {
        List<BlendWeights> grid = BlendWeights.grid();
        AdaptationTuning.BlendSearch search = searchWithSignalIn(5, 2.5f, grid);
        BlendWeights best = search.best();
        assertThat(best.sequential()).isEqualTo(1);
        assertThat(best.id() + best.text() + best.image() + best.content()).isZero();
        assertThat(mean(search.ndcg10(best))).isGreaterThan(mean(search.ndcg10(grid.get(0))) + 0.2);
    }

    /** 40 users, every member Gaussian noise except a lift of the relevant items' scores in one member. */
    private static AdaptationTuning.BlendSearch searchWithSignalIn(int member, float lift, List<BlendWeights> grid) {
        int items = 60;
        Random random = new Random(7);
        AdaptationTuning.BlendSearch search = new AdaptationTuning.BlendSearch(grid, 40);
        for (int u = 0; u < 40; u++) {
            int[] support = {1 + random.nextInt(10), 11 + random.nextInt(10)};
            int[] relevant = {21 + random.nextInt(10), 31 + random.nextInt(10), 41 + random.nextInt(19)};
            float[][] members = new float[BlendWeights.MEMBERS][items + 1];
            for (float[] m : members) {
                for (int i = 1; i <= items; i++) {
                    m[i] = (float) random.nextGaussian();
                }
            }
            for (int r : relevant) {
                members[member][r] += lift;
            }
            search.add(u, members, new EvaluationCase(support, relevant, false));
        }
        return search;
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }
}
