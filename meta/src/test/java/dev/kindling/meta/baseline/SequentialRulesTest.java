package dev.kindling.meta.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.kindling.meta.UserSequence;

class SequentialRulesTest {

    private static UserSequence user(String id, int... items) {
        return new UserSequence(id, items, new long[items.length]);
    }

    /** i -> j gains 1/d each time j comes d positions after i, within the window; order matters. */
    @Test
    void aRuleWeighsEachFollowerByHowSoonItCame() {
        SequentialRules rules = SequentialRules.fit(List.of(user("a", 1, 2, 3), user("b", 1, 3), user("c", 3, 1)), 5,
                NeighbourLists.SERVED);
        float[] after1 = rules.scores(new int[] {1});
        assertThat(after1[2]).isCloseTo((float) Math.log1p(1), within(1e-6f)); // a: 2 right after 1
        assertThat(after1[3]).isCloseTo((float) Math.log1p(0.5 + 1), within(1e-6f)); // a: two later, b: next
        assertThat(after1[4]).isZero();
        float[] after3 = rules.scores(new int[] {3});
        assertThat(after3[1]).isCloseTo((float) Math.log1p(1), within(1e-6f)); // c only: 1 never followed 3 elsewhere
        assertThat(after3[2]).isZero();
    }

    @Test
    void followersBeyondTheWindowDoNotCount() {
        int[] long_ = IntStream.rangeClosed(1, SequentialRules.WINDOW + 2).toArray();
        SequentialRules rules = SequentialRules.fit(List.of(user("a", long_)), long_.length, NeighbourLists.SERVED);
        float[] after1 = rules.scores(new int[] {1});
        assertThat(after1[1 + SequentialRules.WINDOW]).isCloseTo((float) Math.log1p(1.0 / SequentialRules.WINDOW),
                within(1e-6f));
        assertThat(after1[2 + SequentialRules.WINDOW]).isZero();
    }

    /** The newest item counts fully, each older one DECAY times less. */
    @Test
    void olderItemsOfTheUserCountLess() {
        SequentialRules rules = SequentialRules.fit(List.of(user("a", 1, 4), user("b", 2, 5), user("c", 3, 6)), 6,
                NeighbourLists.SERVED);
        float[] s = rules.scores(new int[] {1, 2, 3});
        assertThat(s[6]).isCloseTo((float) Math.log1p(1), within(1e-6f));
        assertThat(s[5]).isCloseTo((float) Math.log1p(SequentialRules.DECAY), within(1e-6f));
        assertThat(s[4]).isCloseTo((float) Math.log1p(SequentialRules.DECAY * SequentialRules.DECAY), within(1e-6f));
        assertThat(s[6]).isGreaterThan(s[5]).isGreaterThan(s[4]);
    }

    /** Each item keeps its strongest rules; items added since training have none. */
    @Test
    void eachItemKeepsItsStrongestRules() {
        SequentialRules rules = SequentialRules.fit(List.of(user("a", 1, 2, 3, 4), user("b", 1, 2)), 4, 2);
        assertThat(rules.rules().neighbours()[1]).containsExactly(2, 3); // 2 (1 + 1) and 3 (1/2), not 4 (1/3)
        assertThat(rules.withItemCount(6).scores(new int[] {5, 6})).containsOnly(0f).hasSize(7);
    }
}
