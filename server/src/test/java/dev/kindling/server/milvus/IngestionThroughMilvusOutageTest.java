package dev.kindling.server.milvus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.IndexUnavailableException;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.ItemVector;
import dev.kindling.encoders.BundledModels;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.index.RetryingVectorIndex;
import dev.kindling.index.milvus.MilvusLiteProcess;
import dev.kindling.index.milvus.MilvusSettings;
import dev.kindling.index.milvus.MilvusVectorIndex;
import dev.kindling.store.JdbcStore;

/**
 * Ingestion through a Milvus outage, end to end, on a real Milvus Lite server this test starts, kills and restarts.
 * The encoding pipeline writes item vectors through a {@link RetryingVectorIndex}; the store records a vector only
 * after the index took it, so a vector in the store is an acknowledged write. Phase 1 kills the server in the middle
 * of the run and restarts it 3 s later: requests fail fast meanwhile, the pipeline's writes wait it out, and every
 * acknowledged vector is in Milvus afterwards. Phase 2 restarts the server with its data gone, and the reconcile
 * ({@link ItemEncodingPipeline#rebuildIndex()}, what {@code kindling index rebuild} runs) puts every acknowledged
 * vector back from the store.
 */
class IngestionThroughMilvusOutageTest {
    private static final Logger LOG = LoggerFactory.getLogger(IngestionThroughMilvusOutageTest.class);
    private static final int ITEMS = 700;
    private static final String COLLECTION = Modality.TEXT.collection();

    @TempDir
    Path dir;

    @Test
    void noAcknowledgedVectorIsLostWhenMilvusStopsMidRunOrLosesItsData() throws Exception {
        Path data = dir.resolve("milvus");
        Path[] minilm = BundledModels.miniLm(dir.resolve("models"));
        try (MilvusLiteProcess server = MilvusLiteProcess.start(data);
             JdbcStore store = JdbcStore.sqlite(dir.resolve("kindling.db"), "NORMAL");
             TextEncoder text = new TextEncoder(minilm[0], minilm[1], BundledModels.MINILM, 64, 32, Device.cpu());
             MilvusVectorIndex milvus = new MilvusVectorIndex(MilvusSettings.DEFAULT.withUri(server.uri())
                     .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)))) {
            VectorIndex index = new RetryingVectorIndex(milvus,
                    new RetryingVectorIndex.Backoff(60, Duration.ofMillis(100), Duration.ofSeconds(1)));
            store.upsertItems(items());

            // Phase 1: the server dies after the first page of 256 items and is back 3 s later.
            List<Long> failFastMillis = new ArrayList<>();
            CompletableFuture<?>[] restart = new CompletableFuture<?>[1];
            ItemEncodingPipeline.Listener killAfterFirstPage = new ItemEncodingPipeline.Listener() {
                @Override
                public void progressed(long itemsDone) {
                    if (restart[0] != null) {
                        return;
                    }
                    try {
                        server.kill();
                        Thread.sleep(1000); // the connection's watcher notices within 0.5 s
                        for (int i = 0; i < 5; i++) {
                            long start = System.nanoTime();
                            assertThatThrownBy(() -> milvus.count(COLLECTION))
                                    .isInstanceOf(IndexUnavailableException.class).hasMessageContaining(server.uri());
                            failFastMillis.add((System.nanoTime() - start) / 1_000_000);
                        }
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    restart[0] = CompletableFuture.runAsync(() -> {
                        try {
                            Thread.sleep(3000);
                            server.startAgain();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                }
            };
            ItemEncodingPipeline pipeline = new ItemEncodingPipeline(store, index, text, null,
                    new ItemText(List.of("title", "categories"))).withPageSize(256);
            ItemEncodingPipeline.Report report = pipeline.run(null, 0, killAfterFirstPage);
            restart[0].get(60, TimeUnit.SECONDS);
            LOG.info("phase 1: {} texts encoded through the outage; requests while down failed in {} ms",
                    report.textEncoded(), failFastMillis);
            assertThat(report.textEncoded()).isEqualTo(ITEMS);
            assertThat(failFastMillis).as("well under the 2 s deadline").hasSize(5).allMatch(ms -> ms < 500);
            assertEveryAcknowledgedVectorIsIn(milvus, store);

            // Phase 2: the server comes back without its data; the reconcile restores it from the store.
            server.kill();
            deleteTree(data);
            server.startAgain();
            assertThat(milvus.hasCollection(COLLECTION)).isFalse();
            long rebuilt = new ItemEncodingPipeline(store, index, null, null, null).rebuildIndex();
            LOG.info("phase 2: the reconcile re-upserted {} vectors from the store", rebuilt);
            assertThat(rebuilt).isEqualTo(ITEMS);
            assertEveryAcknowledgedVectorIsIn(milvus, store);
        }
    }

    private static List<Item> items() {
        String[] genres = {"Drama", "Comedy", "Horror", "Documentary", "Animation", "Thriller", "Western"};
        String[] topics = {"a lighthouse keeper", "two rival chefs", "a haunted ferry", "the last glacier",
            "a robot gardener", "a stolen violin", "a desert town"};
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            items.add(new Item(String.format("m%04d", i), "Film " + i + " about " + topics[i % topics.length]
                    + " (" + (1950 + i % 70) + ")", "", null, List.of(genres[i % genres.length]), List.of(),
                    Map.of()));
        }
        return items;
    }

    /** Every vector the store holds (each one acknowledged by the index before it was stored) is in Milvus. */
    private static void assertEveryAcknowledgedVectorIsIn(MilvusVectorIndex milvus, JdbcStore store) {
        List<ItemVector> acknowledged = store.itemVectors(Modality.TEXT.key(), null, 100_000).rows();
        assertThat(acknowledged).hasSize(ITEMS);
        assertThat(milvus.count(COLLECTION)).isEqualTo(acknowledged.size());
        List<VectorRecord> stored = milvus.getAll(COLLECTION, acknowledged.stream().map(ItemVector::itemId).toList());
        assertThat(stored).hasSize(acknowledged.size());
        Map<String, float[]> byId = new HashMap<>();
        stored.forEach(r -> byId.put(r.id(), r.vector()));
        for (ItemVector v : acknowledged) {
            assertThat(byId.get(v.itemId())).as("vector of %s", v.itemId()).containsExactly(v.vector());
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
