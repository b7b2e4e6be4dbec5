package dev.kindling.encoders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kindling.core.domain.Item;

class ItemTextTest {
    private final Item toyStory = new Item("1", "Toy Story (1995)", "", null,
            List.of("Adventure", "Animation"), List.of("pixar"), Map.of("year", "1995"));

    @Test
    void theTitleLeavesItsYearToTheYearField() {
        assertThat(new ItemText(List.of("title", "categories", "tags", "description")).of(toyStory))
                .isEqualTo("Toy Story. Adventure, Animation. pixar");
        assertThat(new ItemText(List.of("fullTitle", "attribute:year")).of(toyStory))
                .isEqualTo("Toy Story (1995). 1995");
    }

    @Test
    void onlyATrailingYearInParenthesesGoes() {
        assertThat(ItemText.withoutYear("Blade Runner 2049 (2017)")).isEqualTo("Blade Runner 2049");
        assertThat(ItemText.withoutYear("City of Lost Children, The (Cité des enfants perdus, La) (1995)"))
                .isEqualTo("City of Lost Children, The (Cité des enfants perdus, La)");
        assertThat(ItemText.withoutYear("1984 (1984)")).isEqualTo("1984");
        assertThat(ItemText.withoutYear("(2019)")).as("nothing else to keep").isEqualTo("(2019)");
        assertThat(ItemText.withoutYear("2001: A Space Odyssey")).isEqualTo("2001: A Space Odyssey");
        assertThat(ItemText.withoutYear("Babylon 5 (TV)")).isEqualTo("Babylon 5 (TV)");
    }

    @Test
    void unknownFieldsAreRefused() {
        assertThatThrownBy(() -> new ItemText(List.of("colour")).of(toyStory)).hasMessageContaining("colour");
    }
}
