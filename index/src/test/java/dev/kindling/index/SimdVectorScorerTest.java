package dev.kindling.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.codecs.hnsw.FlatVectorsScorer;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The SIMD scorer gives Lucene's scores (same functions, same scaling) for every length, tail lanes included. */
class SimdVectorScorerTest {
    /** Lengths around the 8- and 16-lane widths, and the encoders' 384 and 1280. */
    private static final int[] DIMENSIONS = {1, 3, 8, 15, 16, 17, 31, 33, 100, 384, 1280};

    @Test
    void theTestJvmBuildsGraphsWithSimd() {
        // surefire starts the JVM with --add-modules jdk.incubator.vector, as ./kindling and the docker image do
        assertThat(SimdVectorScorer.simdInUse()).isTrue();
        assertThat(SimdVectorScorer.forBuilding()).isInstanceOf(SimdVectorScorer.class);
    }

    @Test
    void scoresMatchLucenesForEverySimilarityAndLength() throws IOException {
        Random random = new Random(7);
        FlatVectorsScorer simd = SimdVectorScorer.forBuilding();
        for (int dim : DIMENSIONS) {
            List<float[]> vectors = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                vectors.add(randomVector(random, dim, i % 2 == 0));
            }
            RandomAccessVectorValues.Floats values = RandomAccessVectorValues.fromFloats(vectors, dim);
            for (VectorSimilarityFunction function : VectorSimilarityFunction.values()) {
                float[] query = randomVector(random, dim, false);
                RandomVectorScorer ours = simd.getRandomVectorScorer(function, values, query);
                RandomVectorScorer lucenes = DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(function, values,
                        query);
                RandomVectorScorerSupplier ourPairs = simd.getRandomVectorScorerSupplier(function, values);
                for (int node = 0; node < vectors.size(); node++) {
                    float expected = function.compare(query, vectors.get(node));
                    assertThat(ours.score(node)).as("%s, %d-d, node %d", function, dim, node)
                            .isCloseTo(expected, tolerance(expected));
                    assertThat(lucenes.score(node)).isEqualTo(expected);
                    float pair = function.compare(vectors.get(3), vectors.get(node));
                    assertThat(ourPairs.scorer(3).score(node)).as("%s, %d-d, 3 vs %d", function, dim, node)
                            .isCloseTo(pair, tolerance(pair));
                    assertThat(ourPairs.copy().scorer(node).score(3)).isCloseTo(pair, tolerance(pair));
                }
            }
        }
    }

    @Test
    void aQueryOfTheWrongDimensionIsRefused() {
        RandomAccessVectorValues.Floats values = RandomAccessVectorValues.fromFloats(List.of(new float[4]), 4);
        assertThatThrownBy(() -> SimdVectorScorer.forBuilding()
                .getRandomVectorScorer(VectorSimilarityFunction.DOT_PRODUCT, values, new float[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension");
    }

    private static Offset<Float> tolerance(float expected) {
        return Offset.offset(1e-5f * Math.max(1, Math.abs(expected)));
    }

    /** Gaussian components; unit length when asked (DOT_PRODUCT's contract), else scaled up to length ~3. */
    private static float[] randomVector(Random random, int dim, boolean unit) {
        float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        float scale = (float) ((unit ? 1 : 3) / Math.sqrt(norm));
        for (int i = 0; i < dim; i++) {
            v[i] *= scale;
        }
        return v;
    }
}
