package dev.kindling.bench;

import static dev.kindling.bench.BenchVectors.exactTopK;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.index.ClusteredVectors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Build and search benchmark of {@link LuceneVectorIndex}: indexes {@code --n} seeded clustered unit vectors, then for
 * each ef measures recall@k against exact brute force and single-thread search latency (p50, p99, mean) over
 * {@code --queries} queries drawn near the cluster centres (fresh draws, not in the data set), after a warm-up.
 * Prints a table, then one JSON line with every figure.
 *
 * <p>With {@code --merge} the searches are measured again after force-merging to one segment ({@code --ram-buffer-mb}
 * makes the build flush more, smaller segments). Runs single-threaded except the brute-force ground truth.
 *
 * <pre>bench/run Index [--n 100000] [--dim 384] [--queries 1000] [--merge] [--dir PATH] [--help]</pre>
 */
public final class IndexBenchmark {
    private static final String COLLECTION = "bench";
    /** Warm-up searches again at each ef just before it is timed. */
    private static final int WARMUP_PER_EF = 200;

    private int n = 100_000;
    private int dim = 384;
    private int queries = 1_000;
    /** Warm-up searches before timing starts, cycling through the ef values (JIT compilation of the search path). */
    private int warmup = 3_000;
    private int k = 10;
    private int clusters = 100;
    private double noise = 1.0;
    private long seed = 42L;
    private int batch = 1_000;
    private List<Integer> efs = List.of(50, 100, 200);
    private boolean merge;
    private LuceneIndexSettings settings = LuceneIndexSettings.DEFAULT;
    private Path dir;

