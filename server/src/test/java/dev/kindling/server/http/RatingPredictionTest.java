package dev.kindling.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.meta.serving.RatingModelDirectory;
import dev.kindling.meta.serving.RatingModelTraining;
import dev.kindling.tensor.DjlRuntime;

/**
 * {@code POST /v1/ratings/predict} over real HTTP, with a MELO rating model trained (briefly) on ml-latest-small's
 * real ratings through {@code train --model melo}'s code path: answers before a model exists, the model picked up once
 * trained, predictions that follow the user's ratings, the same answer twice, unknown items reported, bad input
 * refused with the field named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RatingPredictionTest {
    private static final Logger LOG = LoggerFactory.getLogger(RatingPredictionTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Ten films with over 200 ratings each, and ten candidates with over 180. */
    private static final List<String> RATED = List.of("356", "318", "296", "593", "2571", "260", "480", "110", "589",
            "527");
    private static final List<String> CANDIDATES = List.of("2959", "1", "1196", "50", "2858", "47", "780", "150",
            "1198", "4993");
    /** In the catalog, with fewer than 5 ratings: not in the rating model. */
    private static final String RARE = "30";

    private TestHome t;
    private KindlingServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void serve() throws Exception {
        DjlRuntime.singleThreadedOps();
        t = TestHome.movieLens("kindling-rating-prediction-test", Map.of());
        server = t.serve(new ServerServices(t.config(), t.store(), t.index(), null, null, t.manager()));
    }

    @AfterAll
    void stop() throws Exception {
        if (t != null) {
            t.close();
        }
    }

    @Test
    void predictsANewUsersRatingsWithMelo() throws Exception {
        HttpResponse<String> before = post(body(RATED, 4.0, CANDIDATES));
        assertThat(before.statusCode()).isEqualTo(503);
        assertThat(before.body()).contains("train --model melo");

        long start = System.nanoTime();
        var saved = RatingModelTraining.train(t.store(), t.home().resolve("models"),
                RatingModelTraining.Plan.defaults().withIterations(100, 25), Device.cpu(), LOG::info);
        LOG.info("trained a short MELO in {} s", String.format("%.1f", (System.nanoTime() - start) / 1e9));
        JsonNode manifest = JSON.readTree(saved.resolve("model.json").toFile());
        assertThat(manifest.get("method").asText()).isEqualTo("melo");
        assertThat(manifest.get("validationRmse").get("melo").asDouble())
                .as("MELO's validation RMSE below the constant predictor's")
                .isLessThan(manifest.get("validationRmse").get("constant").asDouble());
        Thread.sleep(1100); // the server looks at models/ratings/current at most once a second

        HttpResponse<String> r = post(body(RATED, 4.0, CANDIDATES));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(r.body());
        assertThat(answer.get("model").asText()).isEqualTo(saved.getFileName().toString());
        assertThat(answer.get("method").asText()).isEqualTo("melo");
        assertThat(answer.get("adaptedOn")).hasSize(RATED.size());
        List<String> predicted = new ArrayList<>();
        for (JsonNode p : answer.get("predictions")) {
            predicted.add(p.get("itemId").asText());
            assertThat(p.get("rating").asDouble()).isBetween(0.5, 5.0);
            assertThat(p.get("title").asText()).isNotEmpty();
        }
        assertThat(predicted).isEqualTo(CANDIDATES);
        assertThat(post(body(RATED, 4.0, CANDIDATES)).body()).as("the same answer twice").isEqualTo(r.body());

        // a user who loved these films is predicted to like the candidates more than one who hated them
        double loved = meanPrediction(post(body(RATED, 5.0, CANDIDATES)));
        double hated = meanPrediction(post(body(RATED, 0.5, CANDIDATES)));
        LOG.info("mean predicted rating after ten 5-star ratings {}, after ten half-star ratings {}", loved, hated);
        assertThat(loved - hated).isGreaterThan(0.5);

        // items the rating model does not know are reported, never guessed
        List<String> withRare = new ArrayList<>(RATED);
        withRare.add(RARE);
        JsonNode partial = JSON.readTree(post(body(withRare, 4.0, List.of(RARE, "1"))).body());
        assertThat(partial.get("unknownItems").get(0).asText()).isEqualTo(RARE);
        assertThat(partial.get("unusedRatings").get(0).asText()).isEqualTo(RARE);
        assertThat(partial.get("predictions")).hasSize(1);
        assertThat(partial.get("adaptedOn")).hasSize(RATED.size());

        assertThat(RatingModelDirectory.currentVersion(t.home().resolve("models").resolve("ratings")))
                .isEqualTo(saved.getFileName().toString());
    }

    @Test
    void badInputIsRefusedWithTheFieldNamed() throws Exception {
        Map<String, String> cases = Map.of(
                "{\"ratings\":[{\"itemId\":\"1\",\"rating\":6}],\"items\":[\"2\"]}", "ratings[0].rating",
                "{\"ratings\":[{\"itemId\":\"1\"}],\"items\":[\"2\"]}", "ratings[0].rating",
                "{\"ratings\":[{\"itemId\":\"\",\"rating\":3}],\"items\":[\"2\"]}", "ratings[0].itemId",
                "{\"ratings\":[],\"items\":[\"2\"]}", "ratings",
                "{\"ratings\":[{\"itemId\":\"1\",\"rating\":3}]}", "items",
                "{\"ratings\":[{\"itemId\":\"1\",\"rating\":3}],\"items\":[]}", "items",
                "{\"ratings\":[{\"itemId\":\"1\",\"rating\":3}],\"items\":[2]}", "items[0]",
                "{\"ratings\":[{\"itemId\":\"1\",\"rating\":3}],\"items\":[\"no-such-item\"]}", "items[0]",
                "{\"ratings\":[{\"itemId\":\"no-such-item\",\"rating\":3}],\"items\":[\"2\"]}", "ratings[0].itemId",
                "{\"ratings\":[{\"itemId\":\"1\",\"rating\":3,\"stars\":4}],\"items\":[\"2\"]}", "ratings[0].stars");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = post(c.getKey());
            assertThat(r.statusCode()).as(c.getKey() + " -> " + r.body()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).get("field").asText()).as(c.getKey()).isEqualTo(c.getValue());
        }
    }

    private static double meanPrediction(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        double sum = 0;
        int n = 0;
        for (JsonNode p : JSON.readTree(r.body()).get("predictions")) {
            sum += p.get("rating").asDouble();
            n++;
        }
        return sum / n;
    }

    private static String body(List<String> rated, double stars, List<String> candidates) throws Exception {
        List<Map<String, Object>> ratings = rated.stream().map(i -> Map.<String, Object>of("itemId", i, "rating",
                stars)).toList();
        return JSON.writeValueAsString(Map.of("ratings", ratings, "items", candidates));
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/ratings/predict")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
