package dev.kindling.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.domain.Item;
import dev.kindling.core.store.StoreStats;
import dev.kindling.store.JdbcStore;

class MovieLensImportTest {
    @TempDir
    Path dir;

    static final ImportOptions OPTIONS = new ImportOptions(10_000, IngestConfig.OnError.FAIL, true, InteractionRules.DEFAULT);

    @Test
    void realLatestSmallImportsExactlyAndIdempotently() {
        try (JdbcStore store = JdbcStore.sqlite(dir.resolve("k.db"), "NORMAL")) {
            Ingestor ingestor = new Ingestor(store, OPTIONS, ImportListener.NONE);
            List<ImportReport> first = ingestor.importMovieLens(SharedData.movieLensSmall());
            assertThat(store.stats()).isEqualTo(new StoreStats(9_742, 610, 100_836));
            assertThat(first).extracting(ImportReport::rowsRead).containsExactly(9_742L, 100_836L);
            assertThat(first).extracting(ImportReport::rejected).containsOnly(0L);
            assertThat(first.get(1).stored()).isEqualTo(100_836);

            List<ImportReport> again = ingestor.importMovieLens(SharedData.movieLensSmall());
            assertThat(store.stats()).isEqualTo(new StoreStats(9_742, 610, 100_836));
            assertThat(again).extracting(ImportReport::stored).containsOnly(0L);
            assertThat(again.get(1).unchanged()).isEqualTo(100_836);

            Item toyStory = store.item("1").orElseThrow();
            assertThat(toyStory.title()).isEqualTo("Toy Story (1995)");
            assertThat(toyStory.categories()).containsExactly("Adventure", "Animation", "Children", "Comedy", "Fantasy");
            assertThat(toyStory.tags()).contains("pixar", "fun");
            assertThat(toyStory.attributes()).containsEntry("year", "1995").containsEntry("imdbId", "0114709")
                    .containsEntry("tmdbId", "862");
            // A quoted title with a comma in it.
            assertThat(store.item("11").orElseThrow().title()).isEqualTo("American President, The (1995)");
            assertThat(store.item("182727").orElseThrow().categories()).as("(no genres listed)").isEmpty();

            List<Interaction> user1 = store.sequence("1");
            assertThat(user1).hasSize(232);
            assertThat(user1).isSortedAccordingTo(Comparator.comparing(Interaction::timestamp));
            assertThat(user1).contains(new Interaction("1", "1", 4.0, Instant.ofEpochSecond(964982703L), "rating"));
        }
    }

    @Test
    void ml100kLayoutWithLatin1Titles() throws Exception {
        Path ml = Files.createDirectories(dir.resolve("ml-100k"));
        String flags = "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
        Files.write(ml.resolve("u.item"), List.of(
                "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)" + flags,
                "2|Misérables, Les (1995)|01-Jan-1995||" + "|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0"),
                StandardCharsets.ISO_8859_1);
        Files.write(ml.resolve("u.user"), List.of("196|49|M|writer|55105", "186|39|F|executive|00000"));
        Files.write(ml.resolve("u.data"), List.of("196\t1\t3\t881250949", "186\t2\t3\t891717742",
                "186\t1\t9\t891717742", "186\t3\t4\t891717743"));
        try (JdbcStore store = JdbcStore.sqlite(dir.resolve("k.db"), "NORMAL")) {
            List<RowError> errors = new ArrayList<>();
            ImportListener listener = new ImportListener() {
                @Override
                public void rowRejected(RowError error) {
                    errors.add(error);
                }
            };
            new Ingestor(store, OPTIONS.withOnError(IngestConfig.OnError.SKIP), listener).importMovieLens(ml);
            assertThat(store.stats()).isEqualTo(new StoreStats(2, 2, 2));
            assertThat(store.item("2").orElseThrow().title()).isEqualTo("Misérables, Les (1995)");
            assertThat(store.item("2").orElseThrow().categories()).containsExactly("Drama");
            assertThat(store.item("1").orElseThrow().categories()).containsExactly("Animation", "Children's", "Comedy");
            assertThat(store.user("196").orElseThrow().attributes()).containsEntry("occupation", "writer");
            assertThat(errors).extracting(RowError::line, RowError::field).containsExactly(
                    Tuple.tuple(3, "rating"), Tuple.tuple(4, "itemId"));
            assertThat(errors.get(0).toString()).contains("u.data:3").contains("rating");
        }
    }

    @Test
    void ml1mLayout() throws Exception {
        Path ml = Files.createDirectories(dir.resolve("ml-1m"));
        Files.write(ml.resolve("movies.dat"), List.of("1::Toy Story (1995)::Animation|Children's|Comedy",
                "2::Jumanji (1995)::Adventure|Children's|Fantasy"), StandardCharsets.ISO_8859_1);
        Files.write(ml.resolve("users.dat"), List.of("1::F::1::10::48067"));
        Files.write(ml.resolve("ratings.dat"), List.of("1::1::5::978300760", "1::2::3::978302109",
                "1::2::3::978302109"));
        try (JdbcStore store = JdbcStore.sqlite(dir.resolve("k.db"), "NORMAL")) {
            List<ImportReport> reports = new Ingestor(store, OPTIONS, ImportListener.NONE).importMovieLens(ml);
            assertThat(store.stats()).isEqualTo(new StoreStats(2, 1, 2));
            assertThat(reports.get(2).unchanged()).as("the duplicate row").isEqualTo(1);
            assertThat(store.user("1").orElseThrow().attributes()).containsEntry("zip", "48067");
            assertThat(store.item("1").orElseThrow().attributes()).containsEntry("year", "1995");
        }
    }
}
