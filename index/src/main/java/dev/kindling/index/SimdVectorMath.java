package dev.kindling.index;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float vector arithmetic on the CPU's widest SIMD registers through the JDK's incubating Vector API (AVX2: 8 lanes,
 * AVX-512: 16). Lucene 9.12 only vectorises on Java 20-22; on Java 17 its scalar loops cost 2.5-3.5x more per
 * comparison. Only loaded when the JVM runs with {@code --add-modules jdk.incubator.vector} ({@link BuildScorers}).
 */
final class SimdVectorMath {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private SimdVectorMath() {
    }

    /** Register width in bits, for the log. */
    static int bits() {
        return SPECIES.vectorBitSize();
    }

    static float dotProduct(float[] a, float[] b) {
        int bound = SPECIES.loopBound(a.length);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        int i = 0;
        // two accumulators: an FMA's latency is longer than its issue interval
        for (; i + LANES < bound; i += 2 * LANES) {
            acc1 = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc1);
            acc2 = FloatVector.fromArray(SPECIES, a, i + LANES).fma(FloatVector.fromArray(SPECIES, b, i + LANES), acc2);
        }
        for (; i < bound; i += LANES) {
            acc1 = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc1);
        }
        float sum = acc1.add(acc2).reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) {
            sum = Math.fma(a[i], b[i], sum);
        }
        return sum;
    }

    static float squareDistance(float[] a, float[] b) {
        int bound = SPECIES.loopBound(a.length);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES < bound; i += 2 * LANES) {
            FloatVector d1 = FloatVector.fromArray(SPECIES, a, i).sub(FloatVector.fromArray(SPECIES, b, i));
            FloatVector d2 = FloatVector.fromArray(SPECIES, a, i + LANES).sub(FloatVector.fromArray(SPECIES, b, i + LANES));
            acc1 = d1.fma(d1, acc1);
            acc2 = d2.fma(d2, acc2);
        }
        for (; i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(SPECIES, a, i).sub(FloatVector.fromArray(SPECIES, b, i));
            acc1 = d.fma(d, acc1);
        }
        float sum = acc1.add(acc2).reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) {
            float d = a[i] - b[i];
            sum = Math.fma(d, d, sum);
        }
        return sum;
    }

    static float cosine(float[] a, float[] b) {
        int bound = SPECIES.loopBound(a.length);
        FloatVector dot = FloatVector.zero(SPECIES);
        FloatVector normA = FloatVector.zero(SPECIES);
        FloatVector normB = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector va = FloatVector.fromArray(SPECIES, a, i);
            FloatVector vb = FloatVector.fromArray(SPECIES, b, i);
            dot = va.fma(vb, dot);
            normA = va.fma(va, normA);
            normB = vb.fma(vb, normB);
        }
        float d = dot.reduceLanes(VectorOperators.ADD);
        float na = normA.reduceLanes(VectorOperators.ADD);
        float nb = normB.reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) {
            d = Math.fma(a[i], b[i], d);
            na = Math.fma(a[i], a[i], na);
            nb = Math.fma(b[i], b[i], nb);
        }
        return (float) (d / Math.sqrt((double) na * (double) nb));
    }
}
