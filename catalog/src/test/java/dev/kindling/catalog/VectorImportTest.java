package dev.kindling.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.ItemVector;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.store.JdbcStore;

/** Vectors made elsewhere, in each format: stored and indexed as encoded ones, bad rows refused and named. */
class VectorImportTest {
    @TempDir
    Path home;

    private static final List<Item> ITEMS = List.of(Item.titled("a", "A"), Item.titled("b", "B"),
            Item.titled("c", "C"), Item.titled("d", "D"));

    @Test
    void csvJsonLinesAndNpyImportAlikeAndBadRowsAreRefused() throws IOException {
        try (JdbcStore store = JdbcStore.sqlite(home.resolve("k.db"), "NORMAL");
             VectorIndex index = new LuceneVectorIndex(home.resolve("index"), LuceneIndexSettings.DEFAULT)) {
            store.upsertItems(ITEMS);
            VectorImport importer = new VectorImport(store, index);
            Path csv = Files.writeString(home.resolve("clip.csv"), """
                    item_id,v0,v1,v2
                    a,1,0,0
                    b,0.9,0.1,0
                    nobody,1,1,1
                    c,0,1
                    d,0,0,NaN
                    """);
            VectorImport.Report r = importer.run(csv, Modality.IMAGE, VectorImport.Format.CSV, null, false);
            assertThat(r.read()).isEqualTo(5);
            assertThat(r.stored()).isEqualTo(2);
            assertThat(r.rejected()).isEqualTo(3);
            assertThat(r.dimension()).isEqualTo(3);
            assertThat(r.errors()).anySatisfy(e -> assertThat(e).startsWith("line 4: ").contains("'nobody'"))
                    .anySatisfy(e -> assertThat(e).startsWith("line 5: ").contains("2 values"))
                    .anySatisfy(e -> assertThat(e).startsWith("line 6: ").contains("not finite"));
            ItemVector a = store.itemVectorsOf("image", List.of("a")).get("a");
            assertThat(a.vector()).containsExactly(1, 0, 0);
            assertThat(a.encoder()).isEqualTo("imported:clip.csv");
            assertThat(a.imported()).isTrue();
            List<SearchHit> near = index.search(Modality.IMAGE.collection(), SearchRequest.of(new float[] {1, 0, 0}, 2));
            assertThat(near).extracting(SearchHit::id).containsExactly("a", "b");

            // the same modality again, as JSON lines: same dimension, items replaced or added
            Path jsonl = Files.writeString(home.resolve("more.jsonl"), """
                    {"itemId": "c", "vector": [0, 1, 0]}
                    {"itemId": "d", "vector": [0, 0, 0]}
                    {"itemId": "b", "vector": [0, 0, 1, 5]}
                    """);
            r = importer.run(jsonl, Modality.IMAGE, VectorImport.Format.JSONL, null, false);
            assertThat(r.stored()).isEqualTo(1);
            assertThat(r.errors()).anySatisfy(e -> assertThat(e).contains("all zeros"))
                    .anySatisfy(e -> assertThat(e).contains("earlier import"));
            assertThatThrownBy(() -> importer.run(jsonl, Modality.IMAGE, VectorImport.Format.JSONL, null, true))
                    .as("--on-error fail stops at the first refused row").hasMessageStartingWith("line 2: ");

            // npy (float32, C order) with its ids file, into the text modality
            Path npy = npy(home.resolve("text.npy"), new float[][] {{1, 2}, {2, 1}, {0, 1}});
            Path ids = Files.writeString(home.resolve("ids.txt"), "a\nb\nc\n");
            r = importer.run(npy, Modality.TEXT, VectorImport.Format.NPY, ids, false);
            assertThat(r.stored()).isEqualTo(3);
            assertThat(store.itemVectorsOf("text", List.of("b")).get("b").vector()).containsExactly(2, 1);
            assertThat(index.collection(Modality.TEXT.collection()).dimension()).isEqualTo(2);
            assertThatThrownBy(() -> importer.run(npy, Modality.TEXT, VectorImport.Format.NPY, null, false))
                    .hasMessageContaining("--ids");
            Path shortIds = Files.writeString(home.resolve("short.txt"), "a\n");
            assertThatThrownBy(() -> importer.run(npy, Modality.TEXT, VectorImport.Format.NPY, shortIds, false))
                    .hasMessageContaining("ids file ends");
        }
    }

    @Test
    void aModalityWithEncodedVectorsRefusesImportedOnes() throws IOException {
        try (JdbcStore store = JdbcStore.sqlite(home.resolve("k.db"), "NORMAL");
             VectorIndex index = new LuceneVectorIndex(home.resolve("index"), LuceneIndexSettings.DEFAULT)) {
            store.upsertItems(ITEMS);
            store.putItemVectors(List.of(ItemVector.of("a", "text", "all-minilm-l6-v2@sha256:x", "h",
                    new float[] {1, 0})));
            Path csv = Files.writeString(home.resolve("v.csv"), "b,1,0\n");
            assertThatThrownBy(() -> new VectorImport(store, index).run(csv, Modality.TEXT, VectorImport.Format.CSV,
                    null, false)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("made by all-minilm-l6-v2").hasMessageContaining("one space");
            assertThat(store.itemVectorsOf("text", List.of("b"))).isEmpty();
        }
    }

    /** A 2-D float32 .npy file, format 1.0. */
    private static Path npy(Path file, float[][] rows) throws IOException {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows.length + ", " + rows[0].length
                + "), }";
        int unpadded = 10 + header.length() + 1;
        header = header + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + rows.length * rows[0].length * 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (float[] r : rows) {
            for (float x : r) {
                b.putFloat(x);
            }
        }
        return Files.write(file, b.array());
    }
}
