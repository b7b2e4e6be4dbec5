package dev.kindling.index;

import java.io.IOException;
import java.util.logging.Level;

import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.codecs.hnsw.FlatVectorsScorer;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.VectorUtil;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lucene's float vector scores (same similarity functions, same score scaling) computed with {@link SimdVectorMath}.
 * Building an HNSW graph is almost all such comparisons, so this is what makes bulk indexing fast on Java 17. Byte
 * vectors go to Lucene's own scorer.
 */
final class SimdVectorScorer implements FlatVectorsScorer {
    private static final Logger LOG = LoggerFactory.getLogger(SimdVectorScorer.class);
    private static final String MODULE = "jdk.incubator.vector";
    /**
     * Lucene's notice that the module is enabled but Java 17 is "too old" for its own SIMD code does not apply to
     * graph building, which this class vectorises; it is kept quiet (held here: java.util.logging holds loggers weakly).
     */
    private static final java.util.logging.Logger LUCENE_VECTORIZATION_NOTICE =
            quiet("org.apache.lucene.internal.vectorization.VectorizationProvider");
    private static final FlatVectorsScorer FOR_BUILDING = choose();

    private SimdVectorScorer() {
    }

    /**
     * The scorer graph building should use: this one where the JVM was started with
     * {@code --add-modules jdk.incubator.vector} (as {@code ./kindling}, the benchmarks, the tests and the docker image
     * are), Lucene's scalar one otherwise.
     */
    static FlatVectorsScorer forBuilding() {
        return FOR_BUILDING;
    }

    /** Whether {@link #forBuilding()} is the SIMD scorer. */
    static boolean simdInUse() {
        return FOR_BUILDING instanceof SimdVectorScorer;
    }

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(Level.SEVERE);
        return logger;
    }

    private static FlatVectorsScorer choose() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            LOG.info("HNSW graphs are built with Lucene's scalar vector code: start Java with --add-modules {} "
                    + "for SIMD (2.5-3.5x faster comparisons)", MODULE);
            return DefaultFlatVectorScorer.INSTANCE;
        }
        try {
            LOG.debug("HNSW graphs are built with {}-bit SIMD vector code", SimdVectorMath.bits());
            return new SimdVectorScorer();
        } catch (LinkageError e) {
            LOG.warn("the {} module is present but unusable ({}); HNSW graphs are built with Lucene's scalar code",
                    MODULE, e.toString());
            return DefaultFlatVectorScorer.INSTANCE;
        }
    }

    /** Lucene's score for these two vectors under {@code function} (see {@link VectorSimilarityFunction#compare}). */
    static float score(VectorSimilarityFunction function, float[] a, float[] b) {
        return switch (function) {
            case EUCLIDEAN -> 1 / (1 + SimdVectorMath.squareDistance(a, b));
            case DOT_PRODUCT -> Math.max((1 + SimdVectorMath.dotProduct(a, b)) / 2, 0);
            case COSINE -> Math.max((1 + SimdVectorMath.cosine(a, b)) / 2, 0);
            case MAXIMUM_INNER_PRODUCT -> VectorUtil.scaleMaxInnerProductScore(SimdVectorMath.dotProduct(a, b));
        };
    }

    @Override
    public RandomVectorScorerSupplier getRandomVectorScorerSupplier(VectorSimilarityFunction function,
                                                                    RandomAccessVectorValues values) throws IOException {
        if (values instanceof RandomAccessVectorValues.Floats floats) {
            return new Supplier(function, floats);
        }
        return DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorerSupplier(function, values);
    }

    @Override
    public RandomVectorScorer getRandomVectorScorer(VectorSimilarityFunction function, RandomAccessVectorValues values,
                                                    float[] target) throws IOException {
        if (!(values instanceof RandomAccessVectorValues.Floats floats)) {
            return DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(function, values, target);
        }
        if (target.length != values.dimension()) {
            throw new IllegalArgumentException("vector query dimension: " + target.length
                    + " differs from field dimension: " + values.dimension());
        }
        return new Scorer(function, floats, target);
    }

    @Override
    public RandomVectorScorer getRandomVectorScorer(VectorSimilarityFunction function, RandomAccessVectorValues values,
                                                    byte[] target) throws IOException {
        return DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(function, values, target);
    }

    @Override
    public String toString() {
        return "SimdVectorScorer()";
    }

    /** Scores one fixed vector against the values' vectors. */
    private static final class Scorer extends RandomVectorScorer.AbstractRandomVectorScorer {
        private final VectorSimilarityFunction function;
        private final RandomAccessVectorValues.Floats values;
        private final float[] query;

        Scorer(VectorSimilarityFunction function, RandomAccessVectorValues.Floats values, float[] query) {
            super(values);
            this.function = function;
            this.values = values;
            this.query = query;
        }

        @Override
        public float score(int node) throws IOException {
            return SimdVectorScorer.score(function, query, values.vectorValue(node));
        }
    }

    /**
     * Scores ordinals against ordinals. Off-heap values reuse one buffer per copy, so (as Lucene's own supplier does)
     * the query ordinal's vector is read from a copy of its own at each score, the scored vectors from another.
     */
    private static final class Supplier implements RandomVectorScorerSupplier {
        private final VectorSimilarityFunction function;
        private final RandomAccessVectorValues.Floats queries;
        private final RandomAccessVectorValues.Floats targets;

        Supplier(VectorSimilarityFunction function, RandomAccessVectorValues.Floats values) throws IOException {
            this.function = function;
            this.queries = values.copy();
            this.targets = values.copy();
        }

        @Override
        public RandomVectorScorer scorer(int ord) {
            return new RandomVectorScorer.AbstractRandomVectorScorer(targets) {
                @Override
                public float score(int node) throws IOException {
                    return SimdVectorScorer.score(function, queries.vectorValue(ord), targets.vectorValue(node));
                }
            };
        }

        @Override
        public RandomVectorScorerSupplier copy() throws IOException {
            return new Supplier(function, queries);
        }
    }
}
