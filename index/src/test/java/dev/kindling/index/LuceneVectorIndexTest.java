package dev.kindling.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;
import dev.kindling.core.index.IndexInUseException;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.index.Vectors;

/** The contract suite on the Lucene backend, plus what only Lucene has: codec, on-disk layout, settings. */
class LuceneVectorIndexTest extends AbstractVectorIndexContractTest {

    @Override
    protected VectorIndex openIndex(Path directory) {
        return new LuceneVectorIndex(directory, LuceneIndexSettings.DEFAULT);
    }

    private LuceneVectorIndex lucene() {
        return (LuceneVectorIndex) index;
    }

    @Test
    void aSecondProcessOnTheSameIndexIsToldWhyItCannotOpenIt() {
        index.createCollection(CollectionSpec.of("held", 4, Metric.COSINE));
        index.flush();
        // Lucene's write lock refuses a second writer in this JVM as it would in another process.
        assertThatThrownBy(() -> new LuceneVectorIndex(directory, LuceneIndexSettings.DEFAULT))
                .isInstanceOf(IndexInUseException.class).hasMessageContaining("open in another Kindling process")
                .hasMessageContaining("/v1/items/{id}/similar");
    }

    @Test
    void vectorsAboveLucenesDefaultCapOf1024DimensionsWork() {
        Random random = random("2048");
        int dimension = 2048;
        index.createCollection(new CollectionSpec("resnet", dimension, Metric.COSINE, Map.of("kind", AttributeType.STRING)));
        float[][] data = new float[300][];
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < data.length; i++) {
            data[i] = ClusteredVectors.gaussianUnit(dimension, random);
            records.add(new VectorRecord("img" + i, data[i], Map.of("kind", i % 2 == 0 ? "even" : "odd")));
        }
        index.upsert("resnet", records.subList(0, 150));
        index.flush();
        index.upsert("resnet", records.subList(150, 300));
        assertSelfMatches(data);

