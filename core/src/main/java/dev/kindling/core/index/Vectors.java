package dev.kindling.core.index;

/** Plain vector arithmetic on float arrays, in double precision (the index's SIMD scorer has its own). */
public final class Vectors {
    private Vectors() {
    }

    public static double dot(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " dimensions");
        }
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    /** The cosine of the angle between two vectors; 0 when either is zero. */
    public static double cosine(float[] a, float[] b) {
        double norms = dot(a, a) * dot(b, b);
        return norms == 0 ? 0 : dot(a, b) / Math.sqrt(norms);
    }
}
