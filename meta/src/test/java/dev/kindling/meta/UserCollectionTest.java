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
            index.createCollection(CollectionSpec.of("users", 2, Metric.COSINE));
            UserRateMemory memory = new UserRateMemory(index, 2, 10);
            assertThat(index.hasCollection("user_embeddings")).as("the former collection is dropped").isFalse();
            assertThat(index.hasCollection("users")).as("so is the one without the size in its name").isFalse();
            memory.remember("trained", new float[] {1, 0}, 0.25);
            // the server embeds every stored user under the served model, trained or not
            index.upsert(UserCollection.name(2), List.of(
                    UserCollection.reembedded(index, "trained", new float[] {1, 0.1f}),
                    UserCollection.reembedded(index, "stored", new float[] {1, 0.05f})));

            assertThat(UserCollection.rate(index, 2, "trained")).as("re-embedding keeps the rate").contains(0.25);
            assertThat(index.get(UserCollection.name(2), "trained").map(VectorRecord::vector).orElseThrow())
                    .as("and takes the new h").containsExactly(1, 0.1f);
            assertThat(UserCollection.rate(index, 2, "stored")).isEmpty();
            assertThat(index.search(UserCollection.name(2), SearchRequest.of(new float[] {1, 0}, 5)))
                    .as("similar users: everyone").extracting(SearchHit::id)
                    .containsExactlyInAnyOrder("trained", "stored");
            assertThat(memory.nearest("new", new float[] {1, 0.05f}, 5)).as("PAML: only users with a rate")
                    .extracting(PamlLearningRate.Neighbour::userId, PamlLearningRate.Neighbour::rate)
                    .containsExactly(tuple("trained", 0.25));

            new UserRateMemory(index, 2, 10);
            assertThat(index.count(UserCollection.name(2))).as("opening the memory again keeps the users").isEqualTo(2);

            // another embedding size: its collection is built beside the one in use, which keeps answering
            new UserRateMemory(index, 3, 10);
            assertThat(index.count(UserCollection.name(3))).as("another embedding size starts empty").isZero();
            assertThat(index.search(UserCollection.name(2), SearchRequest.of(new float[] {1, 0}, 5)))
                    .as("the collection in use still answers").hasSize(2);
            UserCollection.retireAllBut(index, 3);
            assertThat(index.hasCollection(UserCollection.name(2))).as("dropped once retired").isFalse();
            assertThat(index.hasCollection(UserCollection.name(3))).isTrue();
        }
    }
}
