package dev.kindling.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.UnknownCollectionException;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.index.Vectors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The behaviour every {@link VectorIndex} backend must show. A backend's test extends this class and implements
 * {@link #openIndex(Path)}; opening the same directory again must see the same data. Randomness comes from one seed,
 * logged at the start and overridable with {@code -Dkindling.test.seed=N}. A backend lacking a feature overrides the
 * test visibly, with a comment saying why.
 */
public abstract class AbstractVectorIndexContractTest {
    protected static final Logger LOG = LoggerFactory.getLogger(AbstractVectorIndexContractTest.class);
    protected static final long SEED = Long.getLong("kindling.test.seed", 20_240_601L);

    private static final Map<String, AttributeType> FILM_ATTRIBUTES =
            Map.of("genre", AttributeType.STRING, "year", AttributeType.LONG, "tag", AttributeType.STRING);
    private static final List<String> GENRES = List.of("drama", "comedy", "horror", "documentary", "animation",
            "thriller");

    @TempDir
    protected Path directory;
    protected VectorIndex index;

    /** Opens the backend on {@code directory}; a second call after {@code close()} must see the same data. */
    protected abstract VectorIndex openIndex(Path directory);

    @BeforeAll
    static void logSeed() {
        LOG.info("vector index contract suite: seed {} (rerun with -Dkindling.test.seed={})", SEED, SEED);
    }

    @BeforeEach
    void openIndexForTest() {
        index = openIndex(directory);
    }

    @AfterEach
    void closeIndexAfterTest() {
        if (index != null) {
            index.close();
        }
    }

    /** Closes the index and opens it again on the same directory. */
    protected VectorIndex reopen() {
        index.close();
        index = null;
        index = openIndex(directory);
        return index;
    }

    protected static Random random(String test) {
        return new Random(SEED ^ test.hashCode());
    }

    // ---------------------------------------------------------------- recall and scores

    @Test
    void recallAt10OnClusteredVectorsMatchesBruteForce() {
        Random random = random("recall");
        int n = 20_000;
        int dimension = 64;
        int queries = 200;
        int k = 10;
        ClusteredVectors generator = new ClusteredVectors(50, dimension, 1.0, random);
        float[][] data = new float[n][];
        index.createCollection(CollectionSpec.of("clustered", dimension, Metric.COSINE));
        List<VectorRecord> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            data[i] = generator.next();
            batch.add(VectorRecord.of("v" + i, data[i]));
            if (batch.size() == 1000) {
                index.upsert("clustered", batch);
                batch.clear();
            }
        }
        assertThat(index.count("clustered")).isEqualTo(n);

        int found = 0;
        double worstScoreError = 0;
        for (int q = 0; q < queries; q++) {
            float[] query = generator.next();
            List<SearchHit> hits = index.search("clustered", SearchRequest.of(query, k));
            assertThat(hits).hasSize(k);
            assertScoresDescending(hits);
            Set<String> exact = new HashSet<>();
            for (int i : ClusteredVectors.exactTopK(data, query, k)) {
                exact.add("v" + i);
            }
            for (SearchHit hit : hits) {
                found += exact.contains(hit.id()) ? 1 : 0;
                double cosine = Vectors.cosine(query, data[Integer.parseInt(hit.id().substring(1))]);
                worstScoreError = Math.max(worstScoreError, Math.abs(cosine - hit.score()));
            }
        }
        double recall = found / (double) (queries * k);
        LOG.info("recall@{} over {} queries on {} x {}-d clustered vectors: {}; worst score error {}", k, queries, n,
                dimension, recall, worstScoreError);
        assertThat(recall).isGreaterThanOrEqualTo(0.95);
        assertThat(worstScoreError).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void innerProductScoresAreRawDotProducts() {
        Random random = random("inner product");
        int dimension = 8;
        index.createCollection(CollectionSpec.of("dots", dimension, Metric.INNER_PRODUCT));
        float[][] data = new float[300][];
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < data.length; i++) {
            float[] v = ClusteredVectors.gaussianUnit(dimension, random);
            float norm = 0.2f + 2.8f * random.nextFloat();
            for (int j = 0; j < dimension; j++) {
                v[j] *= norm;
            }
            data[i] = v;
            records.add(VectorRecord.of("d" + i, v));
        }
        index.upsert("dots", records);

        int overlap = 0;
        int queries = 20;
        for (int q = 0; q < queries; q++) {
            float[] query = ClusteredVectors.gaussianUnit(dimension, random);
            for (int j = 0; j < dimension; j++) {
                query[j] *= 1.5f;
            }
            // every record, so that negative dot products are checked too
            List<SearchHit> all = index.search("dots", SearchRequest.of(query, data.length));
            assertThat(all).hasSize(data.length);
            assertScoresDescending(all);
            assertThat(all).anyMatch(h -> h.score() < 0);
            for (SearchHit hit : all) {
                double dot = Vectors.dot(query, data[Integer.parseInt(hit.id().substring(1))]);
                assertThat((double) hit.score()).as("score of %s", hit.id())
                        .isCloseTo(dot, within(1e-4 * Math.max(1, Math.abs(dot))));
            }
            List<SearchHit> top = index.search("dots", SearchRequest.of(query, 10));
            Set<String> exact = new HashSet<>();
            for (int i : ClusteredVectors.exactTopK(data, query, 10)) {
                exact.add("d" + i);
            }
            overlap += (int) top.stream().filter(h -> exact.contains(h.id())).count();
        }
        assertThat(overlap / (double) (queries * 10)).isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void exactVectorIsItsOwnNearestNeighbourWithCosineOne() {
        index.createCollection(CollectionSpec.of("tiny", 3, Metric.COSINE));
        index.upsert("tiny", List.of(VectorRecord.of("x", new float[] {1, 0, 0}),
                VectorRecord.of("y", new float[] {0, 1, 0}), VectorRecord.of("z", new float[] {-1, 0, 0})));
        List<SearchHit> hits = index.search("tiny", SearchRequest.of(new float[] {2, 0, 0}, 3));
        assertThat(hits).extracting(SearchHit::id).containsExactly("x", "y", "z");
        assertThat(hits.get(0).score()).isCloseTo(1f, within(1e-5f));
        assertThat(hits.get(1).score()).isCloseTo(0f, within(1e-5f));
        assertThat(hits.get(2).score()).isCloseTo(-1f, within(1e-5f));
    }

    @Test
    void kAboveCountReturnsEveryRecord() {
        index.createCollection(CollectionSpec.of("small", 4, Metric.COSINE));
        assertThat(index.search("small", SearchRequest.of(new float[] {1, 0, 0, 0}, 5))).isEmpty();
        Random random = random("small");
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            records.add(VectorRecord.of("s" + i, ClusteredVectors.gaussianUnit(4, random)));
        }
        index.upsert("small", records);
        assertThat(index.search("small", SearchRequest.of(new float[] {1, 0, 0, 0}, 50))).hasSize(7);
    }

    // ---------------------------------------------------------------- filters

    @Test
    void filtersAreHonoured() {
        Random random = random("filters");
        Map<String, Map<String, Object>> attributes = new LinkedHashMap<>();
        Map<String, float[]> vectors = new HashMap<>();
        loadFilms(random, 3000, attributes, vectors);

        Map<String, Predicate<Map<String, Object>>> cases = new LinkedHashMap<>();
        Map<String, Filter> filters = new LinkedHashMap<>();
        addCase(filters, cases, "all", Filter.all(), a -> true);
        addCase(filters, cases, "eq string", Filter.eq("genre", "drama"), a -> "drama".equals(a.get("genre")));
        addCase(filters, cases, "eq long", Filter.eq("year", 2001L), a -> Long.valueOf(2001).equals(a.get("year")));
        addCase(filters, cases, "eq integer", Filter.eq("year", 2001), a -> Long.valueOf(2001).equals(a.get("year")));
        addCase(filters, cases, "in string", Filter.in("genre", List.of("comedy", "horror")),
                a -> oneOf(a, "genre", "comedy", "horror"));
        addCase(filters, cases, "in long", Filter.in("year", List.of(1990, 2000L, 2010)),
                a -> oneOf(a, "year", 1990L, 2000L, 2010L));
        addCase(filters, cases, "range closed", Filter.range("year", 2000L, 2009L), a -> yearIn(a, 2000, 2009));
        addCase(filters, cases, "range open min", Filter.range("year", null, 1985L),
                a -> yearIn(a, Long.MIN_VALUE, 1985));
        addCase(filters, cases, "range open max", Filter.range("year", 2015L, null),
                a -> yearIn(a, 2015, Long.MAX_VALUE));
        addCase(filters, cases, "range empty", Filter.range("year", 3000L, null), a -> false);
        addCase(filters, cases, "and", Filter.and(Filter.eq("genre", "drama"), Filter.range("year", 1990L, 1999L)),
                a -> "drama".equals(a.get("genre")) && yearIn(a, 1990, 1999));
        addCase(filters, cases, "not", Filter.not(Filter.eq("genre", "drama")), a -> !"drama".equals(a.get("genre")));
        addCase(filters, cases, "not and",
                Filter.not(Filter.and(Filter.in("genre", List.of("comedy", "horror")), Filter.range("year", 2000L, null))),
                a -> !(oneOf(a, "genre", "comedy", "horror") && yearIn(a, 2000, Long.MAX_VALUE)));
        addCase(filters, cases, "and not", Filter.and(Filter.in("genre", List.of("drama", "comedy")),
                        Filter.not(Filter.range("year", 1995L, 2005L))),
                a -> oneOf(a, "genre", "drama", "comedy") && !yearIn(a, 1995, 2005));
        addCase(filters, cases, "selective", Filter.eq("tag", "rare"), a -> "rare".equals(a.get("tag")));
        addCase(filters, cases, "selective and",
                Filter.and(Filter.eq("tag", "rare"), Filter.in("genre", List.of("drama", "comedy", "horror"))),
                a -> "rare".equals(a.get("tag")) && oneOf(a, "genre", "drama", "comedy", "horror"));

        int k = 10;
        for (var entry : filters.entrySet()) {
            String name = entry.getKey();
            Predicate<Map<String, Object>> predicate = cases.get(name);
            List<String> matching = attributes.keySet().stream().filter(id -> predicate.test(attributes.get(id)))
                    .toList();
            int found = 0;
            int expectedTotal = 0;
            for (int q = 0; q < 10; q++) {
                float[] query = ClusteredVectors.gaussianUnit(16, random);
                List<SearchHit> hits = index.search("films", SearchRequest.of(query, k).withFilter(entry.getValue()));
                assertThat(hits).as("hits for filter %s", name).hasSize(Math.min(k, matching.size()));
                for (SearchHit hit : hits) {
                    assertThat(predicate.test(attributes.get(hit.id())))
                            .as("filter %s admits %s %s", name, hit.id(), hit.attributes()).isTrue();
                    assertThat(hit.attributes()).isEqualTo(attributes.get(hit.id()));
                }
                Set<String> exact = new HashSet<>(matching.stream()
                        .sorted(Comparator.comparingDouble(id -> -Vectors.cosine(query, vectors.get(id))))
                        .limit(k).toList());
                found += (int) hits.stream().filter(h -> exact.contains(h.id())).count();
                expectedTotal += exact.size();
            }
            if (expectedTotal > 0) {
                assertThat(found / (double) expectedTotal).as("filtered recall for %s", name)
                        .isGreaterThanOrEqualTo(0.9);
            }
        }
        assertThat(attributes.values().stream().filter(a -> "rare".equals(a.get("tag"))).count())
                .as("the selective filter matches just over k records").isBetween(11L, 20L);
    }

    @Test
    void filtersOnUnknownAttributesOrWithWrongTypesAreRefused() {
        loadFilms(random("filter errors"), 50, new HashMap<>(), new HashMap<>());
        float[] query = ClusteredVectors.gaussianUnit(16, random("query"));
        List<Filter> bad = List.of(
                Filter.eq("studio", "x"),
                Filter.in("studio", List.of("x")),
                Filter.range("studio", 1L, 2L),
                Filter.and(Filter.eq("genre", "drama"), Filter.eq("studio", "x")),
                Filter.not(Filter.eq("studio", "x")),
                Filter.eq("genre", 5L),
                Filter.eq("year", "2001"),
                Filter.in("year", List.of(2001L, "2002")),
                Filter.in("genre", List.of("drama", 3)),
                Filter.range("genre", 1L, 2L),
                Filter.not(Filter.and(Filter.eq("year", "x"))));
        for (Filter filter : bad) {
            assertThatThrownBy(() -> index.search("films", SearchRequest.of(query, 5).withFilter(filter)))
                    .as("filter %s", filter).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---------------------------------------------------------------- writes

    @Test
    void deletedRecordsAreNeverReturned() {
        Random random = random("deletes");
        index.createCollection(CollectionSpec.of("del", 8, Metric.COSINE));
        Map<String, float[]> vectors = new HashMap<>();
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            float[] v = ClusteredVectors.gaussianUnit(8, random);
            vectors.put("r" + i, v);
            records.add(VectorRecord.of("r" + i, v));
        }
        index.upsert("del", records);
        Set<String> deleted = new HashSet<>();
        for (int i = 0; i < 100; i += 3) {
            deleted.add("r" + i);
        }
        List<String> toDelete = new ArrayList<>(deleted);
        toDelete.add("never-existed");
        index.delete("del", toDelete);
        index.delete("del", List.of());

        assertThat(index.count("del")).isEqualTo(100 - deleted.size());
        for (String id : deleted) {
            assertThat(index.get("del", id)).as("get %s", id).isEmpty();
            List<SearchHit> hits = index.search("del", SearchRequest.of(vectors.get(id), 100));
            assertThat(hits).hasSize(100 - deleted.size());
            assertThat(hits).extracting(SearchHit::id).doesNotContainAnyElementsOf(deleted);
        }
        assertThat(index.get("del", "r1")).isPresent();

        reopen();
        assertThat(index.count("del")).isEqualTo(100 - deleted.size());
        assertThat(index.get("del", "r0")).isEmpty();
        assertThat(index.search("del", SearchRequest.of(vectors.get("r0"), 100))).extracting(SearchHit::id)
                .doesNotContainAnyElementsOf(deleted);
    }

    @Test
    void upsertReplacesVectorAndAttributes() {
        Random random = random("upsert");
        loadFilms(random, 200, new HashMap<>(), new HashMap<>());
        long before = index.count("films");
        float[] first = ClusteredVectors.gaussianUnit(16, random);
        float[] second = ClusteredVectors.gaussianUnit(16, random);
        index.upsert("films", List.of(new VectorRecord("f0", first, Map.of("genre", "zzz", "year", 1900L))));
        index.upsert("films", List.of(new VectorRecord("f0", second, Map.of("genre", "yyy"))));
        assertThat(index.count("films")).isEqualTo(before);

        VectorRecord stored = index.get("films", "f0").orElseThrow();
        assertVectorEquals(stored.vector(), second);
        assertThat(stored.attributes()).isEqualTo(Map.of("genre", "yyy"));
        assertThat(index.search("films", SearchRequest.of(first, 5).withFilter(Filter.eq("genre", "zzz")))).isEmpty();
        assertThat(index.search("films", SearchRequest.of(first, 5).withFilter(Filter.eq("year", 1900L)))).isEmpty();
        List<SearchHit> hits = index.search("films", SearchRequest.of(second, 1).withFilter(Filter.eq("genre", "yyy")));
        assertThat(hits).extracting(SearchHit::id).containsExactly("f0");
        assertThat(hits.get(0).score()).isCloseTo(1f, within(1e-4f));

        // the same id twice in one batch: the later record wins
        index.upsert("films", List.of(new VectorRecord("dup", first, Map.of("genre", "a")),
                new VectorRecord("dup", second, Map.of("genre", "b"))));
        assertThat(index.count("films")).isEqualTo(before + 1);
        assertThat(index.get("films", "dup").orElseThrow().attributes()).isEqualTo(Map.of("genre", "b"));
    }

    @Test
    void writesAreVisibleToTheNextSearch() {
        Random random = random("read your writes");
        index.createCollection(new CollectionSpec("ryw", 8, Metric.COSINE, Map.of("tag", AttributeType.STRING)));
        for (int i = 0; i < 100; i++) {
            String id = "w" + i;
            float[] v = ClusteredVectors.gaussianUnit(8, random);
            index.upsert("ryw", List.of(new VectorRecord(id, v, Map.of("tag", id))));
            assertThat(index.search("ryw", SearchRequest.of(v, 1).withFilter(Filter.eq("tag", id))))
                    .extracting(SearchHit::id).containsExactly(id);
            assertThat(index.count("ryw")).isEqualTo(i + 1 - i / 2);
            if (i % 2 == 1) {
                index.delete("ryw", List.of(id));
                assertThat(index.search("ryw", SearchRequest.of(v, 1).withFilter(Filter.eq("tag", id)))).isEmpty();
                assertThat(index.get("ryw", id)).isEmpty();
            }
        }
    }

    @Test
    void getReturnsTheStoredRecord() {
        index.createCollection(new CollectionSpec("g", 3, Metric.INNER_PRODUCT,
                Map.of("kind", AttributeType.STRING, "size", AttributeType.LONG)));
        VectorRecord full = new VectorRecord("full", new float[] {0.1f, -2.5f, 3e-7f},
                Map.of("kind", "book", "size", 42L));
        VectorRecord fromInteger = new VectorRecord("int", new float[] {1, 2, 3}, Map.of("size", 7));
        VectorRecord bare = VectorRecord.of("bare", new float[] {0, 0, 0});
        index.upsert("g", List.of(full, fromInteger, bare));
        assertRecordEquals(index.get("g", "full").orElseThrow(), full);
        assertRecordEquals(index.get("g", "int").orElseThrow(),
                new VectorRecord("int", new float[] {1, 2, 3}, Map.of("size", 7L)));
        assertRecordEquals(index.get("g", "bare").orElseThrow(), bare);
        assertThat(index.get("g", "missing")).isEmpty();
        assertThat(index.count("g")).isEqualTo(3);
    }

    @Test
    void invalidRecordsAreRefusedNamingTheRecordAndField() {
        index.createCollection(new CollectionSpec("v", 3, Metric.COSINE,
                Map.of("kind", AttributeType.STRING, "size", AttributeType.LONG)));
        assertRefused(VectorRecord.of("short", new float[] {1, 2}), "short", "vector");
        assertRefused(VectorRecord.of("long", new float[] {1, 2, 3, 4}), "long", "vector");
        assertRefused(VectorRecord.of("nan", new float[] {1, Float.NaN, 3}), "nan", "vector");
        assertRefused(VectorRecord.of("inf", new float[] {1, Float.POSITIVE_INFINITY, 3}), "inf", "vector");
        assertRefused(VectorRecord.of("zero", new float[] {0, 0, 0}), "zero", "vector");
        assertRefused(new VectorRecord("unknown", new float[] {1, 2, 3}, Map.of("colour", "red")), "unknown", "colour");
        assertRefused(new VectorRecord("wrong1", new float[] {1, 2, 3}, Map.of("kind", 5L)), "wrong1", "kind");
        assertRefused(new VectorRecord("wrong2", new float[] {1, 2, 3}, Map.of("size", "big")), "wrong2", "size");
        assertRefused(new VectorRecord("wrong3", new float[] {1, 2, 3}, Map.of("size", 2.5)), "wrong3", "size");

        // a batch with one bad record writes nothing
        assertThatThrownBy(() -> index.upsert("v", List.of(VectorRecord.of("good", new float[] {1, 2, 3}),
                VectorRecord.of("bad", new float[] {1, 2})))).isInstanceOf(IllegalArgumentException.class);
        assertThat(index.count("v")).isZero();

        assertThatThrownBy(() -> index.search("v", SearchRequest.of(new float[] {1, 2}, 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.search("v", SearchRequest.of(new float[] {1, Float.NaN, 2}, 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.search("v", SearchRequest.of(new float[] {0, 0, 0}, 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- collections

    @Test
    void createCollectionIsIdempotentWithTheSameSpecAndRefusedWithAnother() {
        CollectionSpec spec = new CollectionSpec("c", 4, Metric.COSINE, Map.of("a", AttributeType.STRING));
        index.createCollection(spec);
        index.upsert("c", List.of(VectorRecord.of("x", new float[] {1, 2, 3, 4})));
        index.createCollection(new CollectionSpec("c", 4, Metric.COSINE, Map.of("a", AttributeType.STRING)));
        assertThat(index.count("c")).isEqualTo(1);
        assertThat(index.collection("c")).isEqualTo(spec);
        assertThatThrownBy(() -> index.createCollection(CollectionSpec.of("c", 5, Metric.COSINE)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.createCollection(
                new CollectionSpec("c", 4, Metric.INNER_PRODUCT, Map.of("a", AttributeType.STRING))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.createCollection(
                new CollectionSpec("c", 4, Metric.COSINE, Map.of("a", AttributeType.LONG))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.createCollection(CollectionSpec.of("c", 4, Metric.COSINE)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(index.collection("c")).isEqualTo(spec);
        assertThat(index.count("c")).isEqualTo(1);
    }

    @Test
    void unknownCollectionsAreReportedByEveryMethodThatNamesOne() {
        assertUnknown("nope");
        index.createCollection(CollectionSpec.of("gone", 2, Metric.COSINE));
        index.dropCollection("gone");
        assertUnknown("gone");
        assertThat(index.hasCollection("nope")).isFalse();
        assertThatCode(() -> index.dropCollection("nope")).doesNotThrowAnyException();
    }

    @Test
    void dropCollectionRemovesItsData() {
        index.createCollection(CollectionSpec.of("keep", 2, Metric.COSINE));
        index.createCollection(CollectionSpec.of("drop", 2, Metric.COSINE));
        index.upsert("drop", List.of(VectorRecord.of("a", new float[] {1, 0})));
        index.upsert("keep", List.of(VectorRecord.of("a", new float[] {1, 0})));
        index.dropCollection("drop");
        assertThat(index.hasCollection("drop")).isFalse();
        assertThat(index.collections()).extracting(CollectionSpec::name).containsExactly("keep");

        index.createCollection(CollectionSpec.of("drop", 3, Metric.INNER_PRODUCT));
        assertThat(index.count("drop")).isZero();
        assertThat(index.get("drop", "a")).isEmpty();
        reopen();
        assertThat(index.collections()).extracting(CollectionSpec::name).containsExactlyInAnyOrder("keep", "drop");
        assertThat(index.collection("drop")).isEqualTo(CollectionSpec.of("drop", 3, Metric.INNER_PRODUCT));
        assertThat(index.count("drop")).isZero();
        assertThat(index.count("keep")).isEqualTo(1);
    }

    @Test
    void dataSurvivesCloseAndReopen() {
        Random random = random("reopen");
        CollectionSpec films = new CollectionSpec("films", 16, Metric.COSINE, FILM_ATTRIBUTES);
        CollectionSpec dots = CollectionSpec.of("dots", 3, Metric.INNER_PRODUCT);
        Map<String, Map<String, Object>> attributes = new LinkedHashMap<>();
        Map<String, float[]> vectors = new HashMap<>();
        loadFilms(random, 500, attributes, vectors);
        index.createCollection(dots);
        index.upsert("dots", List.of(VectorRecord.of("p", new float[] {1, 2, 3}),
                VectorRecord.of("n", new float[] {-1, -2, -3})));
        index.delete("films", List.of("f1", "f2"));
        index.upsert("films", List.of(new VectorRecord("f3", vectors.get("f3"), Map.of("genre", "changed"))));
        attributes.remove("f1");
        attributes.remove("f2");
        attributes.put("f3", Map.of("genre", "changed"));

        for (int round = 0; round < 2; round++) {
            reopen();
            assertThat(index.collections()).containsExactlyInAnyOrder(films, dots);
            assertThat(index.hasCollection("films")).isTrue();
            assertThat(index.collection("films")).isEqualTo(films);
            assertThat(index.count("films")).isEqualTo(attributes.size());
            assertThat(index.count("dots")).isEqualTo(2);
            for (var entry : attributes.entrySet()) {
                assertRecordEquals(index.get("films", entry.getKey()).orElseThrow(),
                        new VectorRecord(entry.getKey(), vectors.get(entry.getKey()), entry.getValue()));
            }
            assertThat(index.get("films", "f1")).isEmpty();
            assertRecordEquals(index.get("dots", "n").orElseThrow(), VectorRecord.of("n", new float[] {-1, -2, -3}));
            List<SearchHit> hits = index.search("films", SearchRequest.of(vectors.get("f10"), 1));
            assertThat(hits).extracting(SearchHit::id).containsExactly("f10");
            List<SearchHit> dotHits = index.search("dots", SearchRequest.of(new float[] {1, 1, 1}, 2));
            assertThat(dotHits).extracting(SearchHit::id).containsExactly("p", "n");
            assertThat(dotHits.get(0).score()).isCloseTo(6f, within(1e-4f));
            assertThat(dotHits.get(1).score()).isCloseTo(-6f, within(1e-4f));
            // writes after a reopen persist too
            index.upsert("dots", List.of(VectorRecord.of("p", new float[] {1, 2, 3})));
        }
        index.flush();
        index.close();
        assertThatCode(index::close).as("close is safe twice").doesNotThrowAnyException();
        index = openIndex(directory);
        assertThat(index.count("films")).isEqualTo(attributes.size());
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentSearchesWhileUpsertingSucceed() throws Exception {
        Random random = random("concurrency");
        int dimension = 32;
        int k = 10;
        index.createCollection(new CollectionSpec("busy", dimension, Metric.COSINE, Map.of("tag", AttributeType.STRING)));
        List<VectorRecord> initial = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            initial.add(new VectorRecord("b" + i, ClusteredVectors.gaussianUnit(dimension, random), Map.of("tag", "old")));
        }
        index.upsert("busy", initial);
        Set<String> live = ConcurrentHashMap.newKeySet();
        initial.forEach(r -> live.add(r.id()));

        long deadline = System.nanoTime() + 3_000_000_000L;
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong searches = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            long threadSeed = random.nextLong();
            threads.add(new Thread(() -> {
                Random r = new Random(threadSeed);
                try {
                    start.await();
                    for (int i = 0; i < 200_000 && System.nanoTime() < deadline; i++) {
                        List<SearchHit> hits = index.search("busy",
                                SearchRequest.of(ClusteredVectors.gaussianUnit(dimension, r), k));
                        if (hits.size() != k) {
                            throw new AssertionError("search returned " + hits.size() + " hits, expected " + k);
                        }
                        searches.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "contract-search-" + t));
        }
        long writerSeed = random.nextLong();
        threads.add(new Thread(() -> {
            Random r = new Random(writerSeed);
            try {
                start.await();
                for (int i = 0; i < 50_000 && System.nanoTime() < deadline; i++) {
                    String fresh = "n" + i;
                    String replaced = "b" + r.nextInt(2000);
                    float[] v = ClusteredVectors.gaussianUnit(dimension, r);
                    index.upsert("busy", List.of(new VectorRecord(fresh, v, Map.of("tag", fresh)),
                            new VectorRecord(replaced, ClusteredVectors.gaussianUnit(dimension, r),
                                    Map.of("tag", "new"))));
                    live.add(fresh);
                    live.add(replaced);
                    List<SearchHit> mine = index.search("busy",
                            SearchRequest.of(v, 1).withFilter(Filter.eq("tag", fresh)));
                    if (mine.size() != 1 || !mine.get(0).id().equals(fresh)) {
                        throw new AssertionError("upserted " + fresh + " but the next search returned " + mine);
                    }
                    if (i % 3 == 2) {
                        index.delete("busy", List.of(fresh));
                        live.remove(fresh);
                        if (index.get("busy", fresh).isPresent()) {
                            throw new AssertionError("deleted " + fresh + " but get still returns it");
                        }
                    }
                    writes.incrementAndGet();
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        }, "contract-upsert"));
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread thread : threads) {
            thread.join(60_000);
            assertThat(thread.isAlive()).as("%s finished", thread.getName()).isFalse();
        }
        LOG.info("concurrency: {} searches and {} upserts in ~3 s, {} errors", searches.get(), writes.get(),
                errors.size());
        errors.forEach(e -> LOG.error("concurrent call failed", e));
        assertThat(errors).isEmpty();
        assertThat(searches.get()).isPositive();
        assertThat(writes.get()).isPositive();
        assertThat(index.count("busy")).isEqualTo(live.size());
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Creates the "films" collection (16-d COSINE; genre STRING, year LONG, tag STRING) with {@code n} records.
     * Every 40th record has no year; about 15 records, spread out, carry tag "rare".
     */
    protected void loadFilms(Random random, int n, Map<String, Map<String, Object>> attributes,
                             Map<String, float[]> vectors) {
        index.createCollection(new CollectionSpec("films", 16, Metric.COSINE, FILM_ATTRIBUTES));
        List<VectorRecord> records = new ArrayList<>();
        int rareEvery = Math.max(1, n / 15);
        for (int i = 0; i < n; i++) {
            String id = "f" + i;
            Map<String, Object> values = new HashMap<>();
            values.put("genre", GENRES.get(random.nextInt(GENRES.size())));
            if (i % 40 != 39) {
                values.put("year", 1980L + random.nextInt(40));
            }
            if (i % rareEvery == 0) {
                values.put("tag", "rare");
            }
            float[] v = ClusteredVectors.gaussianUnit(16, random);
            attributes.put(id, Map.copyOf(values));
            vectors.put(id, v);
            records.add(new VectorRecord(id, v, values));
        }
        index.upsert("films", records);
    }

    private static void addCase(Map<String, Filter> filters, Map<String, Predicate<Map<String, Object>>> cases,
                                String name, Filter filter, Predicate<Map<String, Object>> predicate) {
        filters.put(name, filter);
        cases.put(name, predicate);
    }

    private static boolean oneOf(Map<String, Object> attributes, String name, Object... values) {
        Object value = attributes.get(name);
        return value != null && List.of(values).contains(value);
    }

    private static boolean yearIn(Map<String, Object> attributes, long min, long max) {
        Object year = attributes.get("year");
        return year instanceof Long y && y >= min && y <= max;
    }

    protected static void assertScoresDescending(List<SearchHit> hits) {
        for (int i = 1; i < hits.size(); i++) {
            assertThat(hits.get(i).score()).as("score %d", i).isLessThanOrEqualTo(hits.get(i - 1).score());
        }
    }

    protected static void assertVectorEquals(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("component %d", i)
                    .isCloseTo(expected[i], within(1e-6f * Math.max(1f, Math.abs(expected[i]))));
        }
    }

    protected static void assertRecordEquals(VectorRecord actual, VectorRecord expected) {
        assertThat(actual.id()).isEqualTo(expected.id());
        assertVectorEquals(actual.vector(), expected.vector());
        assertThat(actual.attributes()).as("attributes of %s", expected.id()).isEqualTo(expected.attributes());
    }

    private void assertRefused(VectorRecord record, String id, String field) {
        assertThatThrownBy(() -> index.upsert("v", List.of(record))).as("record %s", id)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(id).hasMessageContaining(field);
        assertThat(index.get("v", id)).isEmpty();
    }

    private void assertUnknown(String name) {
        float[] v = {1, 0};
        assertThatThrownBy(() -> index.collection(name)).isInstanceOf(UnknownCollectionException.class);
        assertThatThrownBy(() -> index.upsert(name, List.of(VectorRecord.of("a", v))))
                .isInstanceOf(UnknownCollectionException.class);
        assertThatThrownBy(() -> index.delete(name, List.of("a"))).isInstanceOf(UnknownCollectionException.class);
        assertThatThrownBy(() -> index.search(name, SearchRequest.of(v, 1)))
                .isInstanceOf(UnknownCollectionException.class);
        assertThatThrownBy(() -> index.get(name, "a")).isInstanceOf(UnknownCollectionException.class);
        assertThatThrownBy(() -> index.count(name)).isInstanceOf(UnknownCollectionException.class);
        assertThat(index.hasCollection(name)).isFalse();
        assertThat(index.collections()).extracting(CollectionSpec::name).doesNotContain(name);
    }
}
