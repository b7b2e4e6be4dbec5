package dev.kindling.index.milvus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.index.RetryingVectorIndex;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.IndexUnavailableException;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/**
 * A Milvus server that goes away: requests fail fast with {@link IndexUnavailableException}, nothing hangs for the
 * length of a deadline, and a retrying writer gets through once the server is back, with every acknowledged write in
 * place. Runs its own Milvus Lite ({@link MilvusLiteProcess}) so that it can kill it.
 */
class MilvusOutageTest {
    @TempDir
    Path dir;
    private MilvusLiteProcess server;

    @BeforeEach
    void startServer() throws Exception {
        server = MilvusLiteProcess.start(dir.resolve("milvus"));
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private MilvusSettings settings() {
        return MilvusSettings.DEFAULT.withUri(server.uri()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(20));
    }

    @Test
    void aServerThatNeverRanFailsFastWithTheAddress() throws Exception {
        server.kill();
        try (MilvusVectorIndex index = new MilvusVectorIndex(settings())) {
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> index.count("anything")).isInstanceOf(IndexUnavailableException.class)
                        .hasMessageContaining(server.uri()).hasMessageContaining("does not accept connections");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
            }
        }
    }

    @Test
    void requestsFailFastWhileTheServerIsDownAndAcknowledgedWritesSurviveItsRestart() throws Exception {
        List<String> acknowledged = new ArrayList<>();
        try (MilvusVectorIndex milvus = new MilvusVectorIndex(settings());
             VectorIndex writer = new RetryingVectorIndex(milvus,
                     new RetryingVectorIndex.Backoff(40, Duration.ofMillis(50), Duration.ofMillis(500)))) {
            writer.createCollection(CollectionSpec.of("events", 4, Metric.COSINE));
            for (int i = 0; i < 20; i++) {
                writer.upsert("events", List.of(VectorRecord.of("e" + i, vector(i))));
                acknowledged.add("e" + i);
            }

            server.kill(); // mid-run, with the clients connected
            Thread.sleep(2 * MilvusConnection.WATCH_INTERVAL_MS); // the watcher notices
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> milvus.search("events", SearchRequest.of(vector(1), 3)))
                        .isInstanceOf(IndexUnavailableException.class).hasMessageContaining(server.uri());
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a search while the server is down")
                        .isLessThan(Duration.ofMillis(500)); // the deadline is 2 s
            }

            // a writer keeps trying while the server restarts 2 s later
            CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(2000);
                    server.startAgain();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 20; i < 40; i++) {
                writer.upsert("events", List.of(VectorRecord.of("e" + i, vector(i))));
                acknowledged.add("e" + i);
            }
            restart.get(60, TimeUnit.SECONDS);

            assertThat(milvus.count("events")).isEqualTo(acknowledged.size());
            for (String id : acknowledged) {
                assertThat(milvus.get("events", id)).as("acknowledged %s", id).isPresent();
            }
            assertThat(milvus.search("events", SearchRequest.of(vector(33), 1)).get(0).id()).isEqualTo("e33");
        }
    }

    private static float[] vector(int i) {
        return new float[] {1, i, i % 7, (float) Math.sin(i)};
    }
}
