package dev.kindling.index.milvus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;
import dev.kindling.core.index.Metric;

/** Filter trees to Milvus expressions, without a server: escaping, null guards, type checks. */
class MilvusFilterTranslatorTest {
    private final MilvusFilterTranslator translator = new MilvusFilterTranslator(new CollectionSpec("films", 4,
            Metric.COSINE, Map.of("genre", AttributeType.STRING, "year", AttributeType.LONG)));

    @Test
    void everythingIsTheEmptyExpression() {
        assertThat(translator.translate(Filter.all())).isEmpty();
        assertThat(translator.translate(Filter.and())).isEmpty();
        assertThat(translator.translate(Filter.and(Filter.all(), Filter.and()))).isEmpty();
        assertThat(translator.translate(Filter.not(Filter.all()))).isEqualTo("_id == \"\"");
    }

    @Test
    void comparisonsAreGuardedAgainstMissingValues() {
        assertThat(translator.translate(Filter.eq("genre", "drama")))
                .isEqualTo("(genre is not null and genre == \"drama\")");
        assertThat(translator.translate(Filter.eq("year", 2001)))
                .isEqualTo("(year is not null and year == 2001)");
        assertThat(translator.translate(Filter.in("year", List.of(1990, -5L))))
                .isEqualTo("(year is not null and year in [1990, -5])");
        assertThat(translator.translate(Filter.range("year", 2000L, null)))
                .isEqualTo("(year is not null and year >= 2000)");
        assertThat(translator.translate(Filter.not(Filter.and(Filter.eq("genre", "drama"),
                Filter.range("year", 1990L, 1999L))))).isEqualTo("not (((genre is not null and genre == \"drama\") "
                + "and (year is not null and year >= 1990 and year <= 1999)))");
    }

    @Test
    void stringLiteralsAreEscaped() {
        assertThat(MilvusFilterTranslator.quoted("plain")).isEqualTo("\"plain\"");
        assertThat(MilvusFilterTranslator.quoted("a\"b\\c\nd\re\tf'g")).isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf'g\"");
        assertThat(translator.translate(Filter.eq("genre", "x\" or _id != \"")))
                .isEqualTo("(genre is not null and genre == \"x\\\" or _id != \\\"\")");
        assertThat(translator.translate(Filter.in("genre", List.of("a\\", "\"")))).isEqualTo(
                "(genre is not null and genre in [\"a\\\\\", \"\\\"\"])");
    }

    @Test
    void theSmallestLongHasNoLiteralAndIsWrittenAsAComparison() {
        assertThat(translator.translate(Filter.eq("year", Long.MIN_VALUE)))
                .isEqualTo("(year is not null and year < -9223372036854775807)");
        assertThat(translator.translate(Filter.in("year", List.of(Long.MIN_VALUE, 3L))))
                .isEqualTo("(year is not null and (year == 3 or year < -9223372036854775807))");
        assertThat(translator.translate(Filter.range("year", Long.MIN_VALUE, Long.MAX_VALUE)))
                .isEqualTo("(year is not null)");
        assertThat(translator.translate(Filter.range("year", null, Long.MIN_VALUE)))
                .isEqualTo("(year is not null and year < -9223372036854775807)");
    }

    @Test
    void unknownAttributesAndWrongTypesAreRefused() {
        for (Filter bad : List.of(Filter.eq("studio", "x"), Filter.eq("genre", 5L), Filter.eq("year", "2001"),
                Filter.in("year", List.of(2001L, "2002")), Filter.range("genre", 1L, 2L),
                Filter.not(Filter.and(Filter.eq("year", "x"))))) {
            assertThatThrownBy(() -> translator.translate(bad)).as("%s", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("films");
        }
    }
}
