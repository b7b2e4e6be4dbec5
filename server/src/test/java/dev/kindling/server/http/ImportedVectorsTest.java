package dev.kindling.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.catalog.VectorImport;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.store.Page;
import dev.kindling.encoders.BundledModels;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.serving.ModelTraining;
import dev.kindling.tensor.DjlRuntime;

/**
 * A catalogue whose text vectors come from another pipeline ({@code import vectors}): here each ml-latest-small movie's
 * genres as a one-hot vector. They serve similar items, MML trains and serves on them, and the server's encoder leaves
 * the imported modality alone when an item is added. The same vectors imported under a name of the user's own serve
 * similar items by that name and stay out of training.
 */
class ImportedVectorsTest {
    private static final Logger LOG = LoggerFactory.getLogger(ImportedVectorsTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "imported-vectors-key";

    @Test
    void importedVectorsServeSimilarItemsAndTheMetaLearners() throws Exception {
        DjlRuntime.singleThreadedOps();
        try (TestHome t = TestHome.movieLens("kindling-imported-vectors-test", Map.of("server.apiKey", KEY))) {
            List<Item> items = new ArrayList<>();
            String cursor = null;
            do {
                Page<Item> page = t.store().items(cursor, 1000);
                items.addAll(page.rows());
                cursor = page.next();
            } while (cursor != null);
            List<String> genres = new ArrayList<>(new TreeSet<>(items.stream().flatMap(i -> i.categories().stream())
                    .toList()));
            StringBuilder csv = new StringBuilder("itemId");
            genres.forEach(g -> csv.append(",").append(g.replace(",", " ")));
            csv.append('\n');
            for (Item item : items) {
                csv.append(item.id());
                for (String g : genres) {
                    csv.append(item.categories().contains(g) ? ",1" : ",0");
                }
                csv.append('\n');
            }
            Path file = Files.writeString(t.home().resolve("genres.csv"), csv);
            VectorImport.Report report = new VectorImport(t.store(), t.index()).run(file, Modality.TEXT,
                    VectorImport.Format.CSV, null, false);
            long labelled = items.stream().filter(i -> !i.categories().isEmpty()).count();
            assertThat(report.stored()).as("every movie with a genre").isEqualTo(labelled);
            assertThat(report.rejected()).as("all-zero vectors (no genre) refused").isEqualTo(items.size() - labelled);
            assertThat(report.dimension()).isEqualTo(genres.size());
            // the same vectors under a name of the user's own: similar items by that name, outside training
            Modality named = Modality.parse("genres");
            assertThat(new VectorImport(t.store(), t.index()).run(file, named, VectorImport.Format.CSV, null, false)
                    .stored()).isEqualTo(labelled);

            ModelTraining.Plan plan = new ModelTraining.Plan(new Training.MamlSettings(1, 16, 2, 0.05, 1e-3, false,
                    Training.Episodes.COLD_START), new LearnerConfig(16, 1, 2, 32, 0.2, 20, NextItemLoss.SOFTMAX),
                    new MmlTraining.Stages(1, 1, 0.1, 3, 1e-3, 1e-3), 2, 0.8, false, 1000, "mml");
            Path saved = ModelTraining.train(t.store(), t.index(), t.home().resolve("models"), plan, Device.cpu(),
                    LOG::info);
            JsonNode manifest = JSON.readTree(saved.resolve("model.json").toFile());
            assertThat(manifest.at("/encoders/text").asText()).as("trained on the imported vectors")
                    .isEqualTo("imported:genres.csv");
            assertThat(manifest.at("/encoders").has("genres")).as("a named modality is not read by the learners")
                    .isFalse();

            Path[] minilm = BundledModels.miniLm(t.home().resolve("models-cache"));
            TextEncoder text = t.closeLater(new TextEncoder(minilm[0], minilm[1], BundledModels.MINILM, 64, 32,
                    Device.cpu()));
            ItemEncodingPipeline pipeline = new ItemEncodingPipeline(t.store(), t.index(), text, null,
                    new ItemText(t.config().encoders().textFields()));
            ServerServices services = new ServerServices(t.config(), t.store(), t.index(), pipeline, null, t.manager());
            assertThat(services.models().reload()).isTrue();
            KindlingServer server = t.serve(services);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();

            // similar items by the imported vectors: Toy Story's nearest share all its genres (cosine 1)
            JsonNode similar = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base
                    + "/v1/items/1/similar?by=text&k=3")).build(), HttpResponse.BodyHandlers.ofString()).body());
            Item toyStory = t.store().item("1").orElseThrow();
            for (JsonNode n : similar.get("items")) {
                assertThat(n.get("score").asDouble()).isCloseTo(1.0, Offset.offset(1e-4));
                assertThat(t.store().item(n.get("itemId").asText()).orElseThrow().categories())
                        .containsExactlyInAnyOrderElementsOf(toyStory.categories());
            }

            // ... and by the named modality, whose cosines are the same; fused stays MML's Eq. 14 over text and image
            JsonNode byName = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base
                    + "/v1/items/1/similar?by=genres&k=3")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(byName.get("by").asText()).isEqualTo("genres");
            assertThat(byName.get("items")).hasSize(3);
            for (JsonNode n : byName.get("items")) {
                assertThat(n.get("score").asDouble()).isCloseTo(1.0, Offset.offset(1e-4));
                assertThat(n.get("byModality").fieldNames()).toIterable().containsExactly("genres");
            }
            JsonNode fused = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base
                    + "/v1/items/1/similar?k=3")).build(), HttpResponse.BodyHandlers.ofString()).body());
            fused.get("items").forEach(n -> assertThat(n.get("byModality").fieldNames()).toIterable()
                    .containsExactly("text"));
            HttpResponse<String> notImported = http.send(HttpRequest.newBuilder(URI.create(base
                    + "/v1/items/1/similar?by=audio")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(notImported.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(notImported.body()).get("field").asText()).isEqualTo("by");
            assertThat(notImported.body()).contains("[text, genres]");
            // the modalities one can ask by, built-in first, each with its number of items (what the demo page lists)
            JsonNode modalities = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/modalities"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body()).get("modalities");
            assertThat(modalities).hasSize(2);
            assertThat(modalities.get(0).get("key").asText()).isEqualTo("text");
            assertThat(modalities.get(0).get("builtIn").asBoolean()).isTrue();
            assertThat(modalities.get(1).get("key").asText()).isEqualTo("genres");
            assertThat(modalities.get(1).get("builtIn").asBoolean()).isFalse();
            assertThat(modalities.get(1).get("items").asLong()).isEqualTo(t.index().count(Modality.parse("genres").collection()));
            assertThat(modalities.get(1).get("items").asLong()).isPositive();

            // the meta-learners rank with them
            HttpResponse<String> recommended = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/recommendations"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"interactions\":[{\"itemId\":\"1\"},{\"itemId\":\"3114\"}],\"k\":5,\"explain\":true}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(recommended.statusCode()).as(recommended.body()).isEqualTo(200);
            JsonNode answer = JSON.readTree(recommended.body());
            assertThat(answer.get("items")).hasSize(5);
            assertThat(answer.at("/explanation/method").asText()).isEqualTo("mml");
            assertThat(answer.at("/explanation/fusionWeights/text").asDouble()).isPositive();

            // an item added through the API: the text encoder leaves the imported modality alone
            HttpResponse<String> added = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/items"))
                    .header("Content-Type", "application/json").header("X-API-Key", KEY)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"new-one\",\"title\":\"New One (2026)\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            assertThat(JSON.readTree(added.body()).at("/encoded/text").asBoolean()).isFalse();
            assertThat(t.store().itemVectorsOf("text", List.of("new-one"))).isEmpty();
            assertThat(t.index().collection(Modality.TEXT.collection()).dimension()).isEqualTo(genres.size());

            // a deleted item leaves the named modality's collection too, and a rebuild refills it from the store
            HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/items/2"))
                    .header("X-API-Key", KEY).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
            assertThat(t.index().get(named.collection(), "2")).isEmpty();
            t.index().dropCollection(named.collection());
            pipeline.rebuildIndex();
            assertThat(t.index().count(named.collection())).isEqualTo(labelled - 1);
            assertThat(t.index().get(named.collection(), "1")).isPresent();
        }
    }
}
