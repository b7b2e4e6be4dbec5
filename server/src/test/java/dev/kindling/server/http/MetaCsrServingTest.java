package dev.kindling.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Item;
import dev.kindling.core.store.ItemVector;
import dev.kindling.meta.serving.MetaCsrModelTraining;
import dev.kindling.meta.serving.ServingModel;
import dev.kindling.tensor.DjlRuntime;

/**
 * A metaCSR model ({@code train --model metacsr}'s code path, briefly trained on ml-latest-small's real ratings)
 * served over real HTTP: new users' recommendations adapted in the request, named in {@code explain}, deterministic and
 * following the picks; items added after training take the rows of their nearest trained items by their vectors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetaCsrServingTest {
    private static final Logger LOG = LoggerFactory.getLogger(MetaCsrServingTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Toy Story, Aladdin, The Lion King, Beauty and the Beast, Finding Nemo. */
    private static final List<String> CHILDREN = List.of("1", "588", "364", "595", "6377");
    /** The Shining, Alien, Halloween, The Exorcist, Scream. */
    private static final List<String> HORROR = List.of("1258", "1214", "1982", "1997", "1717");

    private TestHome t;
    private ServerServices services;
    private KindlingServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void serve() throws Exception {
        DjlRuntime.singleThreadedOps();
        t = TestHome.movieLens("kindling-metacsr-serving-test", Map.of());
        services = new ServerServices(t.config(), t.store(), t.index(), null, null, t.manager());
        server = t.serve(services);
    }

    @AfterAll
    void stop() throws Exception {
        if (t != null) {
            t.close();
        }
    }

    @Test
    void servesMetaCsrToNewUsers() throws Exception {
        long start = System.nanoTime();
        var saved = MetaCsrModelTraining.train(t.store(), t.home().resolve("models"),
                MetaCsrModelTraining.Plan.defaults().withSteps(120), Device.cpu(), LOG::info);
        LOG.info("trained a short metaCSR in {} s", String.format("%.1f", (System.nanoTime() - start) / 1e9));
        JsonNode manifest = JSON.readTree(saved.resolve("model.json").toFile());
        assertThat(manifest.get("method").asText()).isEqualTo("metacsr");
        assertThat(manifest.at("/metacsr/innerSteps").asInt()).isEqualTo(3);
        assertThat(services.models().reload()).isTrue();

        HttpResponse<String> children = recommend(CHILDREN);
        assertThat(children.statusCode()).as(children.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(children.body());
        assertThat(answer.at("/explanation/method").asText()).isEqualTo("metacsr");
        assertThat(answer.get("model").asText()).isEqualTo(saved.getFileName().toString());
        List<String> forChildren = ids(answer);
        assertThat(forChildren).hasSize(10).doesNotContainAnyElementsOf(CHILDREN).doesNotHaveDuplicates();
        for (JsonNode item : answer.get("items")) {
            assertThat(item.get("title").asText()).isNotEmpty();
            assertThat(item.get("score").asDouble()).isFinite();
        }
        assertThat(recommend(CHILDREN).body()).as("the same answer twice").isEqualTo(children.body());
        List<String> forHorror = ids(JSON.readTree(recommend(HORROR).body()));
        Set<String> shared = new HashSet<>(forChildren);
        shared.retainAll(forHorror);
        LOG.info("children's picks -> {}; horror picks -> {}; {} shared", forChildren, forHorror, shared.size());
        assertThat(shared.size()).as("the recommendations follow the picks").isLessThan(10);

        // items added after training are outside the graph: with vectors, the mean row of their nearest trained
        // items (here Toy Story and its sequels, whose vectors are all this store has); without, a zero row
        Random random = new Random(3);
        float[] toyStory = unit(random, null);
        List<ItemVector> vectors = new ArrayList<>();
        vectors.add(ItemVector.of("1", "text", "test@1", "h", toyStory));
        vectors.add(ItemVector.of("3114", "text", "test@1", "h", unit(random, toyStory)));
        vectors.add(ItemVector.of("78499", "text", "test@1", "h", unit(random, toyStory)));
        t.store().upsertItems(List.of(new Item("toy-story-5", "Toy Story 5", "", null, List.of(), List.of(), Map.of()),
                new Item("no-vectors", "Nothing Known", "", null, List.of(), List.of(), Map.of())));
        vectors.add(ItemVector.of("toy-story-5", "text", "test@1", "h", unit(random, toyStory)));
        t.store().putItemVectors(vectors);
        assertThat(services.models().reload()).isTrue();
        ServingModel served = services.models().current();
        List<String> history = List.of("2355", "588", "364");
        double added = served.recommend(history, 1, true, "toy-story-5"::equals).items().get(0).score();
        double withNothing = served.recommend(history, 1, true, "no-vectors"::equals).items().get(0).score();
        double toyStory3 = served.recommend(history, 1, true, "78499"::equals).items().get(0).score();
        LOG.info("scores: the added Toy Story 5 {}, Toy Story 3 {}, an added item without vectors {}", added,
                toyStory3, withNothing);
        assertThat(withNothing).isZero();
        assertThat(added).isNotZero();
        assertThat(ids(JSON.readTree(recommend(CHILDREN).body()))).as("answers go on after the catalogue grew")
                .hasSize(10);
    }

    /** A random unit vector of 384 values, or one close to {@code near}. */
    private static float[] unit(Random random, float[] near) {
        float[] v = new float[384];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((near == null ? 0 : 4 * near[i]) + random.nextGaussian() / Math.sqrt(v.length));
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    private static List<String> ids(JsonNode answer) {
        List<String> out = new ArrayList<>();
        answer.get("items").forEach(n -> out.add(n.get("itemId").asText()));
        return out;
    }

    private HttpResponse<String> recommend(List<String> picks) throws Exception {
        List<Map<String, String>> interactions = picks.stream().map(i -> Map.of("itemId", i)).toList();
        String body = JSON.writeValueAsString(Map.of("interactions", interactions, "k", 10, "explain", true));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/recommendations"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
