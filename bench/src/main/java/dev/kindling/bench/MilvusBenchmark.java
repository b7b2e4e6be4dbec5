package dev.kindling.bench;

import static dev.kindling.bench.BenchVectors.exactTopK;
import static dev.kindling.bench.Nanos.seconds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.index.milvus.MilvusSettings;
import dev.kindling.index.milvus.MilvusVectorIndex;

/**
 * The Milvus backend next to the embedded one, in one run on the same data: indexes {@code --n} seeded clustered unit
 * vectors into the embedded Lucene index and into a Milvus server ({@code --uri}), then measures recall@k against
 * exact brute force and single-thread search latency (p50, p99, mean) of each over the same {@code --queries} queries,
 * after a warm-up. The data are those of {@link IndexBenchmark} for the same options (same generator, same draw order:
 * centres, data, queries), so the embedded figures line up with its table. Prints a table, then one JSON line.
 *
 * <p>Milvus latency includes the gRPC round trip on loopback; Milvus Lite (the server CI runs) is a Python server, so
 * its figures describe Milvus Lite, not a Milvus 2.6 cluster.
 *
 * <pre>bench/run Milvus [--n 100000] [--dim 384] [--queries 1000] [--ef 100] [--uri http://127.0.0.1:19530] [--help]</pre>
 */
@Command(name = "Milvus", mixinStandardHelpOptions = true,
        description = "The embedded index against a Milvus server on the same vectors and queries.")
public final class MilvusBenchmark implements Callable<Integer> {
    private static final String COLLECTION = "bench";

    @Mixin
    ClusteredData clustered;

    @Option(names = "--warmup", description = "Warm-up searches per backend before timing (default ${DEFAULT-VALUE}).")
    int warmup = 500;

    @Option(names = "--ef", description = "HNSW search candidate list, both backends (default ${DEFAULT-VALUE}).")
    int ef = 100;

    @Option(names = "--uri", description = "Milvus server (default: KINDLING_BENCH_MILVUS_URI, else "
            + "http://127.0.0.1:19530).")
    String uri = System.getenv().getOrDefault("KINDLING_BENCH_MILVUS_URI", "http://127.0.0.1:19530");

    @Option(names = "--database", description = "Milvus database; its collection \"bench\" is replaced "
            + "(default ${DEFAULT-VALUE}).")
    String database = "kindling_bench";

