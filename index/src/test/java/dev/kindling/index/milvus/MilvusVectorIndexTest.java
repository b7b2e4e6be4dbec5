package dev.kindling.index.milvus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.DataType;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.UnknownCollectionException;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.index.AbstractVectorIndexContractTest;

/**
 * The vector index contract against a running Milvus server ({@link MilvusTestServer}), plus what is particular to a
 * shared remote index: literal escaping, a second process on the same database, collections of other applications.
 */
class MilvusVectorIndexTest extends AbstractVectorIndexContractTest {
    private static String uri;

    /**
     * Needs the Milvus test server: checked where each test opens its index, not once per class, so that without one
     * every test is reported skipped (a class-level skip reads "Tests run: 0").
     */
    @Override
    protected VectorIndex openIndex(Path directory) {
        uri = MilvusTestServer.uri();
        return new MilvusVectorIndex(MilvusTestServer.settings(uri, MilvusTestServer.database(directory)));
    }

    @AfterEach
    void dropTestDatabase() {
        if (uri == null) {
            return;
        }
        MilvusTestServer.dropDatabase(uri, MilvusTestServer.database(directory));
    }

    @Test
    void idsAndValuesWithQuotesBackslashesAndLineBreaksAreStoredAndMatchedLiterally() {
        index.createCollection(new CollectionSpec("odd", 3, Metric.COSINE, Map.of("tag", AttributeType.STRING)));
        List<String> values = List.of("say \"hi\"", "back\\slash", "line\nbreak", "tab\tand\rreturn", "' or 1=1 --",
                "x\" or _id != \"", "\\\"", "ünïcødé 🎬");
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            index.upsert("odd", List.of(new VectorRecord(value, new float[] {1, i, 0}, Map.of("tag", value))));
        }
        index.upsert("odd", List.of(new VectorRecord("plain", new float[] {1, 0, 0}, Map.of("tag", "x"))));
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            assertThat(index.get("odd", value)).as("get %s", value).isPresent()
                    .get().extracting(r -> r.attributes().get("tag")).isEqualTo(value);
            List<SearchHit> hits = index.search("odd", SearchRequest.of(new float[] {1, 0, 0}, 20)
                    .withFilter(Filter.eq("tag", value)));
            assertThat(hits).as("filter on %s", value).extracting(SearchHit::id).containsExactly(value);
        }
        assertThat(index.search("odd", SearchRequest.of(new float[] {1, 0, 0}, 20)
                .withFilter(Filter.in("tag", List.of("x\" or _id != \"", "nothing"))))).hasSize(1);
        index.delete("odd", List.of("x\" or _id != \"", "say \"hi\""));
        assertThat(index.count("odd")).isEqualTo(values.size() + 1 - 2);
        assertThat(index.get("odd", "plain")).isPresent();
    }

    @Test
    void aSecondProcessSeesTheSameCollectionsAndNoticesDrops() {
        CollectionSpec spec = new CollectionSpec("shared", 2, Metric.INNER_PRODUCT, Map.of("n", AttributeType.LONG));
        index.createCollection(spec);
        index.upsert("shared", List.of(new VectorRecord("a", new float[] {1, 2}, Map.of("n", 5L))));
        try (VectorIndex replica = openIndex(directory)) {
            assertThat(replica.collection("shared")).isEqualTo(spec);
            assertThat(replica.get("shared", "a")).isPresent();
            replica.upsert("shared", List.of(VectorRecord.of("b", new float[] {3, 4})));
            assertThat(index.count("shared")).as("the first process reads the replica's write").isEqualTo(2);
            index.dropCollection("shared");
            assertThatThrownBy(() -> replica.upsert("shared", List.of(VectorRecord.of("c", new float[] {1, 1}))))
                    .isInstanceOf(UnknownCollectionException.class);
            assertThatThrownBy(() -> replica.count("shared")).isInstanceOf(UnknownCollectionException.class);
        }
    }

    @Test
    void collectionsOfOtherApplicationsAreLeftAlone() throws Exception {
        index.createCollection(CollectionSpec.of("ours", 2, Metric.COSINE));
        MilvusClientV2 client = new MilvusClientV2(ConnectConfig.builder().uri(uri)
                .dbName(MilvusTestServer.database(directory)).build());
        try {
            CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder().build();
            schema.addField(AddFieldReq.builder().fieldName("pk").dataType(DataType.Int64).isPrimaryKey(true).build());
            schema.addField(AddFieldReq.builder().fieldName("embedding").dataType(DataType.FloatVector).dimension(2)
                    .build());
            client.createCollection(CreateCollectionReq.builder().collectionName("theirs").collectionSchema(schema)
                    .build());
        } finally {
            client.close();
        }
        assertThat(index.collections()).extracting(CollectionSpec::name).containsExactly("ours");
        assertThat(index.hasCollection("theirs")).isTrue();
        assertThatThrownBy(() -> index.collection("theirs")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("layout");
        assertThatThrownBy(() -> index.createCollection(CollectionSpec.of("theirs", 2, Metric.COSINE)))
                .isInstanceOf(IllegalStateException.class);
    }
}
