package dev.kindling.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.assertj.core.data.Offset;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Item;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.StoreStats;
import dev.kindling.encoders.BundledModels;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.UserCollection;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.serving.ModelDirectory;
import dev.kindling.meta.serving.ServingModel;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/**
 * The HTTP API over real HTTP on a random port, on the real ml-latest-small data (bundled in data/), the real MiniLM
 * text encoder, a Lucene index and a small MML model trained here: recommendations for a new user, a new item found
 * by similar-item search at once, bad input answered with 4xx JSON naming the field and nothing stored, API keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KindlingServerTest {
    private static final String KEY = "test-key-123";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(KindlingServerTest.class);

    private TestHome t;
    private TextEncoder text;
    private ServerServices services;
    private KindlingServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        DjlRuntime.singleThreadedOps();
        t = TestHome.movieLens("kindling-server-test", Map.of("server.apiKey", KEY,
                "server.maxBodyBytes", "1048576", "server.modelPollSeconds", "1"));
        Path[] minilm = BundledModels.miniLm(t.home().resolve("models-cache"));
        text = t.closeLater(new TextEncoder(minilm[0], minilm[1], BundledModels.MINILM, 64, 32, Device.cpu()));
        ItemEncodingPipeline pipeline = new ItemEncodingPipeline(t.store(), t.index(), text, null,
                new ItemText(t.config().encoders().textFields()));
        pipeline.encode(someItems(), null, ItemEncodingPipeline.Listener.NONE);

        trainSmallModel(t.config());
        services = new ServerServices(t.config(), t.store(), t.index(), pipeline, null, t.manager());
        assertThat(services.models().reload()).isTrue();
        services.models().watch();
        server = t.serve(services);
    }

    /** Toy Story and its sequels plus the first 400 items by id: enough neighbours for text similarity. */
    private List<Item> someItems() {
        List<Item> out = new ArrayList<>();
        Page<Item> page = t.store().items(null, 400);
        out.addAll(page.rows());
        for (String id : List.of("1", "2355", "3114", "78499", "6377", "4886", "8961", "60069", "68954")) {
            t.store().item(id).ifPresent(out::add);
        }
        return out;
    }

    private void trainSmallModel(KindlingConfig config) {
        MetaDataset data = MetaDataset.load(t.store(), 0.8);
        ItemFeatures features = data.features(t.store(), t.manager(), DataType.FLOAT32);
        LearnerConfig learner = new LearnerConfig(16, 1, 2, 32, 0.1, 20);
        MmlModel model = new MmlModel(data, features, learner, new Scalars(t.manager(), DataType.FLOAT32), t.manager());
        new MmlTraining(model, MmlTraining.Options.NONE).train(new Training.MamlSettings(1, 32, 1, 0.05, 1e-3, false),
                new MmlTraining.Stages(1, 1, 0.1, 3, 1e-3, 1e-3), 1, msg -> { });
        ModelDirectory.save(config.home().resolve("models"), learner, data, Map.of("text", text.identity()),
                model.parameters());
    }


    @AfterAll
    void stop() throws Exception {
        if (t != null) {
            t.close();
        }
    }

    /** Catalogue changes applied to the serving model without loading it (the metric). */
    private double catalogueUpdates() {
        return services.metrics().find("kindling.model.catalogue.updates").gauge().value();
    }

    /** Writes to the index through the server (user embeddings; item vectors go through the encoding pipeline). */
    private long userEmbeddingWrites() {
        var timer = services.metrics().find("kindling.index").tag("method", "upsert").timer();
        return timer == null ? 0 : timer.count();
    }

    private HttpResponse<String> send(String method, String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json");
        if (key != null) {
            b.header("X-API-Key", key);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void aNewUserWithFiveRealMoviesGetsKRecommendations() throws Exception {
        String body = "{\"interactions\":[{\"itemId\":\"1\"},{\"itemId\":\"2355\"},{\"itemId\":\"3114\"},"
                + "{\"itemId\":\"6377\"},{\"itemId\":\"4886\"}],\"k\":7,\"explain\":true}";
        HttpResponse<String> r = send("POST", "/v1/recommendations", body, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode out = json(r);
        assertThat(out.get("items")).hasSize(7);
        List<String> ids = new ArrayList<>();
        double previous = Double.POSITIVE_INFINITY;
        int becauseLines = 0;
        for (JsonNode item : out.get("items")) {
            ids.add(item.get("itemId").asText());
            Item stored = t.store().item(item.get("itemId").asText()).orElseThrow();
            assertThat(item.get("title").asText()).as("each answer carries the item's title")
                    .isEqualTo(stored.title());
            List<String> categories = new ArrayList<>();
            item.get("categories").forEach(c -> categories.add(c.asText()));
            assertThat(categories).as("and its categories").isEqualTo(stored.categories()).isNotEmpty();
            assertThat(item.has("image")).as("no picture link for an item without a picture").isFalse();
            double score = item.get("score").asDouble();
            assertThat(score).as("best first").isLessThanOrEqualTo(previous);
            previous = score;
            // explain: each learner's part of the score (Eq. 13's terms sum to it) and the picks it is closest to
            JsonNode parts = item.get("contributions");
            assertThat(parts.get("id").asDouble() + parts.get("text").asDouble() + parts.get("image").asDouble())
                    .as("the learners' parts sum to the score").isCloseTo(score, Offset.offset(1e-4));
            JsonNode because = item.get("becauseYouLiked");
            assertThat(because.size()).isBetween(0, 2);
            double closest = Double.POSITIVE_INFINITY;
            for (JsonNode b : because) {
                assertThat(b.get("itemId").asText()).isIn("1", "2355", "3114", "6377", "4886");
                assertThat(b.get("title").asText()).isNotEmpty();
                assertThat(b.get("similarity").asDouble()).isBetween(0.0, 1.0).isLessThanOrEqualTo(closest);
                closest = b.get("similarity").asDouble();
            }
            becauseLines += because.size();
        }
        assertThat(becauseLines).as("popular recommendations share users with the picks").isGreaterThan(7);
        assertThat(ids).as("seen items are excluded").doesNotContain("1", "2355", "3114", "6377", "4886")
                .doesNotHaveDuplicates();
        assertThat(out.at("/explanation/method").asText()).isEqualTo("mml");
        assertThat(out.at("/explanation/innerSteps").asInt()).isEqualTo(5);
        assertThat(out.at("/explanation/adaptedOn")).hasSize(5);
        assertThat(out.at("/explanation/learningRate").asDouble()).as("trained without PAML: the fixed rate")
                .isEqualTo(0.05);
        assertThat(out.at("/explanation/learningRateFrom")).isEmpty();
        JsonNode weights = out.at("/explanation/fusionWeights");
        double sum = weights.get("id").asDouble() + weights.get("text").asDouble() + weights.get("image").asDouble();
        assertThat(sum).as("attention weights over the three learners (Eq. 13)").isCloseTo(1.0,
                Offset.offset(1e-4));
        assertThat(out.get("model").asText()).isEqualTo(services.models().current().version());
    }

    @Test
    void aStoredUserGetsRecommendationsFromTheStoredSequence() throws Exception {
        HttpResponse<String> r = send("GET", "/v1/users/1/recommendations?k=3", null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("items")).hasSize(3);
        HttpResponse<String> unknown = send("GET", "/v1/users/no-such-user/recommendations", null, null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("field").asText()).isEqualTo("id");
    }

    /**
     * Writes of one item id take turns: rounds of 8 concurrent upserts (each a different title) and deletes of one id
     * end with the store, its text vector and the index agreeing, and never with a 500.
     */
    @Test
    void concurrentUpsertsAndDeletesOfOneIdLeaveStoreAndIndexAgreeing() throws Exception {
        Random random = new Random(11);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    boolean delete = random.nextInt(3) == 0;
                    String title = "Race " + round + "-" + w + " (2020)";
                    answers.add(pool.submit(() -> delete ? send("DELETE", "/v1/items/race", null, KEY)
                            : send("POST", "/v1/items", "{\"id\":\"race\",\"title\":\"" + title + "\"}", KEY)));
                }
                for (var a : answers) {
                    assertThat(a.get().statusCode()).as(a.get().body()).isIn(200, 201, 204, 404);
                }
                var stored = t.store().item("race");
                var indexed = t.index().get("items_text", "race");
                assertThat(indexed.isPresent()).as("round %d: the index has a vector iff the store has the item",
                        round).isEqualTo(stored.isPresent());
                if (stored.isPresent()) {
                    float[] expected = text.encode(List.of(new ItemText(services.config().encoders().textFields())
                            .of(stored.get())))[0];
                    float[] got = indexed.get().vector();
                    double dot = 0;
                    for (int i = 0; i < got.length; i++) {
                        dot += expected[i] * got[i];
                    }
                    assertThat(dot).as("round %d: the indexed vector is the stored title's (%s)", round,
                            stored.get().title()).isGreaterThan(0.999);
                }
            }
        } finally {
            pool.shutdownNow();
            send("DELETE", "/v1/items/race", null, KEY);
        }
    }

    @Test
    void answersLinkAnItemsPictureWhenItHasOne() throws Exception {
        String item = "{\"id\":\"with picture\",\"title\":\"Poster film (2020)\","
                + "\"image\":\"https://example.org/poster.jpg\"}";
        HttpResponse<String> created = send("POST", "/v1/items", item, KEY);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        try {
            assertThat(services.catalogue().imageUrl("with picture")).isEqualTo("/v1/items/with%20picture/image");
            assertThat(services.catalogue().imageUrl("1")).as("no picture").isNull();
        } finally {
            send("DELETE", "/v1/items/with%20picture", null, KEY);
        }
        assertThat(services.catalogue().imageUrl("with picture")).as("deleted").isNull();
    }

    @Test
    void aBrandNewItemIsFoundBySimilarItemSearchAtOnce() throws Exception {
        long userWritesBefore = userEmbeddingWrites();
        var servingBefore = services.models().current();
        String item = "{\"id\":\"new-toy-story-4\",\"title\":\"Toy Story 4 (2019)\","
                + "\"categories\":[\"Adventure\",\"Animation\",\"Children\",\"Comedy\",\"Fantasy\"]}";
        double updatesBefore = catalogueUpdates();
        HttpResponse<String> created = send("POST", "/v1/items", item, KEY);
        long createdAt = System.nanoTime();
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(json(created).at("/encoded/text").asBoolean()).isTrue();

        HttpResponse<String> similar = send("GET", "/v1/items/3114/similar?by=text&k=5", null, null);
        assertThat(similar.statusCode()).as(similar.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        json(similar).get("items").forEach(n -> ids.add(n.get("itemId").asText()));
        assertThat(ids).as("Toy Story 2's text neighbours").contains("new-toy-story-4");

        HttpResponse<String> own = send("GET", "/v1/items/new-toy-story-4/similar?k=3", null, null);
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(json(own).get("items").get(0).get("itemId").asText()).isIn("1", "3114", "78499");
        assertThat(json(own).get("items").get(0).get("title").asText()).startsWith("Toy Story");

        // Without retraining or loading the model again, the serving model gets a generated ID embedding for it
        // (MML 4.3) and can recommend it.
        for (int i = 0; i < 3000 && !services.models().current().knows("new-toy-story-4"); i++) {
            Thread.sleep(10);
        }
        LOG.info("the new item was known to the serving model {} ms after its 201", (System.nanoTime() - createdAt) / 1_000_000);
        ServingModel updated = services.models().current();
        assertThat(updated.knows("new-toy-story-4")).as("the updated model knows the new item").isTrue();
        assertThat(updated).isNotSameAs(servingBefore);
        assertThat(catalogueUpdates()).as("applied as a catalogue update, not a load").isGreaterThan(updatesBefore);
        assertThat(userEmbeddingWrites()).as("a catalogue change does not re-embed every user").isEqualTo(userWritesBefore);
        var ranked = updated.recommend(List.of("1", "3114"), 10, true, "new-toy-story-4"::equals);
        assertThat(ranked.items()).extracting(ServingModel.Scored::itemId)
                .containsExactly("new-toy-story-4");
        assertThat(ranked.items().get(0).score()).isFinite();
        // the update gives what loading the model from scratch gives: the same scores for the new item and the top 20
        // (to float rounding: the new item's generated row is computed alone here and among every cold item by a
        // load, and the user's adaptation, a softmax over every item, carries the difference into every score)
        try (ServingModel loaded = ServingModel.load(t.home().resolve("models"), t.store(), t.index(), t.manager())) {
            List<String> history = List.of("1", "3114", "2355");
            assertThat(loaded.recommend(history, 1, true, "new-toy-story-4"::equals).items().get(0).score())
                    .isCloseTo(updated.recommend(history, 1, true, "new-toy-story-4"::equals).items().get(0).score(),
                            within(1e-3));
            var fromUpdate = updated.recommend(history, 20, true, id -> true).items();
            var fromLoad = loaded.recommend(history, 20, true, id -> true).items();
            assertThat(fromUpdate).extracting(ServingModel.Scored::itemId)
                    .containsExactlyElementsOf(fromLoad.stream().map(ServingModel.Scored::itemId).toList());
            for (int i = 0; i < fromLoad.size(); i++) {
                assertThat(fromUpdate.get(i).score()).isCloseTo(fromLoad.get(i).score(), within(1e-3));
            }
        }
        HttpResponse<String> withNew = send("POST", "/v1/recommendations",
                "{\"interactions\":[{\"itemId\":\"1\"},{\"itemId\":\"new-toy-story-4\"}],\"explain\":true}", null);
        assertThat(withNew.statusCode()).as(withNew.body()).isEqualTo(200);
        assertThat(json(withNew).at("/explanation/adaptedOn")).hasSize(2);
        assertThat(json(withNew).at("/explanation/unknownToModel")).isEmpty();

        HttpResponse<String> deleted = send("DELETE", "/v1/items/new-toy-story-4", null, KEY);
        assertThat(deleted.statusCode()).isEqualTo(204);
        HttpResponse<String> after = send("GET", "/v1/items/3114/similar?by=text&k=5", null, null);
        assertThat(after.body()).doesNotContain("new-toy-story-4");
        assertThat(send("GET", "/v1/items/new-toy-story-4/similar", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void titleSearchPutsExactAndPrefixMatchesFirstThenPopularity() throws Exception {
        assertThat(searchIds("star wars", 3)).as("prefix matches, the most watched first")
                .containsExactly("260", "1196", "1210");
        assertThat(searchIds("toy story", 1)).as("the exact title (its year aside) first").containsExactly("1");
        assertThat(searchIds("matrix", 1)).containsExactly("2571");
        assertThat(searchIds("no such film anywhere", 5)).isEmpty();
    }

    private List<String> searchIds(String q, int limit) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/items?limit=" + limit + "&q="
                + URLEncoder.encode(q, StandardCharsets.UTF_8), null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        json(r).get("items").forEach(n -> ids.add(n.get("id").asText()));
        return ids;
    }

    @Test
    void similarItemsByBehaviourAreItemsTheSameUsersConsumedAndFollowNewInteractions() throws Exception {
        HttpResponse<String> starWars = send("GET", "/v1/items/260/similar?by=behaviour&k=5", null, null);
        assertThat(starWars.statusCode()).as(starWars.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        json(starWars).get("items").forEach(n -> ids.add(n.get("itemId").asText()));
        assertThat(ids.subList(0, 2)).as("Star Wars: its two sequels, watched by the same people")
                .containsExactlyInAnyOrder("1196", "1210");
        assertThat(json(starWars).get("items").get(0).get("title").asText()).startsWith("Star Wars");
        double first = json(starWars).get("items").get(0).get("score").asDouble();
        assertThat(first).isBetween(0.5, 1.0);

        // an item nobody consumed yet has no behaviour neighbours; three users' interactions give it some
        String item = "{\"id\":\"behaviour-new\",\"title\":\"A Film Nobody Saw (2026)\"}";
        assertThat(send("POST", "/v1/items", item, KEY).statusCode()).isEqualTo(201);
        assertThat(json(send("GET", "/v1/items/behaviour-new/similar?by=behaviour", null, null)).get("items"))
                .isEmpty();
        StringBuilder writes = new StringBuilder("{\"interactions\":[");
        for (String user : List.of("behaviour-a", "behaviour-b", "behaviour-c")) {
            writes.append("{\"userId\":\"").append(user).append("\",\"itemId\":\"behaviour-new\"},")
                    .append("{\"userId\":\"").append(user).append("\",\"itemId\":\"5952\"},");
        }
        writes.setCharAt(writes.length() - 1, ']');
        writes.append('}');
        HttpResponse<String> written = send("POST", "/v1/interactions", writes.toString(), KEY);
        assertThat(written.statusCode()).as(written.body()).isEqualTo(201);
        JsonNode neighbours = json(send("GET", "/v1/items/behaviour-new/similar?by=behaviour&k=3", null, null))
                .get("items");
        assertThat(neighbours.get(0).get("itemId").asText()).as("the only item its users consumed").isEqualTo("5952");

        assertThat(send("DELETE", "/v1/items/behaviour-new", null, KEY).statusCode()).isEqualTo(204);
        assertThat(send("GET", "/v1/items/5952/similar?by=behaviour&k=1000", null, null).body())
                .as("a deleted item is not returned").doesNotContain("behaviour-new");
        assertThat(json(send("GET", "/v1/items/260/similar?by=smell", null, null)).get("field").asText())
                .isEqualTo("by");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "malformed JSON            | {\"interactions\": [ |",
        "empty body                | `` |",
        "empty interactions        | {\"interactions\":[]} | interactions",
        "interactions not an array | {\"interactions\":\"1\"} | interactions",
        "item id not a string      | {\"interactions\":[{\"itemId\":1}]} | interactions[0].itemId",
        "k of the wrong type       | {\"interactions\":[{\"itemId\":\"1\"}],\"k\":\"ten\"} | k",
        "k out of range            | {\"interactions\":[{\"itemId\":\"1\"}],\"k\":0} | k",
        "NaN rating (a string)     | {\"interactions\":[{\"itemId\":\"1\",\"rating\":\"NaN\"}]} | interactions[0].rating",
        "NaN rating (a token)      | {\"interactions\":[{\"itemId\":\"1\",\"rating\":NaN}]} |",
        "rating out of range       | {\"interactions\":[{\"itemId\":\"1\",\"rating\":7}]} | interactions[0].rating",
        "unknown item, strict mode | {\"interactions\":[{\"itemId\":\"1\"},{\"itemId\":\"no-such\"}]} | interactions[1].itemId",
        "bad timestamp             | {\"interactions\":[{\"itemId\":\"1\",\"timestamp\":\"yesterday\"}]} | interactions[0].timestamp",
        "unknown field             | {\"interactions\":[{\"itemId\":\"1\"}],\"kk\":3} | kk",
    })
    void badRecommendationRequestsAre400WithTheFieldNamed(String name, String body, String field) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/recommendations", body == null ? "" : body, null);
        assertThat(r.statusCode()).as(name + ": " + r.body()).isEqualTo(400);
        JsonNode error = json(r);
        assertThat(error.get("status").asInt()).isEqualTo(400);
        assertThat(error.get("detail").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
        if (field != null) {
            assertThat(error.get("field").asText()).isEqualTo(field);
        }
    }

    @Test
    void badWritesAreRefusedAndStoreNothing() throws Exception {
        StoreStats before = t.store().stats();
        String good = "{\"userId\":\"api-user\",\"itemId\":\"1\",\"rating\":4,\"timestamp\":\"2024-01-01T00:00:00Z\"}";
        String badRating = "{\"userId\":\"api-user\",\"itemId\":\"2\",\"rating\":9,\"timestamp\":\"2024-01-01T00:00:01Z\"}";
        HttpResponse<String> mixed = send("POST", "/v1/interactions", "{\"interactions\":[" + good + "," + badRating + "]}", KEY);
        assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(400);
        assertThat(json(mixed).get("field").asText()).isEqualTo("interactions[1].rating");

        HttpResponse<String> noKey = send("POST", "/v1/interactions", "{\"interactions\":[" + good + "]}", null);
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(json(noKey).get("field").asText()).isEqualTo("X-API-Key");
        assertThat(send("POST", "/v1/interactions", "{\"interactions\":[" + good + "]}", "wrong").statusCode())
                .isEqualTo(403);
        assertThat(send("POST", "/v1/items", "{\"id\":\"x1\",\"title\":\"X\"}", null).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/v1/items", "{\"id\":\"\",\"title\":\"X\"}", KEY).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/items", "{\"id\":\"x2\",\"image\":\"ftp://host/a.jpg\"}", KEY).statusCode())
                .isEqualTo(400);

        String tenMegabytes = "{\"interactions\":[{\"itemId\":\"" + "1".repeat(10 * 1024 * 1024) + "\"}]}";
        HttpResponse<String> huge = send("POST", "/v1/interactions", tenMegabytes, KEY);
        assertThat(huge.statusCode()).isEqualTo(413);
        assertThat(json(huge).get("status").asInt()).isEqualTo(413);

        assertThat(t.store().stats()).as("nothing stored").isEqualTo(before);
        assertThat(t.store().item("x1")).isEmpty();

        HttpResponse<String> ok = send("POST", "/v1/interactions", "{\"interactions\":[" + good + "]}", KEY);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(json(ok).get("stored").asInt()).isEqualTo(1);
        HttpResponse<String> again = send("POST", "/v1/interactions", "{\"interactions\":[" + good + "]}", KEY);
        assertThat(json(again).get("duplicates").asInt()).isEqualTo(1);
        assertThat(t.store().stats().interactions()).isEqualTo(before.interactions() + 1);
    }

    @Test
    void healthMetricsDocsAndUnknownRoutes() throws Exception {
        assertThat(send("GET", "/health/live", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = send("GET", "/health/ready", null, null);
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        send("GET", "/v1/items/1/similar?by=text&k=2", null, null);
        HttpResponse<String> metrics = send("GET", "/metrics", null, null);
        assertThat(metrics.body()).contains("kindling_http_requests_seconds_count")
                .contains("route=\"/v1/items/{id}/similar\"");
        JsonNode openapi = json(send("GET", "/openapi.json", null, null));
        assertThat(openapi.get("openapi").asText()).startsWith("3.");
        assertThat(server.routes()).hasSizeGreaterThanOrEqualTo(20);
        for (String route : server.routes()) {
            String[] methodAndPath = route.split(" ", 2);
            assertThat(openapi.get("paths").path(methodAndPath[1]).has(methodAndPath[0].toLowerCase(Locale.ROOT)))
                    .as("openapi documents " + route).isTrue();
        }
        HttpResponse<String> missing = send("GET", "/v1/nothing-here", null, null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("detail").asText()).contains("/v1/nothing-here");
        HttpResponse<String> badParam = send("GET", "/v1/items/1/similar?by=smell", null, null);
        assertThat(badParam.statusCode()).isEqualTo(400);
        assertThat(json(badParam).get("field").asText()).isEqualTo("by");
    }

    @Test
    void bulkUploadsAreAllOrNothingAndEncodedByAJob() throws Exception {
        StoreStats before = t.store().stats();
        String dup = "{\"id\":\"bulk-1\",\"title\":\"Shrek the Third (2007)\"}\n"
                + "{\"id\":\"bulk-2\",\"title\":\"Kung Fu Panda (2008)\"}\n"
                + "{\"id\":\"bulk-1\",\"title\":\"again\"}\n";
        HttpResponse<String> refused = send("POST", "/v1/items:bulk", dup, KEY);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        JsonNode rows = json(refused).get("rows");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(2).get("result").asText()).isEqualTo("invalid");
        assertThat(rows.get(2).get("field").asText()).isEqualTo("id");
        HttpResponse<String> badRow = send("POST", "/v1/items:bulk",
                "{\"id\":\"bulk-3\",\"title\":\"ok\"}\n{\"id\":\"bulk-4\",\"tags\":\"not-a-list\"}\n", KEY);
        assertThat(badRow.statusCode()).isEqualTo(400);
        assertThat(json(badRow).get("rows").get(1).get("field").asText()).isEqualTo("tags");
        assertThat(send("POST", "/v1/items:bulk", "{\"id\":\"x\"}\n", null).statusCode()).isEqualTo(401);
        assertThat(t.store().stats()).as("nothing stored").isEqualTo(before);

        String good = "{\"id\":\"bulk-1\",\"title\":\"Shrek the Third (2007)\",\"categories\":[\"Animation\"]}\n\n"
                + "{\"id\":\"bulk-2\",\"title\":\"Kung Fu Panda (2008)\"}\n";
        HttpResponse<String> accepted = send("POST", "/v1/items:bulk", good, KEY);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode out = json(accepted);
        assertThat(out.get("created").asInt()).isEqualTo(2);
        assertThat(out.get("rows").get(1).get("line").asInt()).isEqualTo(3);
        String job = out.get("job").asText();
        JsonNode state = null;
        for (int i = 0; i < 300; i++) {
            state = json(send("GET", "/v1/jobs/" + job, null, null));
            if (!state.get("state").asText().equals("queued") && !state.get("state").asText().equals("running")) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(state.get("state").asText()).as(state.toString()).isEqualTo("succeeded");
        assertThat(state.at("/result/textEncoded").asInt()).isEqualTo(2);
        assertThat(t.store().stats().items()).isEqualTo(before.items() + 2);
        HttpResponse<String> similar = send("GET", "/v1/items/bulk-1/similar?by=text&k=3", null, null);
        assertThat(similar.statusCode()).as(similar.body()).isEqualTo(200);
        assertThat(send("GET", "/v1/jobs/no-such-job", null, null).statusCode()).isEqualTo(404);
    }

    /** Another replica (or ./kindling train) saves a version into the shared models directory: it is served soon. */
    @Test
    void aModelVersionSavedElsewhereIsServedWithoutARestart() throws Exception {
        Path models = t.home().resolve("models");
        String current = Files.readString(models.resolve("current")).strip();
        String next = "29991231-235959-999";
        Path copy = models.resolve(next);
        Files.createDirectories(copy);
        try (var files = Files.list(models.resolve(current))) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path manifest = copy.resolve("model.json");
        Files.writeString(manifest, Files.readString(manifest).replace(current, next));
        Path pointer = Files.writeString(models.resolve("current.tmp"), next);
        Files.move(pointer, models.resolve("current"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        String body = "{\"interactions\":[{\"itemId\":\"1\"},{\"itemId\":\"3114\"}],\"k\":3}";
        String served = null;
        for (int i = 0; i < 600 && !next.equals(served); i++) { // polled every second; a reload in progress delays it
            Thread.sleep(100);
            HttpResponse<String> r = send("POST", "/v1/recommendations", body, null);
            assertThat(r.statusCode()).as("requests keep being answered while the model changes").isEqualTo(200);
            served = json(r).get("model").asText();
        }
        assertThat(served).isEqualTo(next);
    }

    @Test
    void similarUsersComeFromTheIndexAndTrainingRequestsAreValidated() throws Exception {
        HttpResponse<String> r = send("GET", "/v1/users/1/similar?k=4", null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode users = json(r).get("users");
        assertThat(users).hasSize(4);
        for (JsonNode u : users) {
            assertThat(u.get("userId").asText()).isNotEqualTo("1");
            assertThat(u.get("score").asDouble()).isBetween(-1.0, 1.0001);
        }
        assertThat(t.index().count(UserCollection.name(services.models().current().userDimension()))).as("every stored user (610) plus those other tests add")
                .isGreaterThanOrEqualTo(610);
        assertThat(send("GET", "/v1/users/nobody/similar", null, null).statusCode()).isEqualTo(404);

        HttpResponse<String> badProfile = send("POST", "/v1/train", "{\"profile\":\"huge\"}", KEY);
        assertThat(badProfile.statusCode()).isEqualTo(400);
        assertThat(json(badProfile).get("field").asText()).isEqualTo("profile");
        assertThat(send("POST", "/v1/train", "{\"quantile\":1.5}", KEY).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/train", "{}", null).statusCode()).isEqualTo(401);
    }

    /** Debian's chromium (CI installs it); locally the test skips when there is none, under CI=true it fails. */
    private static String chromium() {
        String configured = System.getenv("KINDLING_CHROMIUM");
        List<String> candidates = configured != null ? List.of(configured)
                : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("no chromium found (CI must install Debian's chromium): " + candidates);
        }
        Assumptions.abort("no chromium on this machine: the browser test needs Debian's chromium");
        return null;
    }

    private static String headless(String chromium, Path profile, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=20000",
                "--window-size=1280,1600"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return out;
    }

    @Test
    void theDemoPageShowsRecommendationsAndSimilarItemsInHeadlessChromium() throws Exception {
        String chromium = chromium();
        Path profile = Files.createTempDirectory(t.home(), "chromium");
        String url = "http://127.0.0.1:" + server.port() + "/?pick=1,3114,2355&similar=1";
        Document dom = Jsoup.parse(headless(chromium, profile, "--dump-dom", url));
        assertThat(dom.body().attr("data-loaded")).as("the page's script ran to the end").isEqualTo("true");
        assertThat(dom.select("#picked li")).extracting(e -> e.attr("data-id")).containsExactly("1", "3114", "2355");
        assertThat(dom.select("#picked li span").first().text()).isEqualTo("Toy Story (1995)");
        var recommended = dom.select("#recommendations .card");
        assertThat(recommended).hasSize(12);
        assertThat(recommended).extracting(e -> e.attr("data-id")).doesNotContain("1", "3114", "2355");
        assertThat(recommended.select(".title")).hasSize(12).allSatisfy(t -> assertThat(t.text()).isNotBlank());
        assertThat(recommended.select(".title")).filteredOn(t -> t.text().matches(".+\\(\\d{4}\\).*"))
                .as("MovieLens titles (other tests add items of their own)").hasSizeGreaterThanOrEqualTo(9);
        assertThat(dom.select("#explanation").text()).contains("5 adaptation steps").contains("on 3 movies")
                .contains("learner weights: ID ");
        assertThat(dom.select("#similar-to").text()).isEqualTo("Toy Story (1995)");
        assertThat(dom.select("#similar .card")).extracting(e -> e.attr("data-id")).contains("3114");
        assertThat(dom.select("#status").text()).as("no error shown").isEmpty();

        Path png = Path.of("target", "demo-page.png").toAbsolutePath();
        Files.deleteIfExists(png);
        headless(chromium, profile, "--screenshot=" + png, url);
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes.length).as("a real screenshot").isGreaterThan(20_000);
        assertThat(Arrays.copyOf(bytes, 4)).containsExactly(0x89, 'P', 'N', 'G');

        // the similar-items switch: by behaviour, Star Wars' sequels
        Document byBehaviour = Jsoup.parse(headless(chromium, profile, "--dump-dom",
                "http://127.0.0.1:" + server.port() + "/?similar=260&by=behaviour"));
        assertThat(byBehaviour.select("#similar .card")).extracting(e -> e.attr("data-id")).contains("1196", "1210");
        assertThat(byBehaviour.select("#status").text()).as("no error shown").isEmpty();

        // a newcomer's first look: starter picks (the most watched), none picked yet
        Document first = Jsoup.parse(headless(chromium, profile, "--dump-dom", "http://127.0.0.1:" + server.port() + "/"));
        assertThat(first.select("#starters").hasAttr("hidden")).isFalse();
        assertThat(first.select("#starter-list li")).hasSize(8).extracting(e -> e.attr("data-id")).contains("356", "318");
        // search marks what is picked; a search that finds nothing says so
        Document searched = Jsoup.parse(headless(chromium, profile, "--dump-dom",
                "http://127.0.0.1:" + server.port() + "/?pick=1&q=toy%20story"));
        assertThat(searched.select("#results li[data-id]").first().attr("data-id")).isEqualTo("1");
        assertThat(searched.select("#results li.picked")).extracting(e -> e.attr("data-id")).containsExactly("1");
        assertThat(searched.select("#starters").hasAttr("hidden")).as("no starters once something is picked").isTrue();
        assertThat(searched.select("#recommendations .because")).as("because-you-liked lines").isNotEmpty();
        assertThat(searched.select("#recommendations .because").first().text()).startsWith("because you liked Toy Story");
        Document nothing = Jsoup.parse(headless(chromium, profile, "--dump-dom",
                "http://127.0.0.1:" + server.port() + "/?q=zzqqxx"));
        assertThat(nothing.select("#results li.none").text()).contains("No movie matches");
    }

    @Test
    void concurrentRecommendationsAreRankedTogetherAndGetTheAnswerOfARequestAlone() throws Exception {
        String[][] users = {{"1", "2355", "3114"}, {"260", "1196", "1210", "2571"}, {"318", "356", "593", "296", "50"}};
        List<String> bodies = new ArrayList<>();
        for (String[] items : users) {
            StringBuilder body = new StringBuilder("{\"k\":10,\"interactions\":[");
            for (int j = 0; j < items.length; j++) {
                body.append(j == 0 ? "" : ",").append("{\"itemId\":\"").append(items[j]).append("\"}");
            }
            bodies.add(body.append("]}").toString());
        }
        // Items added by other tests reach the serving model a moment later (a catalogue change, which changes the
        // scores): a round during which one landed is run again.
        for (int round = 1; ; round++) {
            double updates = catalogueUpdates();
            List<JsonNode> alone = new ArrayList<>();
            for (String body : bodies) {
                HttpResponse<String> r = send("POST", "/v1/recommendations", body, null);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                alone.add(json(r).get("items"));
            }
            double batchesBefore = gauge("kindling.ranking.batches");
            double usersBefore = gauge("kindling.ranking.batched.users");
            List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/recommendations")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i % users.length))).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            List<JsonNode> together = new ArrayList<>();
            for (CompletableFuture<HttpResponse<String>> f : futures) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                together.add(json(r).get("items"));
            }
            double batches = gauge("kindling.ranking.batches") - batchesBefore;
            double ranked = gauge("kindling.ranking.batched.users") - usersBefore;
            if (catalogueUpdates() != updates && round < 5) {
                continue;
            }
            for (int i = 0; i < together.size(); i++) {
                JsonNode items = together.get(i);
                JsonNode expected = alone.get(i % users.length);
                assertThat(items).hasSize(10);
                // a batch's rows are the users' own: the same scores but for libtorch's rounding, hence the same
                // items but for ties (this small model scores many cold items alike)
                double last = expected.get(9).get("score").asDouble();
                Map<String, Double> clear = new HashMap<>();
                for (int j = 0; j < 10; j++) {
                    assertThat(items.get(j).get("score").asDouble()).isCloseTo(expected.get(j).get("score").asDouble(),
                            Offset.offset(1e-4));
                    if (expected.get(j).get("score").asDouble() > last + 1e-4) {
                        clear.put(expected.get(j).get("itemId").asText(), expected.get(j).get("score").asDouble());
                    }
                }
                Map<String, Double> got = new HashMap<>();
                items.forEach(n -> got.put(n.get("itemId").asText(), n.get("score").asDouble()));
                assertThat(got.keySet()).as("every item above the last place's tie").containsAll(clear.keySet());
                clear.forEach((id, score) -> assertThat(got.get(id)).isCloseTo(score, Offset.offset(1e-4)));
            }
            assertThat(ranked).as("every request was ranked in a batch").isEqualTo(16);
            assertThat(batches).as("requests arriving together were ranked together").isLessThan(16);
            return;
        }
    }

    private double gauge(String name) {
        return services.metrics().find(name).gauge().value();
    }
}
