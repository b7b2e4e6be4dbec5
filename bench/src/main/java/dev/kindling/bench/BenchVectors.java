package dev.kindling.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.kindling.index.ClusteredVectors;

/** The index benchmarks' ground truth: exact top-k for many queries, one query per task on every core. */
final class BenchVectors {
    private BenchVectors() {
    }

    /** Exact top-k ids by dot product (= cosine for unit vectors) of each query ({@link ClusteredVectors#exactTopK}). */
    static int[][] exactTopK(float[][] data, float[][] queries, int k) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (float[] query : queries) {
                futures.add(pool.submit(() -> ClusteredVectors.exactTopK(data, query, k)));
            }
            int[][] result = new int[queries.length][];
            for (int q = 0; q < queries.length; q++) {
                result[q] = futures.get(q).get();
            }
            return result;
        } finally {
            pool.shutdownNow();
        }
    }
}
