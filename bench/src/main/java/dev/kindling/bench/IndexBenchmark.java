package dev.kindling.bench;

import static dev.kindling.bench.BenchVectors.exactTopK;
import static dev.kindling.bench.Nanos.seconds;

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
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;

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
@Command(name = "Index", mixinStandardHelpOptions = true,
        description = "Build and search benchmark of the embedded Lucene HNSW index.")
public final class IndexBenchmark implements Callable<Integer> {
    private static final String COLLECTION = "bench";
    /** Warm-up searches again at each ef just before it is timed. */
    private static final int WARMUP_PER_EF = 200;

    @Mixin
    ClusteredData clustered;

    @Option(names = "--warmup", description = "Warm-up searches before each measurement phase, cycling through the ef "
            + "values (default ${DEFAULT-VALUE}); then 200 more at each ef just before it is timed.")
    int warmup = 3_000;

    @Option(names = "--ef", split = ",", description = "ef values (default 50,100,200).")
    List<Integer> efs = List.of(50, 100, 200);

    @Option(names = "--ram-buffer-mb", description = "Indexing buffer before Lucene flushes a segment "
            + "(default ${DEFAULT-VALUE}); smaller makes more segments.")
    int ramBufferMb = LuceneIndexSettings.DEFAULT.ramBufferMb();

    @Option(names = "--beam-width", description = "HNSW construction beam width (default ${DEFAULT-VALUE}).")
    int beamWidth = LuceneIndexSettings.DEFAULT.hnswBeamWidth();

    @Option(names = "--m", description = "HNSW neighbours per node (default ${DEFAULT-VALUE}).")
    int m = LuceneIndexSettings.DEFAULT.hnswM();

    @Option(names = "--merge", description = "After measuring, force-merge to one segment and measure again.")
    boolean merge;

    @Option(names = "--dir", description = "Index directory, kept afterwards (default: a temporary one, deleted); a "
            + "collection \"bench\" in it is replaced.")
    Path dir;

    /** Records per upsert while building. */
    private final int batch = 1_000;
    private LuceneIndexSettings settings;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IndexBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        clustered.validate();
        for (int value : new int[] {ramBufferMb, beamWidth, m}) {
            if (value < 1) {
                throw new IllegalArgumentException("--ram-buffer-mb, --beam-width and --m must be positive");
            }
        }
        warmup = Math.max(0, warmup);
        settings = new LuceneIndexSettings(m, beamWidth, LuceneIndexSettings.DEFAULT.ef(), ramBufferMb,
                LuceneIndexSettings.DEFAULT.maxDimensions());
        run();
        return 0;
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "Index benchmark: %,d x %d-d unit vectors in %d clusters (noise %.2f), "
                + "%d queries, k=%d, seed %d, %d cores, Java %s%n", clustered.n, clustered.dim, clustered.clusters,
                clustered.noise, clustered.queries, clustered.k, clustered.seed,
                Runtime.getRuntime().availableProcessors(), Runtime.version());

        ClusteredData.Draw draw = clustered.draw(Math.max(warmup, WARMUP_PER_EF));
        float[][] data = draw.data();
        float[][] measured = draw.measured();
        float[][] warm = draw.warm();

        long groundTruthStart = System.nanoTime();
        int[][] exact = exactTopK(data, measured, clustered.k);
        double groundTruthSeconds = seconds(System.nanoTime() - groundTruthStart);
        System.out.printf(Locale.ROOT, "exact top-%d by brute force: %.1f s%n", clustered.k, groundTruthSeconds);

        boolean temporary = dir == null;
        Path directory = temporary ? Files.createTempDirectory("kindling-index-bench") : dir;
        try {
            try (LuceneVectorIndex index = new LuceneVectorIndex(directory, settings)) {
                index.dropCollection(COLLECTION);
                index.createCollection(CollectionSpec.of(COLLECTION, clustered.dim, Metric.COSINE));

                long buildStart = System.nanoTime();
                List<VectorRecord> records = new ArrayList<>(batch);
                for (int i = 0; i < clustered.n; i++) {
                    records.add(VectorRecord.of(Integer.toString(i), data[i]));
                    if (records.size() == batch || i == clustered.n - 1) {
                        index.upsert(COLLECTION, records);
                        records.clear();
                    }
                }
                index.flush();
                long count = index.count(COLLECTION);
                double buildSeconds = seconds(System.nanoTime() - buildStart);
                if (count != clustered.n) {
                    throw new IllegalStateException("indexed " + count + " vectors, expected " + clustered.n);
                }
                int segmentsBuilt = index.segmentCount(COLLECTION);
                System.out.printf(Locale.ROOT, "build: %.1f s, %,.0f vectors/s (upserts of %d, commit), %d segment(s); "
                                + "M %d, beam width %d%n", buildSeconds, clustered.n / buildSeconds, batch,
                                segmentsBuilt,
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
            index.search(COLLECTION, new SearchRequest(warm[q], clustered.k, null, efs.get(q % efs.size())));
        }
        System.out.printf(Locale.ROOT, "warm-up: %d searches, %.1f s%n", warmup, seconds(System.nanoTime() - start));
    }

    private record Result(int ef, boolean merged, int segments, double recall, double p50Ms, double p99Ms,
                          double meanMs, double maxMs) {
    }

    private Result measure(LuceneVectorIndex index, int ef, boolean merged, float[][] warm, float[][] measured,
                           int[][] exact) {
        for (int q = 0; q < WARMUP_PER_EF; q++) {
            index.search(COLLECTION, new SearchRequest(warm[q], clustered.k, null, ef));
        }
        long[] nanos = new long[measured.length];
        int found = 0;
        for (int q = 0; q < measured.length; q++) {
            SearchRequest request = new SearchRequest(measured[q], clustered.k, null, ef);
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
        return new Result(ef, merged, index.segmentCount(COLLECTION), found / (double) (measured.length * clustered.k),
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
                + "searches, and %d more at each row's ef:%n", clustered.k, clustered.queries, warmup, WARMUP_PER_EF);
        System.out.println("   ef | segments | recall@" + clustered.k + " |  p50 ms |  p99 ms | mean ms |  max ms |    QPS");
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
                clustered.n, clustered.dim, clustered.clusters, clustered.noise, clustered.queries, warmup,
                        clustered.k, clustered.seed, settings.ramBufferMb(), settings.hnswM(),
                settings.hnswBeamWidth(), buildSeconds, clustered.n / buildSeconds, segmentsBuilt, merge,
                        mergeSeconds));
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
