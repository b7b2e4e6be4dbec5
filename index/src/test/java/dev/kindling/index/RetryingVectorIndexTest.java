package dev.kindling.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.IndexUnavailableException;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/** Writes retried with back-off over a backend that is unavailable for a while; reads never retried. */
class RetryingVectorIndexTest {
    @TempDir
    Path dir;

    /** A Lucene index whose next {@code failures} calls of any kind fail as unavailable. */
    private static VectorIndex flaky(VectorIndex real, AtomicInteger failures, AtomicInteger calls) {
        return (VectorIndex) Proxy.newProxyInstance(VectorIndex.class.getClassLoader(),
                new Class<?>[] {VectorIndex.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("close")) {
                        calls.incrementAndGet();
                        if (failures.getAndDecrement() > 0) {
                            throw new IndexUnavailableException("down for " + method.getName(), null);
                        }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void writesAreRetriedUntilTheBackendIsBack() {
        AtomicInteger failures = new AtomicInteger(0);
        AtomicInteger calls = new AtomicInteger();
        try (LuceneVectorIndex lucene = new LuceneVectorIndex(dir, LuceneIndexSettings.DEFAULT);
             VectorIndex index = new RetryingVectorIndex(flaky(lucene, failures, calls),
                     new RetryingVectorIndex.Backoff(5, Duration.ofMillis(1), Duration.ofMillis(4)))) {
            failures.set(3);
            index.createCollection(CollectionSpec.of("c", 2, Metric.COSINE));
            failures.set(4);
            index.upsert("c", List.of(VectorRecord.of("a", new float[] {1, 0})));
            assertThat(lucene.count("c")).isEqualTo(1);
            failures.set(2);
            index.delete("c", List.of("a"));
            assertThat(lucene.count("c")).isZero();

            failures.set(5);
            calls.set(0);
            assertThatThrownBy(() -> index.upsert("c", List.of(VectorRecord.of("b", new float[] {0, 1}))))
                    .isInstanceOf(IndexUnavailableException.class);
            assertThat(calls.get()).as("5 attempts, then the last failure").isEqualTo(5);
            assertThat(lucene.count("c")).isZero();

            failures.set(1);
            calls.set(0);
            assertThatThrownBy(() -> index.search("c", SearchRequest.of(new float[] {1, 0}, 1)))
                    .isInstanceOf(IndexUnavailableException.class);
            assertThat(calls.get()).as("reads fail at once").isEqualTo(1);
        }
    }

    @Test
    void backoffDoublesUpToItsCeiling() {
        RetryingVectorIndex.Backoff backoff = new RetryingVectorIndex.Backoff(10, Duration.ofMillis(250),
                Duration.ofSeconds(2));
        assertThat(List.of(1, 2, 3, 4, 5, 9).stream().map(backoff::after).map(Duration::toMillis).toList())
                .containsExactly(250L, 500L, 1000L, 2000L, 2000L, 2000L);
        assertThatThrownBy(() -> new RetryingVectorIndex.Backoff(0, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