    /** Records per upsert while building. */
    private final int batch = 1_000;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MilvusBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        clustered.validate();
        if (ef < 1) {
            throw new IllegalArgumentException("--ef must be positive, was " + ef);
        }
        warmup = Math.max(0, warmup);
        run();
        return 0;
    }

    private record Result(String backend, double buildSeconds, double recall, double p50Ms, double p99Ms,
                          double meanMs, double maxMs) {
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "Milvus benchmark: %,d x %d-d unit vectors in %d clusters (noise %.2f), "
                        + "%d queries, k=%d, ef=%d, seed %d, %d cores, Java %s; Milvus at %s%n", clustered.n,
                clustered.dim, clustered.clusters, clustered.noise, clustered.queries, clustered.k, ef, clustered.seed,
                Runtime.getRuntime().availableProcessors(), Runtime.version(), uri);
        ClusteredData.Draw draw = clustered.draw(Math.max(1, warmup));
        float[][] data = draw.data();
        float[][] measured = draw.measured();
        float[][] warm = draw.warm();
        long truthStart = System.nanoTime();
        int[][] exact = exactTopK(data, measured, clustered.k);
        System.out.printf(Locale.ROOT, "exact top-%d by brute force: %.1f s%n", clustered.k,
                seconds(System.nanoTime() - truthStart));

        List<Result> results = new ArrayList<>();
        Path directory = Files.createTempDirectory("kindling-milvus-bench");
        try (LuceneVectorIndex lucene = new LuceneVectorIndex(directory,
                LuceneIndexSettings.DEFAULT.withEf(ef))) {
            results.add(measure("embedded (Lucene)", lucene, data, warm, measured, exact));
        } finally {
            deleteRecursively(directory);
        }
        MilvusSettings settings = MilvusSettings.DEFAULT.withUri(uri).withDatabase(database).withEf(ef)
                .withTimeouts(Duration.ofSeconds(30), Duration.ofMinutes(10));
        try (MilvusVectorIndex milvus = new MilvusVectorIndex(settings)) {
            results.add(measure("milvus", milvus, data, warm, measured, exact));
            milvus.dropCollection(COLLECTION);
        }
        printTable(results);
        System.out.println(json(results));
    }

    private Result measure(String backend, VectorIndex index, float[][] data, float[][] warm, float[][] measured,
                           int[][] exact) {
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
        if (index.count(COLLECTION) != clustered.n) {
            throw new IllegalStateException(backend + " holds " + index.count(COLLECTION) + " vectors, expected " + clustered.n);
        }
        double buildSeconds = seconds(System.nanoTime() - buildStart);
        long warmStart = System.nanoTime();
        for (int q = 0; q < warmup; q++) {
            index.search(COLLECTION, SearchRequest.of(warm[q], clustered.k));
        }
        System.out.printf(Locale.ROOT, "%s: build %.1f s (%,.0f vectors/s, upserts of %d, then flush), warm-up %d "
                        + "searches %.1f s%n", backend, buildSeconds, clustered.n / buildSeconds, batch, warmup,
                seconds(System.nanoTime() - warmStart));
        long[] nanos = new long[measured.length];
        int found = 0;
        for (int q = 0; q < measured.length; q++) {
            long start = System.nanoTime();
            List<SearchHit> hits = index.search(COLLECTION, SearchRequest.of(measured[q], clustered.k));
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
        return new Result(backend, buildSeconds, found / (double) (measured.length * clustered.k),
                percentile(sorted, 0.50), percentile(sorted, 0.99), Arrays.stream(nanos).average().orElse(0) / 1e6,
                sorted[sorted.length - 1] / 1e6);
    }

    /** Nearest-rank percentile of sorted nanosecond timings, in milliseconds. */
    private static double percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    private void printTable(List<Result> results) {
        System.out.println();
        System.out.printf(Locale.ROOT, "search, one thread, k=%d, ef=%d, %d queries per backend:%n", clustered.k, ef,
                clustered.queries);
        System.out.println("backend            | build s | recall@" + clustered.k + " |  p50 ms |  p99 ms | mean ms |  max ms |    QPS");
        System.out.println("-------------------+---------+-----------+---------+---------+---------+---------+-------");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-18s | %7.1f | %9.4f | %7.3f | %7.3f | %7.3f | %7.2f | %6.0f%n",
                    r.backend(), r.buildSeconds(), r.recall(), r.p50Ms(), r.p99Ms(), r.meanMs(), r.maxMs(),
                    1000 / r.meanMs());
        }
        System.out.println();
    }

    private String json(List<Result> results) {
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"benchmark\":\"milvus\",\"n\":%d,\"dim\":%d,\"clusters\":%d,\"noise\":%s,\"queries\":%d,"
                        + "\"warmup\":%d,\"k\":%d,\"ef\":%d,\"seed\":%d,\"uri\":\"%s\",\"results\":[",
                clustered.n, clustered.dim, clustered.clusters, clustered.noise, clustered.queries, warmup,
                        clustered.k, ef, clustered.seed, uri));
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"backend\":\"%s\",\"buildSeconds\":%.3f,\"recall\":%.4f,\"p50Ms\":%.4f,\"p99Ms\":%.4f,"
                            + "\"meanMs\":%.4f,\"maxMs\":%.4f}",
                    r.backend(), r.buildSeconds(), r.recall(), r.p50Ms(), r.p99Ms(), r.meanMs(), r.maxMs()));
        }
        return json.append("]}").toString();
    }

    // ---------------------------------------------------------------- data, drawn exactly as IndexBenchmark draws it



    private static void deleteRecursively(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
