package dev.kindling.meta.mml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.kindling.meta.evaluation.EvaluationCase;

class BlendWeightsTest {

    @Test
    void theGridStartsWithTheCollaborativeLearnerAloneAndHoldsNoBlendTwice() {
        List<BlendWeights> grid = BlendWeights.grid();
        assertThat(grid).hasSize(27);
        assertThat(grid.get(0)).isEqualTo(new BlendWeights(0, 0, 0, 1));
        assertThat(new HashSet<>(grid.stream().map(b -> List.of(b.normalised()[0], b.normalised()[1],
                b.normalised()[2], b.normalised()[3])).toList())).hasSize(27);
    }

    @Test
    void normalisedWeightsSumToOne() {
        assertThat(new BlendWeights(1, 0.5, 0, 1).normalised()).containsExactly(0.4, 0.2, 0, 0.4);
        assertThat(BlendWeights.EQUAL.normalised()).containsExactly(0.25, 0.25, 0.25, 0.25);
    }

    @Test
    void weightsMustBeNonNegativeAndNotAllZero() {
        assertThatThrownBy(() -> new BlendWeights(-1, 0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(Double.NaN, 0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlendWeights(0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Users whose relevant items the text member scores higher, the others being noise: the search keeps the text
     * learner at full weight and drops the noisy learners (the collaborative learner's weight is fixed at 1).
     */
    @Test
    void theSearchChoosesTheMemberThatRanksTheRelevantItems() {
        int items = 60;
        Random random = new Random(7);
        List<BlendWeights> grid = BlendWeights.grid();
        AdaptationTuning.BlendSearch search = new AdaptationTuning.BlendSearch(grid, 40);
        for (int u = 0; u < 40; u++) {
            int[] support = {1 + random.nextInt(10), 11 + random.nextInt(10)};
            int[] relevant = {21 + random.nextInt(10), 31 + random.nextInt(10), 41 + random.nextInt(19)};
            float[][] members = new float[4][items + 1];
            for (float[] m : members) {
                for (int i = 1; i <= items; i++) {
                    m[i] = (float) random.nextGaussian();
                }
            }
            for (int r : relevant) {
                members[1][r] += 2.5f;
            }
            search.add(u, members, new EvaluationCase(support, relevant, false));
        }
        BlendWeights best = search.best();
        assertThat(best).isEqualTo(new BlendWeights(0, 1, 0, 1));
        double[] chosen = search.ndcg10(best);
        double[] alone = search.ndcg10(grid.get(0));
        assertThat(mean(chosen)).as("the text blend against the collaborative learner alone")
                .isGreaterThan(mean(alone) + 0.2);
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }
}
