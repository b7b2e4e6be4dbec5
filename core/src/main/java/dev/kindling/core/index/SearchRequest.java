package dev.kindling.core.index;

/**
 * A top-K query.
 *
 * @param vector the query vector
 * @param k      how many hits at most, at least 1
 * @param filter which records may be returned; {@link Filter#all()} for any
 * @param ef     HNSW candidate-list size for this request, or 0 for the backend's configured default
 */
public record SearchRequest(float[] vector, int k, Filter filter, int ef) {
    /** Largest k accepted. */
    public static final int MAX_K = 16_384;

    public SearchRequest {
        if (vector == null) {
            throw new IllegalArgumentException("search: vector is missing");
        }
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("search: k must be in 1.." + MAX_K + ", was " + k);
        }
        if (ef < 0) {
            throw new IllegalArgumentException("search: ef must be 0 (default) or positive, was " + ef);
        }
        filter = filter == null ? Filter.all() : filter;
    }

    public static SearchRequest of(float[] vector, int k) {
        return new SearchRequest(vector, k, Filter.all(), 0);
    }

    public SearchRequest withFilter(Filter f) {
        return new SearchRequest(vector, k, f, ef);
    }

    public SearchRequest withEf(int newEf) {
        return new SearchRequest(vector, k, filter, newEf);
    }
}
