package dev.kindling.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.meta.paml.PamlLearningRate;
import dev.kindling.meta.paml.UserRateMemory;

class UserCollectionTest {
    @TempDir
    Path dir;

    @Test
    void similarUsersAndPamlRatesShareOneCollection() {
        try (LuceneVectorIndex index = new LuceneVectorIndex(dir, LuceneIndexSettings.DEFAULT)) {
            index.createCollection(CollectionSpec.of("user_embeddings", 2, Metric.COSINE));
            UserRateMemory memory = new UserRateMemory(index, 2, 10);
            assertThat(index.hasCollection("user_embeddings")).as("the former collection is dropped").isFalse();
            memory.remember("trained", new float[] {1, 0}, 0.25);
            // the server embeds every stored user under the served model, trained or not
            index.upsert(UserCollection.NAME, List.of(
                    UserCollection.reembedded(index, "trained", new float[] {1, 0.1f}),
                    UserCollection.reembedded(index, "stored", new float[] {1, 0.05f})));

            assertThat(UserCollection.rate(index, "trained")).as("re-embedding keeps the rate").contains(0.25);
            assertThat(index.get(UserCollection.NAME, "trained").map(VectorRecord::vector).orElseThrow())
                    .as("and takes the new h").containsExactly(1, 0.1f);
            assertThat(UserCollection.rate(index, "stored")).isEmpty();
            assertThat(index.search(UserCollection.NAME, SearchRequest.of(new float[] {1, 0}, 5)))
                    .as("similar users: everyone").extracting(SearchHit::id)
                    .containsExactlyInAnyOrder("trained", "stored");
            assertThat(memory.nearest("new", new float[] {1, 0.05f}, 5)).as("PAML: only users with a rate")
                    .extracting(PamlLearningRate.Neighbour::userId, PamlLearningRate.Neighbour::rate)
                    .containsExactly(tuple("trained", 0.25));

            new UserRateMemory(index, 2, 10);
            assertThat(index.count(UserCollection.NAME)).as("opening the memory again keeps the users").isEqualTo(2);
            new UserRateMemory(index, 3, 10);
            assertThat(index.count(UserCollection.NAME)).as("another embedding size starts empty").isZero();
        }
    }
}