    private IndexBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        IndexBenchmark benchmark = new IndexBenchmark();
        if (!benchmark.parse(args)) {
            return;
        }
        benchmark.run();
    }

    private boolean parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                System.out.println("""
                        usage: bench/run Index [options]
                          --n N          vectors to index (100000)
                          --dim D        dimension (384)
                          --queries Q    measured queries per ef (1000)
                          --warmup W     warm-up searches before each measurement phase, cycling through the
                                         ef values (3000); then 200 more at each ef just before it is timed
                          --k K          hits per query, recall@K (10)
                          --clusters C   Gaussian clusters (100)
                          --noise S      noise norm around a unit centre, before normalising (1.0)
                          --ef LIST      comma-separated ef values (50,100,200)
                          --seed S       random seed (42)
                          --ram-buffer-mb M  indexing buffer before Lucene flushes a segment (256); smaller makes
                                         more segments
                          --beam-width B HNSW construction beam width (the index default, 100)
                          --m M          HNSW neighbours per node (the index default, 16)
                          --merge        after measuring, force-merge to one segment and measure again
                          --dir PATH     index directory, kept afterwards (default: a temporary one, deleted);
                                         a collection "bench" in it is replaced""");
                return false;
            }
            if (option.equals("--merge")) {
                merge = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--n" -> n = positive(option, value);
                case "--dim" -> dim = positive(option, value);
                case "--queries" -> queries = positive(option, value);
                case "--warmup" -> warmup = Math.max(0, Integer.parseInt(value));
                case "--k" -> k = positive(option, value);
                case "--clusters" -> clusters = positive(option, value);
                case "--noise" -> noise = Double.parseDouble(value);
                case "--seed" -> seed = Long.parseLong(value);
                case "--ef" -> efs = Arrays.stream(value.split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--dir" -> dir = Path.of(value);
                case "--ram-buffer-mb" -> settings = new LuceneIndexSettings(settings.hnswM(), settings.hnswBeamWidth(),
                        settings.ef(), positive(option, value), settings.maxDimensions());
                case "--beam-width" -> settings = new LuceneIndexSettings(settings.hnswM(), positive(option, value),
                        settings.ef(), settings.ramBufferMb(), settings.maxDimensions());
                case "--m" -> settings = new LuceneIndexSettings(positive(option, value), settings.hnswBeamWidth(),
                        settings.ef(), settings.ramBufferMb(), settings.maxDimensions());
                default -> throw new IllegalArgumentException("unknown option " + option + " (try --help)");
            }
        }
        if (k > n) {
            throw new IllegalArgumentException("--k " + k + " is larger than --n " + n);
        }
        return true;
    }

    private static int positive(String option, String value) {
        int parsed = Integer.parseInt(value);
        if (parsed < 1) {
            throw new IllegalArgumentException(option + " must be positive, was " + value);
        }
        return parsed;
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "Index benchmark: %,d x %d-d unit vectors in %d clusters (noise %.2f), "
                + "%d queries, k=%d, seed %d, %d cores, Java %s%n", n, dim, clusters, noise, queries, k, seed,
                Runtime.getRuntime().availableProcessors(), Runtime.version());

        Random random = new Random(seed);
        ClusteredVectors vectors = new ClusteredVectors(clusters, dim, noise, random);
        float[][] data = new float[n][];
        for (int i = 0; i < n; i++) {
            data[i] = vectors.next();
        }
        float[][] measured = new float[queries][];
        for (int q = 0; q < queries; q++) {
            measured[q] = vectors.next();
        }
        float[][] warm = new float[Math.max(warmup, WARMUP_PER_EF)][];
        for (int q = 0; q < warm.length; q++) {
            warm[q] = vectors.next();
        }

        long groundTruthStart = System.nanoTime();
        int[][] exact = exactTopK(data, measured, k);
        double groundTruthSeconds = seconds(System.nanoTime() - groundTruthStart);
        System.out.printf(Locale.ROOT, "exact top-%d by brute force: %.1f s%n", k, groundTruthSeconds);

        boolean temporary = dir == null;
        Path directory = temporary ? Files.createTempDirectory("kindling-index-bench") : dir;
        try {
            try (LuceneVectorIndex index = new LuceneVectorIndex(directory, settings)) {
                index.dropCollection(COLLECTION);
                index.createCollection(CollectionSpec.of(COLLECTION, dim, Metric.COSINE));

                long buildStart = System.nanoTime();
                List<VectorRecord> records = new ArrayList<>(batch);
                for (int i = 0; i < n; i++) {
                    records.add(VectorRecord.of(Integer.toString(i), data[i]));
                    if (records.size() == batch || i == n - 1) {
                        index.upsert(COLLECTION, records);
                        records.clear();
                    }
                }
                index.flush();
                long count = index.count(COLLECTION);
                double buildSeconds = seconds(System.nanoTime() - buildStart);
                if (count != n) {
                    throw new IllegalStateException("indexed " + count + " vectors, expected " + n);
                }
                int segmentsBuilt = index.segmentCount(COLLECTION);
                System.out.printf(Locale.ROOT, "build: %.1f s, %,.0f vectors/s (upserts of %d, commit), %d segment(s); "
                                + "M %d, beam width %d%n", buildSeconds, n / buildSeconds, batch, segmentsBuilt,
                        settings.hnswM(), settings.hnswBeamWidth());

                warmUp(index, warm);
                List<Result> results = new ArrayList<>();
                for (int ef : efs) {
                    results.add(measure(index, ef, false, warm, measured, exact));
                }

                double mergeSeconds = 0;
                if (merge) {
                    long mergeStart = System.nanoTime();
                    index.forceMerge(COLLECTION, 1);
                    index.flush();
                    mergeSeconds = seconds(System.nanoTime() - mergeStart);
                    System.out.printf(Locale.ROOT, "force merge: %.1f s, %d -> %d segment(s)%n", mergeSeconds,
                            segmentsBuilt, index.segmentCount(COLLECTION));
                    warmUp(index, warm);
                    for (int ef : efs) {
                        results.add(measure(index, ef, true, warm, measured, exact));
                    }
                }
                printTable(results);
                System.out.println(json(buildSeconds, segmentsBuilt, mergeSeconds, results));
            }
        } finally {
            if (temporary) {
                deleteRecursively(directory);
            }
        }
    }

    /**
     * Searches {@code warmup} times, cycling through the ef values, before a measurement phase. Building and merging
     * run the same HNSW search code with other scorer classes, so the JIT has to recompile it for queries: on 2 cores
     * a few hundred searches were not enough (p99 stayed at about 5 ms for the first ~2,000 searches, then fell to
     * about 1 ms).
     */
    private void warmUp(LuceneVectorIndex index, float[][] warm) {
        long start = System.nanoTime();
        for (int q = 0; q < warmup; q++) {
            index.search(COLLECTION, new SearchRequest(warm[q], k, null, efs.get(q % efs.size())));
        }
        System.out.printf(Locale.ROOT, "warm-up: %d searches, %.1f s%n", warmup, seconds(System.nanoTime() - start));
    }

    private record Result(int ef, boolean merged, int segments, double recall, double p50Ms, double p99Ms,
                          double meanMs, double maxMs) {
    }

    private Result measure(LuceneVectorIndex index, int ef, boolean merged, float[][] warm, float[][] measured,
                           int[][] exact) {
        for (int q = 0; q < WARMUP_PER_EF; q++) {
            index.search(COLLECTION, new SearchRequest(warm[q], k, null, ef));
        }
        long[] nanos = new long[measured.length];
        int found = 0;
        for (int q = 0; q < measured.length; q++) {
            SearchRequest request = new SearchRequest(measured[q], k, null, ef);
            long start = System.nanoTime();
            List<SearchHit> hits = index.search(COLLECTION, request);
            nanos[q] = System.nanoTime() - start;
            Set<String> truth = new HashSet<>();
            for (int i : exact[q]) {
                truth.add(Integer.toString(i));
            }
            for (SearchHit hit : hits) {
                found += truth.contains(hit.id()) ? 1 : 0;
            }
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
        return new Result(ef, merged, index.segmentCount(COLLECTION), found / (double) (measured.length * k),
                percentile(sorted, 0.50),
                percentile(sorted, 0.99), mean, sorted[sorted.length - 1] / 1e6);
    }

    /** Nearest-rank percentile of sorted nanosecond timings, in milliseconds. */
    private static double percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    private void printTable(List<Result> results) {
        System.out.println();
        System.out.printf(Locale.ROOT, "search, one thread, k=%d, %d queries per row; before each phase %d warm-up "
                + "searches, and %d more at each row's ef:%n", k, queries, warmup, WARMUP_PER_EF);
        System.out.println("   ef | segments | recall@" + k + " |  p50 ms |  p99 ms | mean ms |  max ms |    QPS");
        System.out.println("------+----------+-----------+---------+---------+---------+---------+-------");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%5d | %8s | %9.4f | %7.3f | %7.3f | %7.3f | %7.2f | %6.0f%n", r.ef(),
                    r.segments() + (r.merged() ? " (m)" : ""), r.recall(), r.p50Ms(), r.p99Ms(), r.meanMs(), r.maxMs(),
                    1000 / r.meanMs());
        }
        if (merge) {
            System.out.println("(m): after the force merge");
        }
        System.out.println();
    }

    private String json(double buildSeconds, int segmentsBuilt, double mergeSeconds, List<Result> results) {
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"benchmark\":\"index\",\"backend\":\"lucene\",\"n\":%d,\"dim\":%d,\"clusters\":%d,\"noise\":%s,"
                        + "\"queries\":%d,\"warmup\":%d,\"k\":%d,\"seed\":%d,\"ramBufferMb\":%d,\"hnswM\":%d,"
                        + "\"hnswBeamWidth\":%d,\"buildSeconds\":%.3f,\"vectorsPerSecond\":%.1f,\"segmentsBuilt\":%d,"
                        + "\"merge\":%b,\"mergeSeconds\":%.3f,\"results\":[",
                n, dim, clusters, noise, queries, warmup, k, seed, settings.ramBufferMb(), settings.hnswM(),
                settings.hnswBeamWidth(), buildSeconds, n / buildSeconds, segmentsBuilt, merge, mergeSeconds));
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"ef\":%d,\"merged\":%b,\"segments\":%d,\"recall\":%.4f,\"p50Ms\":%.4f,\"p99Ms\":%.4f,"
                            + "\"meanMs\":%.4f,\"maxMs\":%.4f}",
                    r.ef(), r.merged(), r.segments(), r.recall(), r.p50Ms(), r.p99Ms(), r.meanMs(), r.maxMs()));
        }
        return json.append("]}").toString();
    }

    // ---------------------------------------------------------------- data


    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root, e);
        }
    }
}
