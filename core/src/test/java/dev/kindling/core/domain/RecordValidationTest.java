package dev.kindling.core.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class RecordValidationTest {

    private static void assertInvalid(ThrowingCallable call, String record, String field) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidRecordException.class, e -> {
            assertThat(e.record()).isEqualTo(record);
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).contains(record).contains(field);
        });
    }

    private static final Instant T = Instant.parse("2015-06-01T00:00:00Z");

    @Test
    void emptyIdsAreRefused() {
        assertInvalid(() -> Item.titled("", "x"), "item ", "id");
        assertInvalid(() -> Item.titled(null, "x"), "item <no id>", "id");
        assertInvalid(() -> Item.titled(" a", "x"), "item  a", "id");
        assertInvalid(() -> new Interaction(" ", "i", null, T, null), "interaction user=  item=i", "userId");
        assertInvalid(() -> new Interaction("u", "", null, T, null), "interaction user=u item=", "itemId");
        assertInvalid(() -> User.of(""), "user ", "id");
    }

    @Test
    void badTextIsRefused() {
        assertInvalid(() -> Item.titled("7", "bad \uFFFD byte"), "item 7", "title");
        assertInvalid(() -> Item.titled("7", "half \uD83D pair"), "item 7", "title");
        assertInvalid(() -> new Item("7", "ok", "nul\0", null, null, null, null), "item 7", "description");
        assertInvalid(() -> new Item("7", "ok", "", null, List.of("ok", " "), null, null), "item 7", "categories[1]");
        assertInvalid(() -> new Item("7", "ok", "", "ftp://x/y.jpg", null, null, null), "item 7", "image");
        assertThat(Item.titled("7", "emoji 🎬 fine").title()).contains("🎬");
    }

    @Test
    void validItemNormalisesNulls() {
        Item i = new Item("1", null, null, " ", null, null, null);
        assertThat(i.title()).isEmpty();
        assertThat(i.image()).isNull();
        assertThat(i.categories()).isEmpty();
        assertThat(i.attributes()).isEmpty();
        assertThat(new Item("1", "t", "", "posters/1.jpg", List.of(), List.of(), Map.of()).image())
                .isEqualTo("posters/1.jpg");
        assertThat(new Item("1", "t", "", "C:\\posters\\1.jpg", List.of(), List.of(), Map.of()).image()).isNotNull();
    }

    @Test
    void ratingsMustBeFiniteAndInRange() {
        assertInvalid(() -> new Interaction("u", "i", Double.NaN, T, null), "interaction user=u item=i", "rating");
        Interaction high = new Interaction("u", "i", 7.0, T, null);
        assertInvalid(() -> InteractionRules.DEFAULT.check(high), "interaction user=u item=i", "rating");
        InteractionRules tenPoint = new InteractionRules(1, 10, InteractionRules.DEFAULT.earliest(),
                InteractionRules.DEFAULT.futureMargin());
        assertThat(tenPoint.check(high)).isSameAs(high);
    }

    @Test
    void timestampsMustBePresentAndPlausible() {
        assertInvalid(() -> new Interaction("u", "i", 1.0, null, null), "interaction user=u item=i", "timestamp");
        Interaction zero = new Interaction("u", "i", 1.0, Instant.EPOCH, null);
        assertInvalid(() -> InteractionRules.DEFAULT.check(zero), "interaction user=u item=i", "timestamp");
        Interaction millisAsSeconds = new Interaction("u", "i", 1.0, Instant.ofEpochSecond(1_500_000_000_000L), null);
        assertInvalid(() -> InteractionRules.DEFAULT.check(millisAsSeconds), "interaction user=u item=i", "timestamp");
        Interaction ok = new Interaction("u", "i", 1.0, T, "");
        assertThat(InteractionRules.DEFAULT.check(ok).kind()).isNull();
    }
}
