package dev.kindling.bench;

import java.util.Random;

import picocli.CommandLine.Option;

import dev.kindling.index.ClusteredVectors;

/**
 * The index benchmarks' data options (a picocli mixin) and their draw: {@code --n} seeded unit vectors around
 * {@code --clusters} centres, then the measured queries and the warm-up queries, fresh draws in that order.
 */
final class ClusteredData {
    @Option(names = "--n", description = "Vectors to index (default ${DEFAULT-VALUE}).")
    int n = 100_000;

    @Option(names = "--dim", description = "Dimension (default ${DEFAULT-VALUE}).")
    int dim = 384;

    @Option(names = "--queries", description = "Measured queries (default ${DEFAULT-VALUE}).")
    int queries = 1_000;

    @Option(names = "--k", description = "Hits per query, recall@K (default ${DEFAULT-VALUE}).")
    int k = 10;

    @Option(names = "--clusters", description = "Gaussian clusters (default ${DEFAULT-VALUE}).")
    int clusters = 100;

    @Option(names = "--noise", description = "Noise norm around a unit centre, before normalising "
            + "(default ${DEFAULT-VALUE}).")
    double noise = 1.0;

    @Option(names = "--seed", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed = 42L;

    /** The data, the measured queries and {@code warm} warm-up queries. */
    record Draw(float[][] data, float[][] measured, float[][] warm) {
    }

    /** @throws IllegalArgumentException naming the option that is out of range */
    void validate() {
        for (int value : new int[] {n, dim, queries, k, clusters}) {
            if (value < 1) {
                throw new IllegalArgumentException("--n, --dim, --queries, --k and --clusters must be positive");
            }
        }
        if (k > n) {
            throw new IllegalArgumentException("--k " + k + " is larger than --n " + n);
        }
    }

    Draw draw(int warm) {
        ClusteredVectors vectors = new ClusteredVectors(clusters, dim, noise, new Random(seed));
        return new Draw(next(vectors, n), next(vectors, queries), next(vectors, warm));
    }

    private static float[][] next(ClusteredVectors vectors, int count) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = vectors.next();
        }
        return out;
    }
}
