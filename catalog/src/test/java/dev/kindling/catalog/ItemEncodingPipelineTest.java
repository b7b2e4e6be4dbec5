package dev.kindling.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.djl.Device;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.domain.Item;
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

/** The encode pipeline on a slice of the real catalog and posters. */
class ItemEncodingPipelineTest {
    static TextEncoder text;
    static ImageEncoder image;

    @TempDir
    Path home;

    @BeforeAll
    static void loadEncoders() {
        Path root = root();
        Path[] minilm = BundledModels.miniLm(root.resolve("catalog/target/model-cache"));
        text = new TextEncoder(minilm[0], minilm[1], BundledModels.MINILM, 128, 32, Device.cpu());
        image = new ImageEncoder(root.resolve(ImageEncoder.SHARED_MOBILENET).normalize(), "mobilenet", 16, Device.cpu());
    }

    @AfterAll
    static void closeEncoders() {
        text.close();
        image.close();
    }

    /** The repository root (the real data lies beside it in ../shared). */
    private static Path root() {
        return Path.of(System.getProperty("kindling.root", "..")).toAbsolutePath().normalize();
    }

    private static List<ItemVector> all(JdbcStore store, Modality m) {
        return store.itemVectors(m.key(), null, 100_000).rows();
    }

    @Test
    void encodesChangedItemsOnlyRecordsBadPicturesAndRebuildsWithoutEncoding() throws Exception {
        Path posters = root().resolve("../shared/data/movielens-posters/MovieImages").normalize();
        Path images = Files.createDirectories(home.resolve("images"));
        try (JdbcStore store = JdbcStore.sqlite(home.resolve("k.db"), "NORMAL");
             VectorIndex index = new LuceneVectorIndex(home.resolve("index"), LuceneIndexSettings.DEFAULT)) {
            new Ingestor(store, new ImportOptions(10_000, IngestConfig.OnError.FAIL, true, InteractionRules.DEFAULT),
                    ImportListener.NONE).importMovieLens(root().resolve("../shared/data/movielens-latest-small").normalize());
            // The first 40 items in id order; six of them with posters: four good, one truncated, one not a picture.
            List<String> withPosters = store.items(null, 40).rows().stream().map(Item::id)
                    .filter(id -> Files.exists(posters.resolve(id + ".jpg"))).limit(6).toList();
            assertThat(withPosters).hasSize(6);
            for (String id : withPosters.subList(0, 4)) {
                Files.copy(posters.resolve(id + ".jpg"), images.resolve(id + ".jpg"));
            }
            String truncatedId = withPosters.get(4);
            String garbageId = withPosters.get(5);
            byte[] poster = Files.readAllBytes(posters.resolve(truncatedId + ".jpg"));
            Files.write(images.resolve(truncatedId + ".jpg"), Arrays.copyOf(poster, poster.length / 2));
            Files.writeString(images.resolve(garbageId + ".jpg"), "not a picture");
            String deletedId = withPosters.get(0);
            String keptId = withPosters.get(1);

            ItemEncodingPipeline pipeline = new ItemEncodingPipeline(store, index, text, image,
                    new ItemText(List.of("title", "categories", "tags")));

            List<String> failed = new ArrayList<>();
            List<Long> progress = new ArrayList<>();
            ItemEncodingPipeline.Report first = pipeline.withPageSize(16).run(images, 40,
                    new ItemEncodingPipeline.Listener() {
                        @Override
                        public void progressed(long itemsDone) {
                            progress.add(itemsDone);
                        }

                        @Override
                        public void failed(Modality modality, String itemId, String reference, String error) {
                            assertThat(modality).isEqualTo(Modality.IMAGE);
                            failed.add(itemId);
                        }
                    });
            assertThat(failed).as("the listener hears of each bad picture").containsExactlyInAnyOrder(truncatedId,
                    garbageId);
            assertThat(progress).containsExactly(16L, 32L, 40L);
            assertThat(first.items()).isEqualTo(40);
            assertThat(first.textEncoded()).isEqualTo(40);
            assertThat(first.imagesEncoded()).isEqualTo(4);
            assertThat(first.imageErrors()).isEqualTo(2);
            assertThat(first.noImage()).isEqualTo(34);
            assertThat(index.count(Modality.TEXT.collection())).isEqualTo(40);
            assertThat(index.count(Modality.IMAGE.collection())).isEqualTo(4);
            Map<String, ItemVector> imageRows = new HashMap<>();
            all(store, Modality.IMAGE).forEach(v -> imageRows.put(v.itemId(), v));
            assertThat(imageRows.get(truncatedId).error()).containsIgnoringCase("corrupt");
            assertThat(imageRows.get(garbageId).error()).contains("unsupported");
            assertThat(index.get(Modality.IMAGE.collection(), truncatedId)).isEmpty();
            assertThat(index.get(Modality.TEXT.collection(), truncatedId)).as("the item is still there, with text").isPresent();

            ItemEncodingPipeline.Report again = pipeline.run(images, 40, ItemEncodingPipeline.Listener.NONE);
            assertThat(again.textEncoded()).isZero();
            assertThat(again.textUnchanged()).isEqualTo(40);
            assertThat(again.imagesEncoded() + again.imageErrors()).isZero();
            assertThat(again.imagesUnchanged()).isEqualTo(6);

            Item toyStory = store.item("1").orElseThrow();
            store.upsertItems(List.of(new Item("1", "Toy Story (1995) remastered", "", null, toyStory.categories(),
                    toyStory.tags(), toyStory.attributes())));
            Files.copy(posters.resolve(truncatedId + ".jpg"), images.resolve(truncatedId + ".jpg"),
                    StandardCopyOption.REPLACE_EXISTING);
            ItemEncodingPipeline.Report changed = pipeline.run(images, 40, ItemEncodingPipeline.Listener.NONE);
            assertThat(changed.textEncoded()).isEqualTo(1);
            assertThat(changed.imagesEncoded()).as("the repaired poster").isEqualTo(1);
            assertThat(index.get(Modality.IMAGE.collection(), truncatedId)).isPresent();

            store.deleteItem(deletedId);
            assertThat(pipeline.applyDeletions()).isEqualTo(1);
            assertThat(index.get(Modality.TEXT.collection(), deletedId)).isEmpty();
            assertThat(index.get(Modality.IMAGE.collection(), deletedId)).isEmpty();

            float[] stored = index.get(Modality.TEXT.collection(), keptId).orElseThrow().vector();
            index.dropCollection(Modality.TEXT.collection());
            index.dropCollection(Modality.IMAGE.collection());
            ItemEncodingPipeline rebuildOnly = new ItemEncodingPipeline(store, index, null, null, null);
            assertThat(rebuildOnly.rebuildIndex()).as("39 texts, 4 pictures (5 good, one deleted)").isEqualTo(39 + 4);
            assertThat(index.count(Modality.TEXT.collection())).isEqualTo(39);
            assertThat(index.get(Modality.TEXT.collection(), keptId).orElseThrow().vector()).containsExactly(stored);
        }
    }
}
