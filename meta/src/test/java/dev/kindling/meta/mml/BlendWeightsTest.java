package dev.kindling.meta.mml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        assertThat(grid).hasSize(108);
        assertThat(grid.get(0)).isEqualTo(new BlendWeights(0, 0, 0, 1, 0));
        assertThat(new HashSet<>(grid.stream().map(b -> Arrays.stream(b.normalised()).boxed().toList()).toList()))
                .hasSize(108);
        assertThat(grid).allMatch(b -> b.collaborative() == 1);
    }

    @Test
    void theGridWithoutLearnersWeighsOnlyEaseAndContentSimilarity() {
        assertThat(BlendWeights.gridWithoutLearners()).containsExactly(new BlendWeights(0, 0, 0, 1, 0),
                new BlendWeights(0, 0, 0, 1, 1), new BlendWeights(0, 0, 0, 1, 2), new BlendWeights(0, 0, 0, 1, 3));
    }

    /** model.json of models saved before content similarity joined: its weight reads as 0, the blend as it was. */
    @Test
    void aBlendSavedWithFourMembersReadsWithoutContentSimilarity() throws Exception {
        BlendWeights old = new ObjectMapper().readValue("{\"id\":0.5,\"text\":1.0,\"image\":0.0,"
                + "\"collaborative\":1.0}", BlendWeights.class);
        assertThat(old).isEqualTo(new BlendWeights(0.5, 1, 0, 1, 0));
        assertThat(old.normalised()).containsExactly(0.2, 0.4, 0, 0.4, 0);
    }

    @Test
    void normalisedWeightsSumToOne() {
        assertThat(new BlendWeights(1, 0.5, 0, 1, 2.5).normalised()).containsExactly(0.2, 0.1, 0, 0.2, 0.5);
        assertThat(BlendWeights.EQUAL.normalised()).containsExactly(0.2, 0.2, 0.2, 0.2, 0.2);
    }

    @Test
    void weightsMustBeNonNegativeAndNotAllZero() {
        assertThatThrownBy(() -> new BlendWeights(-1, 0, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(Double.NaN, 0, 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(0, 0, 0, 1, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(0, 0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
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
        assertThat(best).isEqualTo(new BlendWeights(0, 1, 0, 1, 0));
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
