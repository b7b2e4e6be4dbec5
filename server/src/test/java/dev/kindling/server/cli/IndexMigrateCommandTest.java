package dev.kindling.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.ItemVector;
import dev.kindling.store.JdbcStore;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.index.milvus.MilvusTestServer;
import dev.kindling.index.milvus.MilvusVectorIndex;

/**
 * {@code kindling index migrate}: the embedded index to a real Milvus server and back, records (vectors and
 * attributes) unchanged, nothing encoded. Needs the Milvus test server ({@link MilvusTestServer}).
 */
class IndexMigrateCommandTest {
    private static final CollectionSpec TEXT = new CollectionSpec(Modality.TEXT.collection(), 8, Metric.COSINE,
            Map.of("genre", AttributeType.STRING, "year", AttributeType.LONG));
    private static String uri;

    @TempDir
    Path home;

    /** Checked before each test, so that without a server each is reported skipped (not "Tests run: 0"). */
    @BeforeEach
    void requireServer() {
        uri = MilvusTestServer.uri();
    }

    @AfterEach
    void dropTestDatabase() {
        if (uri == null) {
            return;
        }
        MilvusTestServer.dropDatabase(uri, MilvusTestServer.database(home));
    }

    private String[] args(String... command) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of("--home", home.toString(), "--set", "index.milvus.uri=" + uri,
                "--set", "index.milvus.database=" + MilvusTestServer.database(home)));
        return all.toArray(String[]::new);
    }

    @Test
    void copiesEveryItemCollectionToMilvusAndBackUnchanged() {
        List<VectorRecord> records = embeddedIndexWithItemsAndANote();

        CliTest.Result toMilvus = CliTest.run(args("index", "migrate", "--to", "milvus"));
        assertThat(toMilvus.err()).contains("items_text: 40 records copied").contains("notes: not copied");
        assertThat(toMilvus.exit()).as("a collection was left behind").isEqualTo(1);
        try (MilvusVectorIndex milvus = new MilvusVectorIndex(
                MilvusTestServer.settings(uri, MilvusTestServer.database(home)))) {
            assertThat(milvus.collections()).containsExactly(TEXT);
            assertThat(milvus.getAll(TEXT.name(), records.stream().map(VectorRecord::id).toList()))
                    .containsExactlyInAnyOrderElementsOf(records);
        }

        CliTest.Result again = CliTest.run(args("index", "migrate", "--to", "milvus"));
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already has collection items_text").contains("--replace");

        CliTest.Result back = CliTest.run(args("index", "migrate", "--to", "embedded", "--replace",
                "--set", "index.path=copy"));
        assertThat(back.exit()).as(back.err()).isZero();
        assertThat(back.err()).contains("items_text: 40 records copied").contains("index.backend=lucene");
        try (LuceneVectorIndex copy = new LuceneVectorIndex(home.resolve("copy"), LuceneIndexSettings.DEFAULT)) {
            assertThat(copy.collections()).containsExactly(TEXT);
            for (VectorRecord r : records) {
                assertThat(copy.get(TEXT.name(), r.id())).contains(r);
            }
        }
    }

    /** 40 items with text vectors in the store and in the embedded index (with attributes), and a non-item collection. */
    private List<VectorRecord> embeddedIndexWithItemsAndANote() {
        Random random = new Random(7);
        List<VectorRecord> records = new ArrayList<>();
        try (JdbcStore store = JdbcStore.sqlite(home.resolve("kindling.db"), "NORMAL");
             VectorIndex lucene = new LuceneVectorIndex(home.resolve("index"), LuceneIndexSettings.DEFAULT)) {
            List<Item> items = new ArrayList<>();
            List<ItemVector> vectors = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String id = "item-" + i + (i % 5 == 0 ? " \"quoted\"" : "");
                float[] v = new float[8];
                for (int j = 0; j < v.length; j++) {
                    v[j] = (float) random.nextGaussian();
                }
                items.add(Item.titled(id, "Title " + i));
                vectors.add(ItemVector.of(id, Modality.TEXT.key(), "test-encoder", "h" + i, v));
                records.add(new VectorRecord(id, v, i % 3 == 0 ? Map.of("genre", "drama")
                        : Map.of("genre", "comedy", "year", 1990L + i)));
            }
            store.upsertItems(items);
            store.putItemVectors(vectors);
            lucene.createCollection(TEXT);
            lucene.upsert(TEXT.name(), records);
            lucene.createCollection(CollectionSpec.of("notes", 2, Metric.INNER_PRODUCT));
            lucene.upsert("notes", List.of(VectorRecord.of("n1", new float[] {1, 2})));
        }
        return records;
    }
}
