package dev.kindling.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import ai.djl.Device;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.ItemVector;
import dev.kindling.encoders.BundledModels;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.ingest.ImportListener;
import dev.kindling.ingest.ImportOptions;
import dev.kindling.ingest.Ingestor;
import dev.kindling.store.JdbcStore;

/** The whole real ml-latest-small catalog (titles, genres, tags) and every real poster, encoded and indexed. */
class SimilarItemsRealDataTest {
    @TempDir
    static Path home;
    static JdbcStore store;
    static VectorIndex index;
    static SimilarItems similar;
    static ItemEncodingPipeline.Report report;
    static Path posters;

    @BeforeAll
    static void build() {
        Path root = Path.of(System.getProperty("kindling.root", "..")).toAbsolutePath().normalize();
        posters = root.resolve("../shared/data/movielens-posters/MovieImages").normalize();
        store = JdbcStore.sqlite(home.resolve("k.db"), "NORMAL");
        index = new LuceneVectorIndex(home.resolve("index"), LuceneIndexSettings.DEFAULT);
        new Ingestor(store, new ImportOptions(10_000, IngestConfig.OnError.FAIL, true, InteractionRules.DEFAULT),
                ImportListener.NONE).importMovieLens(root.resolve("../shared/data/movielens-latest-small").normalize());
        Path[] minilm = BundledModels.miniLm(root.resolve("generator/target/model-cache"));
        try (TextEncoder text = new TextEncoder(minilm[0], minilm[1], BundledModels.MINILM, 256, 32, Device.cpu());
             ImageEncoder image = new ImageEncoder(root.resolve(ImageEncoder.SHARED_MOBILENET).normalize(), "mobilenet",
                     16, Device.cpu())) {
            report = new ItemEncodingPipeline(store, index, text, image,
                    new ItemText(List.of("title", "categories", "tags", "description")))
                    .run(posters, 0, ItemEncodingPipeline.Listener.NONE);
        }
        similar = new SimilarItems(index);
    }

    @AfterAll
    static void close() {
        index.close();
        store.close();
    }

    @Test
    void toyStoryTextNeighboursIncludeToyStory2() {
        List<SimilarItem> neighbours = similar.byModality("1", Modality.TEXT, 10);
        assertThat(neighbours).hasSize(10);
        assertThat(neighbours).extracting(SimilarItem::itemId).contains("3114").doesNotContain("1");
        assertThat(neighbours).isSortedAccordingTo((a, b) -> Double.compare(b.score(), a.score()));
    }

    @Test
    void everyPosterFileYieldsAVector() throws Exception {
        long files;
        try (Stream<Path> list = Files.list(posters)) {
            files = list.filter(p -> p.toString().endsWith(".jpg")).count();
        }
        assertThat(report.items()).isEqualTo(9_742);
        assertThat(report.textEncoded()).isEqualTo(9_742);
        assertThat(report.imagesEncoded()).isEqualTo(files);
        assertThat(report.imageErrors()).isZero();
        assertThat(index.count(Modality.IMAGE.collection())).isEqualTo(files);
        List<ItemVector> rows = store.itemVectors(Modality.IMAGE.key(), null, 100_000).rows();
        assertThat(rows).hasSize((int) files).allMatch(v -> v.vector() != null && v.vector().length == 1280);
    }

    @Test
    void fusedSearchFollowsEquation14() {
        Set<String> withVectors = Modality.BUILT_IN.stream()
                .flatMap(m -> store.itemVectors(m.key(), null, 100_000).rows().stream())
                .filter(v -> v.vector() != null).map(ItemVector::itemId).collect(Collectors.toSet());
        // Star Wars IV has text and a poster: each neighbour's score is the mean of the cosines of shared modalities.
        List<SimilarItem> starWars = similar.fused("260", 10);
        assertThat(starWars).hasSize(10);
        for (SimilarItem n : starWars) {
            assertThat(withVectors).contains(n.itemId());
            double mean = n.byModality().values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertThat(n.score()).isCloseTo(mean, Offset.offset(1e-9));
            Map<Modality, float[]> mine = similar.vectors(n.itemId());
            assertThat(n.byModality().keySet()).isEqualTo(
                    mine.keySet().stream().map(Modality::key).collect(Collectors.toSet()));
        }
        assertThat(starWars).extracting(SimilarItem::itemId).contains("1196", "1210");
        // An item without a poster is compared on text alone: fused equals text ranking.
        String noPoster = "182727";
        assertThat(Files.exists(posters.resolve(noPoster + ".jpg"))).isFalse();
        assertThat(similar.fused(noPoster, 10)).extracting(SimilarItem::itemId)
                .containsExactlyElementsOf(similar.byModality(noPoster, Modality.TEXT, 10).stream()
                        .map(SimilarItem::itemId).toList());
        assertThatThrownBy(() -> similar.fused("no-such-item", 5)).isInstanceOf(NoVectorException.class);
        assertThatThrownBy(() -> similar.byModality(noPoster, Modality.IMAGE, 5)).isInstanceOf(NoVectorException.class)
                .hasMessageContaining("image");
    }
}