        reopen();
        assertThat(index.collection("resnet").dimension()).isEqualTo(dimension);
        assertThat(index.get("resnet", "img7").orElseThrow().vector()).containsExactly(data[7]);
        assertSelfMatches(data);
        // merging rewrites the 2048-d segments through the codec
        lucene().forceMerge("resnet", 1);
        assertThat(lucene().segmentCount("resnet")).isEqualTo(1);
        assertSelfMatches(data);
        List<SearchHit> odd = index.search("resnet", SearchRequest.of(data[3], 5).withFilter(Filter.eq("kind", "odd")));
        assertThat(odd).hasSize(5).first().extracting(SearchHit::id).isEqualTo("img3");
    }

    private void assertSelfMatches(float[][] data) {
        for (int i = 0; i < data.length; i += 37) {
            List<SearchHit> hits = index.search("resnet", SearchRequest.of(data[i], 3));
            assertThat(hits.get(0).id()).isEqualTo("img" + i);
            assertThat(hits.get(0).score()).isCloseTo(1f, within(1e-4f));
        }
    }

    @Test
    void dimensionsAboveMaxDimensionsAreRefused() {
        assertThatThrownBy(() -> index.createCollection(CollectionSpec.of("huge", 4097, Metric.COSINE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDimensions");
        index.createCollection(CollectionSpec.of("wide", 600, Metric.COSINE));
        index.close();
        assertThatThrownBy(() -> new LuceneVectorIndex(directory, LuceneIndexSettings.DEFAULT.withMaxDimensions(512)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxDimensions");
        index = openIndex(directory);
        assertThat(index.hasCollection("wide")).isTrue();
    }

    @Test
    void storedVectorsComeBackBitForBit() {
        Random random = random("bits");
        index.createCollection(CollectionSpec.of("exact", 5, Metric.COSINE));
        float[] v = {(float) random.nextGaussian(), 1e-30f, -3.4e38f, 7f, Float.MIN_VALUE};
        index.upsert("exact", List.of(VectorRecord.of("e", v)));
        assertThat(index.get("exact", "e").orElseThrow().vector()).containsExactly(v);
        reopen();
        assertThat(index.get("exact", "e").orElseThrow().vector()).containsExactly(v);
    }

    @Test
    void cosineCollectionsRankAnyVectorLengthByCosineAndKeepItsValues() {
        Random random = random("lengths");
        index.createCollection(CollectionSpec.of("scaled", 16, Metric.COSINE));
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            float[] v = ClusteredVectors.gaussianUnit(16, random);
            float scale = i % 3 == 0 ? 1f : (float) (0.01 + 50 * random.nextDouble()); // unit and rescaled vectors
            for (int j = 0; j < v.length; j++) {
                v[j] *= scale;
            }
            records.add(VectorRecord.of("v" + i, v));
        }
        index.upsert("scaled", records);
        float[] query = records.get(5).vector().clone();
        for (int j = 0; j < query.length; j++) {
            query[j] *= 7f; // a long query: still cosine
        }
        List<SearchHit> hits = index.search("scaled", SearchRequest.of(query, 10).withEf(400));
        assertThat(hits.get(0).id()).isEqualTo("v5");
        List<String> exact = records.stream().sorted(Comparator.comparingDouble(
                (VectorRecord r) -> -Vectors.cosine(query, r.vector()))).limit(10).map(VectorRecord::id).toList();
        assertThat(hits).extracting(SearchHit::id).containsExactlyElementsOf(exact);
        for (SearchHit hit : hits) {
            VectorRecord r = records.get(Integer.parseInt(hit.id().substring(1)));
            assertThat(hit.score()).isCloseTo((float) Vectors.cosine(query, r.vector()), within(1e-5f));
        }
        reopen();
        for (VectorRecord r : records) {
            assertThat(index.get("scaled", r.id()).orElseThrow().vector()).containsExactly(r.vector());
        }
    }

    /** A collection written before COSINE moved to unit vectors under DOT_PRODUCT keeps working as it was. */
    @Test
    void cosineCollectionsWrittenWithLucenesCosineStillOpenAndGrow() throws Exception {
        index.close();
        Path root = directory.resolve("legacy");
        CollectionSpec spec = CollectionSpec.of("legacy", 8, Metric.COSINE);
        Random random = random("legacy");
        float[][] old = new float[50][];
        try (Directory dir = FSDirectory.open(
                root.resolve(LuceneCollection.LUCENE_DIRECTORY));
             IndexWriter writer = new IndexWriter(dir,
                     new IndexWriterConfig())) {
            for (int i = 0; i < old.length; i++) {
                old[i] = ClusteredVectors.gaussianUnit(8, random);
                old[i][0] *= 3; // not unit: Lucene's COSINE took raw vectors
                Document d = new Document();
                d.add(new StringField(IndexFields.ID, "old" + i,
                        Field.Store.YES));
                d.add(new KnnFloatVectorField(IndexFields.VECTOR, old[i],
                        VectorSimilarityFunction.COSINE));
                writer.addDocument(d);
            }
            writer.commit();
        }
        CollectionMetadata.write(root, spec);
        index = openIndex(directory);
        float[] fresh = ClusteredVectors.gaussianUnit(8, random);
        fresh[1] *= 5;
        index.upsert("legacy", List.of(VectorRecord.of("new", fresh)));
        assertThat(index.search("legacy", SearchRequest.of(old[7], 1)).get(0).id()).isEqualTo("old7");
        assertThat(index.search("legacy", SearchRequest.of(fresh, 1)).get(0).score()).isCloseTo(1f, within(1e-5f));
        assertThat(index.get("legacy", "old7").orElseThrow().vector()).containsExactly(old[7]);
        assertThat(index.get("legacy", "new").orElseThrow().vector()).containsExactly(fresh);
        lucene().forceMerge("legacy", 1);
        assertThat(index.count("legacy")).isEqualTo(51);
    }

    @Test
    void onDiskLayoutIsOneDirectoryPerCollectionWithVersionedMetadata() throws Exception {
        index.createCollection(new CollectionSpec("items", 4, Metric.INNER_PRODUCT,
                Map.of("year", AttributeType.LONG, "genre", AttributeType.STRING)));
        Path metadata = directory.resolve("items").resolve(CollectionMetadata.FILE_NAME);
        assertThat(metadata).isRegularFile();
        assertThat(directory.resolve("items").resolve(LuceneCollection.LUCENE_DIRECTORY)).isDirectory();
        String json = Files.readString(metadata);
        assertThat(json).contains("\"formatVersion\" : 1", "\"name\" : \"items\"", "\"dimension\" : 4",
                "\"metric\" : \"INNER_PRODUCT\"", "\"genre\" : \"STRING\"", "\"year\" : \"LONG\"");
        index.dropCollection("items");
        assertThat(directory.resolve("items")).doesNotExist();
    }

    @Test
    void metadataOfAnUnknownFormatVersionIsRefused() throws Exception {
        index.createCollection(CollectionSpec.of("future", 4, Metric.COSINE));
        index.close();
        Path metadata = directory.resolve("future").resolve(CollectionMetadata.FILE_NAME);
        Files.writeString(metadata, Files.readString(metadata).replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
        assertThatThrownBy(() -> openIndex(directory)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("formatVersion 99").hasMessageContaining("future");
        Files.writeString(metadata, "{\"name\": \"future\"}");
        assertThatThrownBy(() -> openIndex(directory)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("formatVersion");
        Files.writeString(metadata, "{not json", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> openIndex(directory)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not valid JSON");
        Files.delete(metadata);
        index = openIndex(directory);
        assertThat(index.collections()).isEmpty();
        // the leftover directory is replaced when the collection is created again
        index.createCollection(CollectionSpec.of("future", 2, Metric.COSINE));
        assertThat(index.count("future")).isZero();
    }

    @Test
    void flushCommitsWhatAnotherReaderSees() throws Exception {
        index.createCollection(CollectionSpec.of("durable", 2, Metric.COSINE));
        index.upsert("durable", List.of(VectorRecord.of("a", new float[] {1, 0}), VectorRecord.of("b", new float[] {0, 1})));
        index.flush();
        try (var dir = FSDirectory.open(directory.resolve("durable").resolve(LuceneCollection.LUCENE_DIRECTORY));
             var reader = DirectoryReader.open(dir)) {
            assertThat(reader.numDocs()).isEqualTo(2);
        }
    }

    @Test
    void requestEfBelowKStillReturnsKHits() {
        Random random = random("ef");
        index.createCollection(CollectionSpec.of("ef", 8, Metric.COSINE));
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            records.add(VectorRecord.of("e" + i, ClusteredVectors.gaussianUnit(8, random)));
        }
        index.upsert("ef", records);
        float[] query = ClusteredVectors.gaussianUnit(8, random);
        assertThat(index.search("ef", SearchRequest.of(query, 20).withEf(1))).hasSize(20);
        assertThat(index.search("ef", SearchRequest.of(query, 20).withEf(400))).hasSize(20);
    }

    @Test
    void everyCallAfterCloseIsRefused() {
        index.createCollection(CollectionSpec.of("c", 2, Metric.COSINE));
        index.close();
        index.close();
        float[] v = {1, 0};
        List<Consumer<VectorIndex>> calls = List.of(
                i -> i.createCollection(CollectionSpec.of("d", 2, Metric.COSINE)),
                i -> i.hasCollection("c"),
                i -> i.collection("c"),
                VectorIndex::collections,
                i -> i.dropCollection("c"),
                i -> i.upsert("c", List.of(VectorRecord.of("a", v))),
                i -> i.delete("c", List.of("a")),
                i -> i.search("c", SearchRequest.of(v, 1)),
                i -> i.get("c", "a"),
                i -> i.count("c"),
                VectorIndex::flush);
        for (Consumer<VectorIndex> call : calls) {
            assertThatThrownBy(() -> call.accept(index)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Test
    void settingsDefaultAndValidation() {
        assertThat(LuceneIndexSettings.DEFAULT).isEqualTo(new LuceneIndexSettings(16, 100, 100, 256, 4096));
        assertInvalid("hnswM", () -> new LuceneIndexSettings(0, 100, 100, 256, 4096));
        assertInvalid("hnswM", () -> new LuceneIndexSettings(513, 100, 100, 256, 4096));
        assertInvalid("hnswBeamWidth", () -> new LuceneIndexSettings(16, 0, 100, 256, 4096));
        assertInvalid("hnswBeamWidth", () -> new LuceneIndexSettings(16, 3201, 100, 256, 4096));
        assertInvalid("ef", () -> new LuceneIndexSettings(16, 100, 0, 256, 4096));
        assertInvalid("ramBufferMb", () -> new LuceneIndexSettings(16, 100, 100, 0, 4096));
        assertInvalid("maxDimensions", () -> new LuceneIndexSettings(16, 100, 100, 256, -1));
        assertThatCode(() -> new LuceneIndexSettings(512, 3200, 1, 1, 1)).doesNotThrowAnyException();
    }

    private static void assertInvalid(String field, Runnable construction) {
        assertThatThrownBy(construction::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(field);
    }

    @Test
    void aDirectoryWithoutMetadataIsNotACollection() throws Exception {
        index.close();
        Files.createDirectories(directory.resolve("stray"));
        index = openIndex(directory);
        assertThat(index.collections()).isEmpty();
        assertThat(index.hasCollection("stray")).isFalse();
    }
}
