package dev.kindling.meta.metacsr;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.kindling.core.domain.Interaction;
import dev.kindling.meta.UserSequence;

/** The protocol's split, and the validation split that settings are chosen on. */
class CsrSplitTest {
    /** User u<n> has n positives (items 1..n, 5 stars) and one 2-star rating. */
    private static List<Interaction> ratings(int users) {
        List<Interaction> out = new ArrayList<>();
        for (int u = 3; u < 3 + users; u++) {
            for (int i = 1; i <= u; i++) {
                out.add(new Interaction("u" + u, "i" + i, 5.0, Instant.ofEpochSecond(1000L * i), "rating"));
            }
            out.add(new Interaction("u" + u, "i99", 2.0, Instant.ofEpochSecond(1), "rating"));
        }
        return out;
    }

    @Test
    void newUsersHaveTheFewestPositivesKeptToTheirEarliest() {
        CsrSplit split = CsrSplit.cut(ratings(20), CsrSplit.Options.PAPER);
        assertThat(split.cold()).extracting(ColdUser::userId).containsExactly("u3", "u4", "u5", "u6");
        ColdUser u6 = split.cold().get(3);
        assertThat(u6.target()).as("the last of its earliest positives").isEqualTo(split.itemIds().indexOf("i6"));
        assertThat(u6.support()).hasSize(5);
        assertThat(split.regular()).hasSize(16);
    }

    @Test
    void theValidationSplitHoldsOnlyRegularUsersAndCutsThemTheSameWay() {
        List<Interaction> all = ratings(20);
        CsrSplit test = CsrSplit.cut(all, CsrSplit.Options.PAPER);
        CsrSplit validation = CsrSplit.validation(all, CsrSplit.Options.PAPER);
        Set<String> realNew = test.cold().stream().map(ColdUser::userId).collect(Collectors.toSet());
        Set<String> seen = new java.util.HashSet<>();
        validation.regular().stream().map(UserSequence::userId).forEach(seen::add);
        validation.cold().stream().map(ColdUser::userId).forEach(seen::add);
        assertThat(seen).as("no real new user").doesNotContainAnyElementsOf(realNew).hasSize(16);
        assertThat(validation.cold()).as("a fifth of the regular users, those with the fewest positives")
                .extracting(ColdUser::userId).containsExactly("u7", "u8", "u9");
    }
}
