package dev.kindling.index.milvus;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Assumptions;
import org.slf4j.LoggerFactory;

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.milvus.v2.service.database.request.DropDatabaseReq;

/**
 * The Milvus server the tests run against: {@code KINDLING_TEST_MILVUS_URI} ({@code http://127.0.0.1:19530}), which
 * .ci/run starts (Milvus Lite). Without it the Milvus tests are skipped with a message saying so, except under
 * {@code CI=true}, where they fail: CI never skips them. Each test works in its own Milvus database, named after its
 * temporary directory, so reopening the index on the same directory sees the same data and tests never see each
 * other's collections.
 */
public final class MilvusTestServer {
    /** The variable naming the server. */
    public static final String URI_VARIABLE = "KINDLING_TEST_MILVUS_URI";

    private MilvusTestServer() {
    }

    /** The server's URI; skips the calling test class (fails it under CI) when none is configured. */
    public static String uri() {
        return required(URI_VARIABLE, "no Milvus server to test against (.ci/run starts Milvus Lite; see README, "
                + "'Milvus, PostgreSQL and docker')");
    }

    /**
     * The value of a test environment variable; when it is unset the calling tests are skipped with the reason, or
     * fail when {@code CI=true}.
     */
    public static String required(String variable, String reason) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            String why = variable + " is not set: " + reason;
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why + ". CI must run these tests, never skip them.");
            }
            LoggerFactory.getLogger(MilvusTestServer.class).warn("skipping Milvus tests: {}", why);
            Assumptions.abort(why);
        }
        return value;
    }

    /** The database a test directory's index lives in. */
    public static String database(Path directory) {
        return "kt_" + Integer.toHexString(directory.toAbsolutePath().toString().hashCode());
    }

    /** Settings for an index in the given database of the test server, with test-friendly deadlines. */
    public static MilvusSettings settings(String uri, String database) {
        return MilvusSettings.DEFAULT.withUri(uri).withDatabase(database)
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    /** Drops a test database and every collection in it; a missing database is fine. */
    public static void dropDatabase(String uri, String database) {
        MilvusClientV2 client = new MilvusClientV2(ConnectConfig.builder().uri(uri).build());
        try {
            if (!client.listDatabases().getDatabaseNames().contains(database)) {
                return;
            }
            client.useDatabase(database);
            for (String collection : client.listCollections().getCollectionNames()) {
                client.dropCollection(DropCollectionReq.builder().collectionName(collection).build());
            }
            client.useDatabase("default");
            client.dropDatabase(DropDatabaseReq.builder().databaseName(database).build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            client.close();
        }
    }
}
