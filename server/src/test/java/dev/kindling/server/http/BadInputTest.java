package dev.kindling.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.kindling.core.config.ConfigLoader;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.store.StoreStats;

/**
 * Bad input against a real server over real HTTP: every answer is a 4xx JSON error naming what was wrong (413 for
 * size), never a 500 and never HTML, it quotes at most 200 characters of the input, and nothing is stored. Bodies are
 * limited by the bytes that arrive, not by what Content-Length claims: chunked and lying uploads get 413 without
 * filling the heap, truncated ones 400.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private static final String KEY = "bad-input-key";
    private static final int MAX_BODY = 65_536;
    private static final int MAX_BULK = 262_144;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG = "x".repeat(5000);

    private TestHome t;
    private ServerServices services;
    private KindlingServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        t = TestHome.empty("kindling-bad-input", Map.of("server.apiKey", KEY,
                "server.maxBodyBytes", Integer.toString(MAX_BODY), "server.maxBulkBytes", Integer.toString(MAX_BULK),
                "server.modelPollSeconds", "0"));
        t.store().upsertItems(List.of(Item.titled("1", "Toy Story (1995)"), Item.titled("2", "Jumanji (1995)"),
                Item.titled("3", "Heat (1995)")));
        t.store().appendInteractions(List.of(new Interaction("u1", "1", 4.0, Instant.parse("2020-01-01T00:00:00Z"),
                null)));
        services = new ServerServices(t.config(), t.store(), t.index(), null, null, t.manager());
        server = t.serve(services);
    }

    @AfterAll
    void stop() throws Exception {
        if (t != null) {
            t.close();
        }
    }

    /** method, path, body (null: none), the expected status, the field the answer must name (null: any). */
    static Stream<Arguments> badRequests() {
        List<Arguments> cases = new ArrayList<>();
        String rec = "/v1/recommendations";
        for (String[] c : new String[][] {
            {"", null}, {"{", null}, {"[]", null}, {"null", null}, {"42", null}, {"\"x\"", null}, {"{}", "interactions"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"k\":5,\"k\":6}", null},
            {"{\"interactions\":[{\"itemId\":\"1\"}]} garbage", null},
            {"{\"interactions\":[{\"itemId\":\"1\"}]}{}", null},
            {"{\"interactions\":[{\"itemId\":\"\\ud800\"}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"itemId\":\"a\\udc00b\"}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"k\":0}", "k"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"k\":1001}", "k"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"k\":\"5\"}", "k"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"k\":5.5}", "k"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"k\":99999999999999999999}", "k"},
            {"{\"interactions\":{}}", "interactions"}, {"{\"interactions\":[]}", "interactions"},
            {"{\"interactions\":[1]}", "interactions[0]"}, {"{\"interactions\":[{}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"itemId\":1}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"itemId\":\"\"}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"itemId\":\"no-such-item\"}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"extra\":1}]}", "interactions[0].extra"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"extra\":1}", "extra"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"timestamp\":99999999999999999999999}]}",
                "interactions[0].timestamp"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"timestamp\":\"yesterday\"}]}", "interactions[0].timestamp"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"timestamp\":\"" + LONG + "\"}]}", "interactions[0].timestamp"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"timestamp\":true}]}", "interactions[0].timestamp"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"rating\":\"NaN\"}]}", "interactions[0].rating"},
            {"{\"interactions\":[{\"itemId\":\"1\",\"rating\":1e999}]}", null},
            {"{\"interactions\":[{\"itemId\":\"1\",\"rating\":99}]}", "interactions[0].rating"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"excludeSeen\":\"yes\"}", "excludeSeen"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"explain\":1}", "explain"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"filter\":[]}", "filter"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"filter\":{\"genre\":\"x\"}}", "filter.genre"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"filter\":{\"categories\":\"x\"}}", "filter.categories"},
            {"{\"interactions\":[{\"itemId\":\"1\"}],\"userId\":5}", "userId"},
            {"{\"" + LONG + "\":1}", null},
        }) {
            cases.add(Arguments.of("POST", rec, c[0], 400, c[1]));
        }
        String items = "/v1/items";
        for (String[] c : new String[][] {
            {"{}", "id"}, {"{\"id\":5}", "id"}, {"{\"id\":\"\"}", "id"}, {"{\"id\":\"a\\ud800\"}", "id"},
            {"{\"id\":\"n1\",\"title\":\"\\udfff\"}", "title"}, {"{\"id\":\"n1\",\"title\":7}", "title"},
            {"{\"id\":\"n1\",\"categories\":\"Comedy\"}", "categories"},
            {"{\"id\":\"n1\",\"categories\":[1]}", "categories[0]"},
            {"{\"id\":\"n1\",\"categories\":[\"\\ud800\"]}", "categories[0]"},
            {"{\"id\":\"n1\",\"attributes\":{\"year\":1995}}", "attributes.year"},
            {"{\"id\":\"n1\",\"attributes\":{\"\\ud800\":\"x\"}}", "attributes"},
            {"{\"id\":\"n1\",\"attributes\":[]}", "attributes"},
            {"{\"id\":\"n1\",\"image\":\"ftp://example.com/x.jpg\"}", "image"},
            {"{\"id\":\"n1\",\"image\":\"javascript:alert(1)\"}", "image"},
            {"{\"id\":\"n1\",\"id\":\"n2\"}", null}, {"{\"id\":\"n1\"} trailing", null},
            {"{\"id\":\"n1\",\"colour\":\"red\"}", "colour"}, {"", null}, {"[{\"id\":\"n1\"}]", null},
        }) {
            cases.add(Arguments.of("POST", items, c[0], 400, c[1]));
        }
        String interactions = "/v1/interactions";
        for (String[] c : new String[][] {
            {"{}", "interactions"}, {"{\"interactions\":[]}", "interactions"},
            {"{\"interactions\":[{\"itemId\":\"1\"}]}", "interactions[0].userId"},
            {"{\"interactions\":[{\"userId\":\"u\"}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"no-such-item\"}]}", "interactions[0].itemId"},
            {"{\"interactions\":[{\"userId\":\"\\ud800\",\"itemId\":\"1\"}]}", "interactions[0].userId"},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\",\"timestamp\":99999999999999999999999}]}",
                "interactions[0].timestamp"},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\",\"timestamp\":-5}]}", "interactions[0].timestamp"},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\",\"rating\":-1}]}", "interactions[0].rating"},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\",\"kind\":5}]}", "interactions[0].kind"},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\"}],\"interactions\":[]}", null},
            {"{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\"}]}]", null},
        }) {
            cases.add(Arguments.of("POST", interactions, c[0], 400, c[1]));
        }
        for (String[] c : new String[][] {
            {"{\"profile\":\"huge\"}", "profile"}, {"{\"model\":\"gpt\"}", "model"}, {"{\"epochs\":3}", "epochs"},
            {"{\"profile\":\"quick\",\"profile\":\"full\"}", null}, {"{} {}", null}, {"[]", null},
            {"{\"model\":\"" + LONG + "\"}", "model"},
        }) {
            cases.add(Arguments.of("POST", "/v1/train", c[0], 400, c[1]));
        }
        for (String[] c : new String[][] {
            {"/v1/items/1/similar?k=", "k"}, {"/v1/items/1/similar?by=", "by"}, {"/v1/items/1/similar?k=0", "k"},
            {"/v1/items/1/similar?k=abc", "k"}, {"/v1/items/1/similar?k=1001", "k"},
            {"/v1/items/1/similar?by=audio", "by"}, {"/v1/items?q=", "q"}, {"/v1/items?q=toy&limit=0", "limit"},
            {"/v1/items?q=toy&limit=", "limit"}, {"/v1/users/u1/similar?k=", "k"},
            {"/v1/users/u1/recommendations?k=", "k"}, {"/v1/users/u1/recommendations?k=-1", "k"},
            {"/v1/items/1/similar?k=99999999999999999999", "k"},
        }) {
            cases.add(Arguments.of("GET", c[0], null, 400, c[1]));
        }
        // every field of an item, an interaction and a recommendation request, given a value of the wrong type
        String[] notAString = {"5", "true", "[]", "{}"};
        for (String field : new String[] {"id", "title", "description", "image"}) {
            for (String v : notAString) {
                String body = field.equals("id") ? "{\"id\":" + v + "}" : "{\"id\":\"n1\",\"" + field + "\":" + v + "}";
                cases.add(Arguments.of("POST", items, body, 400, field));
            }
        }
        for (String field : new String[] {"categories", "tags"}) {
            for (String[] v : new String[][] {{"5", ""}, {"\"x\"", ""}, {"{}", ""}, {"[5]", "[0]"}, {"[null]", "[0]"}}) {
                cases.add(Arguments.of("POST", items, "{\"id\":\"n1\",\"" + field + "\":" + v[0] + "}", 400,
                        field + v[1]));
            }
        }
        for (String[] v : new String[][] {{"5", ""}, {"\"x\"", ""}, {"[]", ""}, {"{\"a\":5}", ".a"},
            {"{\"a\":[]}", ".a"}}) {
            cases.add(Arguments.of("POST", items, "{\"id\":\"n1\",\"attributes\":" + v[0] + "}", 400,
                    "attributes" + v[1]));
        }
        for (String field : new String[] {"userId", "itemId", "kind"}) {
            for (String v : notAString) {
                String own = "\"" + field + "\":" + v;
                String body = "{\"interactions\":[{" + (field.equals("userId") ? own : "\"userId\":\"u\"") + ","
                        + (field.equals("itemId") ? own : "\"itemId\":\"1\"")
                        + (field.equals("kind") ? "," + own : "") + "}]}";
                cases.add(Arguments.of("POST", interactions, body, 400, "interactions[0]." + field));
            }
        }
        for (String[] v : new String[][] {{"rating", "\"5\""}, {"rating", "true"}, {"rating", "[]"}, {"rating", "{}"},
            {"timestamp", "true"}, {"timestamp", "[]"}, {"timestamp", "{}"}, {"timestamp", "\"2024-13-45\""}}) {
            cases.add(Arguments.of("POST", interactions, "{\"interactions\":[{\"userId\":\"u\",\"itemId\":\"1\",\""
                    + v[0] + "\":" + v[1] + "}]}", 400, "interactions[0]." + v[0]));
        }
        for (String[] v : new String[][] {{"k", "true"}, {"k", "[]"}, {"k", "{}"}, {"k", "-1"}, {"excludeSeen", "[]"},
            {"explain", "\"true\""}, {"userId", "[]"}, {"filter", "5"}}) {
            cases.add(Arguments.of("POST", rec, "{\"interactions\":[{\"itemId\":\"1\"}],\"" + v[0] + "\":" + v[1]
                    + "}", 400, v[0]));
        }
        for (String v : new String[] {"true", "[]", "{}", "null"}) {
            cases.add(Arguments.of("POST", rec, "{\"interactions\":[{\"itemId\":" + v + "}]}", 400,
                    "interactions[0].itemId"));
        }
        cases.add(Arguments.of("GET", "/v1/items/no-such-item", null, 404, "id"));
        cases.add(Arguments.of("DELETE", "/v1/items/no-such-item", null, 404, "id"));
        cases.add(Arguments.of("GET", "/v1/jobs/no-such-job", null, 404, null));
        cases.add(Arguments.of("GET", "/v1/nothing-here", null, 404, null));
        cases.add(Arguments.of("PUT", "/v1/recommendations", "{}", 404, null));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("badRequests")
    void badInputGetsAFourHundredJsonErrorAndStoresNothing(String method, String path, String body, int status,
                                                          String field) throws Exception {
        StoreStats before = t.store().stats();
        HttpResponse<String> r = send(method, path, body, KEY);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertJsonError(r.body(), r.headers().firstValue("Content-Type").orElse(""), status);
        JsonNode error = JSON.readTree(r.body());
        if (field != null) {
            assertThat(error.path("field").asText()).as(r.body()).isEqualTo(field);
        }
        assertThat(t.store().stats()).as("nothing stored").isEqualTo(before);
    }

    private static void assertJsonError(String body, String contentType, int status) throws IOException {
        assertThat(contentType).startsWith("application/json");
        JsonNode error = JSON.readTree(body);
        assertThat(error.path("status").asInt()).isEqualTo(status);
        assertThat(error.path("detail").asText()).isNotBlank();
        assertThat(body).as("no long echo of the input").doesNotContain("x".repeat(201));
    }

    @Test
    void hugePathsAndHeadersGetJsonNotHtml() throws Exception {
        HttpResponse<String> longPath = send("GET", "/v1/items/" + "a".repeat(20_000), null, null);
        assertThat(longPath.statusCode()).isEqualTo(414);
        assertJsonError(longPath.body(), longPath.headers().firstValue("Content-Type").orElse(""), 414);
        String bigHeader = raw("GET /v1/items/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n",
                out -> { });
        assertThat(bigHeader).startsWith("HTTP/1.1 431").contains("\"status\":431").contains("application/json")
                .doesNotContain("<html");
    }

    @Test
    void aDeclaredLengthAboveTheLimitIsRefusedBeforeReading() throws Exception {
        long start = System.nanoTime();
        String answer = raw("POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 99999999999\r\n\r\n", out -> out.write("{\"interactions\":".getBytes()));
        assertThat(answer).startsWith("HTTP/1.1 413").contains("\"status\":413");
        assertThat((System.nanoTime() - start) / 1e9).as("answered at once, not after a read timeout").isLessThan(5);
    }

    @Test
    void aChunkedBodyIsCountedAsItArrives() throws Exception {
        String answer = raw("POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n", out -> RawHttp.chunks(out, 2 << 20));
        assertThat(answer).startsWith("HTTP/1.1 413").contains("\"status\":413");
        String bulk = raw("POST /v1/items:bulk HTTP/1.1\r\nHost: x\r\nX-API-Key: " + KEY + "\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n", out -> RawHttp.chunks(out, MAX_BULK * 4));
        assertThat(bulk).startsWith("HTTP/1.1 413").contains("\"status\":413");
        assertThat(t.store().stats().items()).isEqualTo(3);
    }

    @Test
    void aTruncatedBodyIsABadRequestNotAServerError() throws Exception {
        String answer = raw("POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n", out -> {
                    out.write("{\"interactions\":[".getBytes());
                    out.flush();
                });
        assertThat(answer).startsWith("HTTP/1.1 400").contains("\"status\":400");
    }

    @Test
    void manyHugeChunkedBodiesAtOnceLeaveTheServerAnswering() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(pool.submit(() -> raw("POST /v1/recommendations HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                        out -> RawHttp.chunks(out, 40 << 20))));
            }
            HttpResponse<String> live = send("GET", "/health/live", null, null);
            assertThat(live.statusCode()).isEqualTo(200);
            for (Future<String> a : answers) {
                assertThat(a.get(60, TimeUnit.SECONDS)).startsWith("HTTP/1.1 413");
            }
            assertThat(send("GET", "/health/live", null, null).statusCode()).isEqualTo(200);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRetriedWriteWithAnIdempotencyKeyIsStoredOnce() throws Exception {
        long before = t.store().stats().interactions();
        String body = "{\"interactions\":[{\"userId\":\"retrying\",\"itemId\":\"2\"}]}"; // no timestamp: now()
        HttpResponse<String> first = send("POST", "/v1/interactions", body, KEY, "Idempotency-Key", "retry-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).hasValue("false");
        Thread.sleep(5);
        HttpResponse<String> again = send("POST", "/v1/interactions", body, KEY, "Idempotency-Key", "retry-1");
        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(t.store().stats().interactions()).as("the retry stored nothing").isEqualTo(before + 1);
        Thread.sleep(5);
        HttpResponse<String> other = send("POST", "/v1/interactions", body, KEY, "Idempotency-Key", "retry-2");
        assertThat(other.statusCode()).isEqualTo(201);
        assertThat(t.store().stats().interactions()).as("another key is another write").isEqualTo(before + 2);
        HttpResponse<String> blank = send("POST", "/v1/interactions", body, KEY, "Idempotency-Key", " ");
        assertThat(blank.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(blank.body()).path("field").asText()).isEqualTo("Idempotency-Key");
    }

    @Test
    void timestampsAreEpochSecondsOrIsoTextAsInTheImports() throws Exception {
        String body = "{\"interactions\":[{\"userId\":\"clock\",\"itemId\":\"1\",\"timestamp\":1500000000.25},"
                + "{\"userId\":\"clock\",\"itemId\":\"2\",\"timestamp\":\"2017-07-14T02:40:01Z\"}]}";
        assertThat(send("POST", "/v1/interactions", body, KEY).statusCode()).isEqualTo(201);
        assertThat(t.store().sequence("clock")).extracting(Interaction::timestamp).containsExactly(
                Instant.parse("2017-07-14T02:40:00.250Z"), Instant.parse("2017-07-14T02:40:01Z"));
        HttpResponse<String> millis = send("POST", "/v1/interactions",
                "{\"interactions\":[{\"userId\":\"clock\",\"itemId\":\"3\",\"timestamp\":1500000000000}]}", KEY);
        assertThat(millis.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(millis.body()).path("detail").asText()).contains("milliseconds where seconds");
    }

    @Test
    void metricsDescribeTheModelTheStoreAndTheIndex() throws Exception {
        send("GET", "/v1/items/1", null, null);
        send("GET", "/v1/items/1/similar?k=3", null, null);
        String metrics = send("GET", "/metrics", null, null).body();
        assertThat(metrics).contains("# HELP kindling_model_loaded ").contains("kindling_model_loaded 0.0")
                .contains("# HELP kindling_model_age_seconds ").contains("# HELP kindling_model_items ")
                .contains("# HELP kindling_store_seconds Time of calls to the store")
                .contains("kindling_store_seconds_count{method=\"item\"}")
                .contains("kindling_index_seconds_count{method=\"hasCollection\"}")
                .contains("# HELP kindling_http_requests_seconds HTTP requests");
    }

    @Test
    void aGeneratedApiKeyIsWrittenToAFileNotToTheLog() throws Exception {
        Path other = Files.createTempDirectory("kindling-key");
        KindlingConfig config = ConfigLoader.load(null, Map.of(), Map.of("home", other.toString(), "server.port", "0",
                "server.modelPollSeconds", "0"));
        try (ServerServices s = new ServerServices(config, t.store(), t.index(), null, null, t.manager());
             KindlingServer generated = new KindlingServer(s)) {
            String key = Files.readString(other.resolve("api-key")).strip();
            assertThat(key).isEqualTo(generated.apiKey()).hasSize(48);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(other.resolve("api-key"))))
                    .as("readable by its owner only").isEqualTo("rw-------");
        } finally {
            Files.deleteIfExists(other.resolve("api-key"));
            Files.deleteIfExists(other);
        }
    }

    private HttpResponse<String> send(String method, String path, String body, String key, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        if (key != null) {
            b.header("X-API-Key", key);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8)));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String raw(String head, RawHttp.BodyWriter body) throws IOException {
        return RawHttp.exchange(server.port(), head, body);
    }
}
