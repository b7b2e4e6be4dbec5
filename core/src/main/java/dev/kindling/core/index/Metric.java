package dev.kindling.core.index;

/**
 * How vectors of a collection are compared. Every backend reports {@link SearchHit#score()} in the metric's own
 * units: cosine similarity in [-1, 1] for {@link #COSINE}, the raw dot product for {@link #INNER_PRODUCT}.
 */
public enum Metric {
    /** Cosine similarity; zero vectors are refused. */
    COSINE,
    /** Dot product, for vectors whose norm carries meaning. */
    INNER_PRODUCT
}
